import BNConvert
import Foundation
import Testing

/// The Keras fixtures, read in place, and a scratch folder per test.
enum Files {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let kerasFixtures = repository.appendingPathComponent("Tests/KerasHDF5Tests/Fixtures")

    static func fixture(_ name: String) -> String { kerasFixtures.appendingPathComponent(name).path }

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// A new empty folder, removed by `body`'s end.
    static func withFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    /// Writes `bytes` as `name` in `folder` and returns its path.
    static func write(_ bytes: [UInt8], _ name: String, in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The error `body` throws, as the type the API promises.
    static func formatError(_ body: () throws(FormatError) -> some Any) -> FormatError? {
        do throws(FormatError) {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }
}

/// An input is what its bytes say, whatever its name: a `.bnm` called `m.h5` is a `.bnm`, HDF5
/// after a user block is HDF5, a zip is a `.keras` archive; bytes that match nothing, or no bytes
/// at all, are a typed error naming the file and what its first bytes are.
@Suite struct FormatDetectionTests {
    static let text = Array("This is not a model. It is plain text saved under a model's name.\n".utf8)

    @Test("HDF5 after a user block (512, 1024, 2048 bytes) is HDF5, and converts to the same .bnm")
    func hdf5AfterAUserBlock() throws {
        let original = try Files.bytes(Files.fixture("conv_bn_relu.h5"))
        try Files.withFolder { folder in
            let direct = folder.appendingPathComponent("direct.bnm").path
            try convert(from: Files.fixture("conv_bn_relu.h5"), to: direct)
            for userBlock in [512, 1024, 2048] {
                // A user block is the application's: text, here, which is no format's start.
                let block = Array(Self.text.prefix(userBlock)) + [UInt8](repeating: 0x20, count: max(0, userBlock - Self.text.count))
                let path = try Files.write(block + original, "user_block_\(userBlock).data", in: folder)
                #expect(try ModelFormat.detect(path: path) == .kerasHDF5, "user block of \(userBlock) bytes")
                let bnm = folder.appendingPathComponent("from_\(userBlock).bnm").path
                let conversion = try convert(from: path, to: bnm)
                #expect(conversion.source.format == .kerasHDF5 && conversion.written)
                #expect(try Files.bytes(bnm) == Files.bytes(direct), "the model after a \(userBlock)-byte user block converts to other bytes")
            }
        }
    }

    @Test("a .bnm named .h5 is a .bnm, and converts back to Keras")
    func bnmNamedH5() throws {
        try Files.withFolder { folder in
            let bnm = folder.appendingPathComponent("m.bnm").path
            try convert(from: Files.fixture("conv_bn_relu.h5"), to: bnm)
            let disguised = try Files.write(try Files.bytes(bnm), "really_a_bnm.h5", in: folder)
            #expect(try ModelFormat.detect(path: disguised) == .bnm)
            let back = folder.appendingPathComponent("back.h5").path
            let conversion = try convert(from: disguised, to: back)
            #expect(conversion.source.format == .bnm && conversion.format == .kerasHDF5 && conversion.written)
            let reference = folder.appendingPathComponent("reference.h5").path
            try convert(from: bnm, to: reference)
            #expect(try Files.bytes(back) == Files.bytes(reference))
            // And a Keras HDF5 file named .bnm is Keras HDF5.
            let h5 = try Files.write(try Files.bytes(Files.fixture("conv_bn_relu.h5")), "really_an_h5.bnm", in: folder)
            #expect(try ModelFormat.detect(path: h5) == .kerasHDF5)
        }
    }

    @Test("a zip is a .keras archive, whatever its name")
    func zipIsAKerasArchive() throws {
        try Files.withFolder { folder in
            let zip = try Files.write(try Files.bytes(Files.fixture("conv_bn_relu.keras")), "model.h5", in: folder)
            #expect(try ModelFormat.detect(path: zip) == .kerasArchive)
            let conversion = try convert(from: zip, to: folder.appendingPathComponent("m.bnm").path)
            #expect(conversion.source.format == .kerasArchive && conversion.written)
        }
    }

    @Test("bytes that match no format: the file and its first bytes, worded by what the name promised")
    func garbage() throws {
        try Files.withFolder { folder in
            let named = try Files.write(Self.text, "model.h5", in: folder)
            let error = Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: named) }
            #expect(error == .unrecognized(file: named, firstBytes: Array(Self.text.prefix(64)), expected: [.kerasHDF5]))
            #expect(error?.description == "\(named): not an HDF5 file (first bytes 54 68 69 73 20 69 73 20)")

            let unnamed = try Files.write(Self.text, "model.data", in: folder)
            #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: unnamed) }?.description
                == "\(unnamed): not a .bnm, HDF5 or .keras file (first bytes 54 68 69 73 20 69 73 20)")

            // What a .bnm reader has always said about a file that is not one.
            let bnm = try Files.write(Self.text, "model.bnm", in: folder)
            #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: bnm) }?.description
                == "\(bnm): not a .bnm file (first bytes 54 68 69 73 20 69 73 20)")

