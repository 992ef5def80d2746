import Foundation
import HDF5
import ZIPFoundation
#if canImport(Glibc)
import Glibc
#endif

extension KerasFile {
    /// The first bytes of a zip file's first local file header, `PK\u{03}\u{04}`: how a `.keras`
    /// archive is told from an HDF5 file, whatever its name.
    public static let archiveSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
}

/// A Keras `.keras` archive (Keras 3's default format; tf_keras writes it too): a zip holding
/// `config.json` (the architecture, as `model.to_json()` gives it), `metadata.json` and
/// `model.weights.h5` (the weights in Keras 3's `.weights.h5` layout).
///
/// Nothing is extracted next to the user's files: the weights are copied into a private
/// temporary file (mode 0600, in the temporary folder) whose name is removed as soon as libhdf5
/// has opened it, so nothing is left behind once the conversion runs (libhdf5 needs a path it
/// can resolve, which rules out a nameless `O_TMPFILE`). Errors name the archive and the member
/// (`model.keras:model.weights.h5`), never the temporary file.
enum KerasArchive {
    /// Whether the file at `path` begins with ``KerasFile/archiveSignature``.
    static func isArchive(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data(KerasFile.archiveSignature)
    }

    /// The archive's architecture text and its weights, opened.
    static func open(_ path: String) throws -> (architecture: String, weights: HDF5File) {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw KerasError.unknownLayout(file: path, detail: "a zip archive that cannot be read (\(error)); copy it again from its source")
        }
        func member(_ name: String) throws -> Entry {
            guard let entry = archive[name], entry.type == .file else {
                throw KerasError.unknownLayout(file: path, detail: "a zip archive without \(name): not a Keras .keras file")
            }
            return entry
        }
        let configEntry = try member("config.json")
        let weightsEntry = try member("model.weights.h5")
        // The architecture travels in the .bnm manifest, which holds at most 64 MiB.
        let configLimit = 64 << 20
        guard configEntry.uncompressedSize <= UInt64(configLimit) else {
            throw KerasError.invalidConfig(source: "\(path):config.json", field: "architecture",
                                           detail: "is \(configEntry.uncompressedSize >> 20) MiB; a .bnm manifest holds at most 64 MiB")
        }
        var config = Data()
        try extract(archive, configEntry, from: path, limit: configLimit) { config.append($0) }
        guard let architecture = String(data: config, encoding: .utf8) else {
            throw KerasError.invalidConfig(source: "\(path):config.json", field: "architecture", detail: "is not UTF-8 text")
        }
        let (descriptor, temporary) = try privateFile(for: path)
        defer {
            close(descriptor)
            unlink(temporary)  // already gone once libhdf5 opened it; this covers the failures before
        }
        let limit = weightsEntry.uncompressedSize > UInt64(Int.max) ? Int.max : Int(weightsEntry.uncompressedSize)
        try extract(archive, weightsEntry, from: path, limit: limit) { data in
            try data.withUnsafeBytes { bytes in
                var done = 0
                while done < bytes.count {
                    let written = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else {
                        throw KerasError.hdf5(.io(file: "\(path):model.weights.h5", operation: "copy into a temporary file", errno: errno))
                    }
                    done += written
                }
            }
        }
        let name = "\(path):model.weights.h5"
        do {
            return (architecture, try HDF5File.open(temporary, reportingAs: name, removingName: true))
        } catch let error as HDF5Error {
            throw KerasError.hdf5(error)
        }
    }

    /// Streams one member through `consumer`, refusing more bytes than its header declares
    /// (a member that inflates past its size is damaged or hostile).
    private static func extract(_ archive: Archive, _ entry: Entry, from path: String, limit: Int,
                                _ consumer: (Data) throws -> Void) throws {
        var total = 0
        do {
            _ = try archive.extract(entry, skipCRC32: false) { data in
                total += data.count
                guard total <= limit else {
                    throw KerasError.unknownLayout(file: "\(path):\(entry.path)", detail: "holds more bytes than its zip header declares")
                }
                try consumer(data)
            }
        } catch let error as KerasError {
            throw error
        } catch {
            throw KerasError.unknownLayout(file: "\(path):\(entry.path)", detail: "cannot be extracted (\(error)); the archive is damaged")
        }
    }

    /// A new private file in the temporary folder, and its path.
    private static func privateFile(for path: String) throws -> (Int32, String) {
        let folder = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(folder)/.bnconvert-keras-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else {
            throw KerasError.hdf5(.io(file: "\(path):model.weights.h5", operation: "create a temporary file in \(folder)", errno: errno))
        }
        return (descriptor, template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }
}
