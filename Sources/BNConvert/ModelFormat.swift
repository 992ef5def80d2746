import BNModel
import HDF5
import KerasHDF5
#if canImport(Glibc)
import Glibc
#endif

/// The file formats bnconvert knows. An input's format is recognised by its bytes
/// (``detect(path:accepting:)``), never by its name; an output's is chosen by its name
/// (``init(fileName:)``), the only place a suffix decides anything. Which formats can be read
/// and written, and into what, is ``FormatTable``'s to say.
public enum ModelFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The native format: a 64-byte header starting with ``BNMHeader/magic``, a JSON manifest,
    /// aligned tensors.
    case bnm
    /// An HDF5 file in one of Keras' layouts (legacy weights, full model, Keras 3
    /// `.weights.h5`; ``KerasFileKind`` tells them apart once the file is open).
    case kerasHDF5 = "keras-hdf5"
    /// A Keras `.keras` archive: a zip of `config.json` and `model.weights.h5`.
    case kerasArchive = "keras-archive"

    /// How messages name the format.
    public var description: String {
        switch self {
        case .bnm: ".bnm"
        case .kerasHDF5: "Keras HDF5"
        case .kerasArchive: "Keras .keras archive"
        }
    }

    /// Whether files of this format come from Keras (and are read through libhdf5).
    public var isKeras: Bool { self != .bnm }

    /// The format a file name asks for: `*.bnm`, `*.h5` (`*.weights.h5` included: which Keras
    /// layout is written is the Keras writer's to check) or `*.keras`; nil for any other name.
    ///
    /// Outputs are chosen by this. An input is what its bytes say; its name only words the
    /// error when the bytes match no format.
    public init?(fileName path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        if name.hasSuffix(".bnm") {
            self = .bnm
        } else if name.hasSuffix(".h5") {
            self = .kerasHDF5
        } else if name.hasSuffix(".keras") {
            self = .kerasArchive
        } else {
            return nil
        }
    }
}

// MARK: - Recognising a file by its bytes

extension ModelFormat {
    /// How many bytes from the start of a file detection reads and an error shows.
    static let startLength = 64
    static let shownLength = 8

    /// The format of the file at `path`, from its bytes: the `.bnm` magic (or what a cut-short
    /// or text-mode-damaged `.bnm` begins with, so that its reader can say exactly that), a
    /// zip's local file header (`.keras`), or HDF5's signature at offset 0, 512, 1024, 2048, …
    /// (HDF5 allows a user block before it). The name plays no part: a `.bnm` called `m.h5`
    /// is a `.bnm`.
    ///
    /// `accepting` lists the formats the caller can use. A file of another known format is
    /// ``FormatError/unexpectedFormat(file:found:expected:)``; a file whose bytes match none is
    /// ``FormatError/unrecognized(file:firstBytes:expected:)``, its `expected` narrowed to the
    /// format the file's name promises when that is one of `accepting` (so `x.h5` full of text
    /// is "not an HDF5 file"). An empty file has no bytes to contradict its name: an empty
    /// `*.bnm` is a `.bnm` cut short (its reader says so), any other ``FormatError/empty(file:)``.
    public static func detect(path: String, accepting: [ModelFormat] = ModelFormat.allCases) throws(FormatError) -> ModelFormat {
        let found = try recognize(path: path)
        guard let format = found.format else {
            if found.start.isEmpty {
                // No bytes, so none to contradict the name: an empty `*.bnm` is a `.bnm` cut
                // short, which the `.bnm` readers (Swift, C, Python) all report as truncated.
                // Any other empty file is just empty: no other reader explains it better.
                if accepting.contains(.bnm), ModelFormat(fileName: path) == .bnm { return .bnm }
                throw .empty(file: path)
            }
            throw .unrecognized(file: path, firstBytes: Array(found.start.prefix(startLength)),
                                expected: expected(accepting, forName: path))
        }
        guard accepting.contains(format) else {
            throw .unexpectedFormat(file: path, found: format, expected: accepting)
        }
        return format
    }

    /// `accepting`, narrowed to the one format `path`'s name promises when it is among them.
    static func expected(_ accepting: [ModelFormat], forName path: String) -> [ModelFormat] {
        guard let named = ModelFormat(fileName: path), accepting.contains(named) else { return accepting }
        return [named]
    }

    /// The format the bytes at the start of the file (and at HDF5's user-block offsets) show,
    /// and those first bytes.
    private static func recognize(path: String) throws(FormatError) -> (format: ModelFormat?, start: [UInt8]) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(file: path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(file: path, operation: "stat", errno: errno) }
        let size = Int(status.st_size)
        let start = try read(descriptor, at: 0, count: startLength, path: path)
        if BNMHeader.recognizes(start) { return (.bnm, start) }
        if start.starts(with: KerasFile.archiveSignature) { return (.kerasArchive, start) }
        for offset in HDF5File.signatureOffsets(fileSize: max(size, start.count)) {
            let bytes = offset == 0 ? Array(start.prefix(HDF5File.signature.count))
                : try read(descriptor, at: offset, count: HDF5File.signature.count, path: path)
            if bytes == HDF5File.signature { return (.kerasHDF5, start) }
        }
        return (nil, start)
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    private static func read(_ descriptor: Int32, at offset: Int, count: Int, path: String) throws(FormatError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw .io(file: path, operation: "read", errno: errno) }
            if got == 0 { break }
            filled += got
        }
        return Array(bytes.prefix(filled))
    }
}