            // A Git LFS pointer checked out instead of the file says so.
            let pointer = Array("version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n".utf8)
            let lfs = try Files.write(pointer, "weights.h5", in: folder)
            #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: lfs) }?.description.hasSuffix(
                "(first bytes 76 65 72 73 69 6f 6e 20); it is a Git LFS pointer, not the file itself: fetch it (git lfs pull)") == true)

            // A file shorter than any signature.
            let short = try Files.write([0x00, 0x01], "x.h5", in: folder)
            #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: short) }
                == .unrecognized(file: short, firstBytes: [0x00, 0x01], expected: [.kerasHDF5]))
        }
    }

    @Test("an empty file is empty, not a format; an empty *.bnm is a .bnm cut short, as every .bnm reader says")
    func emptyFile() throws {
        try Files.withFolder { folder in
            for name in ["empty.h5", "empty.keras", "empty"] {
                let path = try Files.write([], name, in: folder)
                let error = Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: path) }
                #expect(error == .empty(file: path))
                #expect(error?.description == "\(path): the file is empty (0 bytes); copy it again from its source")
                #expect(throws: FormatError.empty(file: path)) { try convert(from: path, to: folder.appendingPathComponent("m.bnm").path) }
            }
            let bnm = try Files.write([], "empty.bnm", in: folder)
            #expect(try ModelFormat.detect(path: bnm) == .bnm)
            #expect {
                try convert(from: bnm, to: folder.appendingPathComponent("back.h5").path)
            } throws: { error in
                guard case BNMError.truncated(bnm, "header", 64, 0) = error else { return false }
                return true
            }
            // Only where a .bnm is taken at all.
            #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: bnm, accepting: [.kerasHDF5]) }
                == .empty(file: bnm))
        }
    }

    /// A .bnm cut short inside its magic, or changed by a text-mode transfer, is still a .bnm,
    /// so its reader can say exactly what happened to it.
    @Test func damagedBNMIsStillABNM() throws {
        try Files.withFolder { folder in
            let bnm = folder.appendingPathComponent("m.bnm").path
            try convert(from: Files.fixture("conv_bn_relu.h5"), to: bnm)
            let bytes = try Files.bytes(bnm)
            let cut = try Files.write(Array(bytes.prefix(5)), "cut.h5", in: folder)
            #expect(try ModelFormat.detect(path: cut) == .bnm)
            #expect(throws: BNMError.self) { try convert(from: cut, to: folder.appendingPathComponent("x.h5").path) }
            // LF → CR LF, as a text-mode transfer does.
            let crlf = try Files.write(Array(bytes.prefix(4)) + [0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A] + bytes.dropFirst(8), "crlf.bnm", in: folder)
            #expect(try ModelFormat.detect(path: crlf) == .bnm)
            #expect {
                try convert(from: crlf, to: folder.appendingPathComponent("x.h5").path)
            } throws: { error in
                guard case BNMError.textModeDamage = error else { return false }
                return true
            }
        }
    }

    @Test("a known format the caller does not take is named as what it is")
    func unexpectedFormat() throws {
        let h5 = Files.fixture("conv_bn_relu.h5")
        let error = Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: h5, accepting: [.bnm]) }
        #expect(error == .unexpectedFormat(file: h5, found: .kerasHDF5, expected: [.bnm]))
        #expect(error?.description == "\(h5): a Keras HDF5 file, not a .bnm file; convert it to .bnm first")
    }

    @Test("a missing file is an I/O error naming it")
    func missingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/m.h5"
        #expect(Files.formatError { () throws(FormatError) in try ModelFormat.detect(path: path) }
            == .io(file: path, operation: "open", errno: ENOENT))
    }

    @Test("an output's format is its name's", arguments: [
        ("m.bnm", ModelFormat.bnm), ("dir.h5/m.bnm", .bnm), ("back.h5", .kerasHDF5), ("back.weights.h5", .kerasHDF5),
        ("m.keras", .kerasArchive), ("m.txt", nil), ("m.bnm/", nil), ("bnm", nil), ("m.H5", nil),
    ] as [(String, ModelFormat?)])
    func outputFormatByName(_ name: String, _ format: ModelFormat?) {
        #expect(ModelFormat(fileName: name) == format)
    }

    @Test("HDF5's signature offsets are libhdf5's: 0, then powers of two from 512 while the signature fits")
    func signatureOffsets() {
        #expect(HDF5File.signatureOffsets(fileSize: 7) == [])
        #expect(HDF5File.signatureOffsets(fileSize: 8) == [0])
        #expect(HDF5File.signatureOffsets(fileSize: 519) == [0])
        #expect(HDF5File.signatureOffsets(fileSize: 520) == [0, 512])
        #expect(HDF5File.signatureOffsets(fileSize: 5000) == [0, 512, 1024, 2048, 4096])
        #expect(HDF5File.signatureOffsets(fileSize: Int.max).count == 55)
    }
}
