import Foundation
import Testing
@testable import BNModel

/// A `.npy` image assembled by hand: magic, version, little-endian header length, the header
/// text padded with spaces to a 64-byte boundary plus `\n`, then `data`.
private func npyImage(major: UInt8 = 1, minor: UInt8 = 0, header: String, data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
    var text = Array(header.utf8)
    let preamble = major == 1 ? 10 : 12
    if pad { text += [UInt8](repeating: 0x20, count: (64 - (preamble + text.count + 1) % 64) % 64) + [0x0A] }
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, minor]
    bytes += major == 1 ? [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] : (0..<4).map { UInt8((text.count >> (8 * $0)) & 0xFF) }
    return bytes + text + data
}

private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { value in (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

/// A fresh folder for files written by one test.
private struct ScratchFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("npytests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { path + "/" + name }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
    func remove() throws { try FileManager.default.removeItem(atPath: path) }
}

@Suite("NPY files")
struct NPYTests {
    @Test("write then read gives back the same shape and bits, via a temporary file that is renamed away")
    func roundTrip() throws {
        let folder = try ScratchFolder()
        defer { try? folder.remove() }
        let special: [Float] = [0, -0.0, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234), .leastNonzeroMagnitude, 1e30, -3.5]
        let values = special + (0..<(2 * 3 * 4 * 5 - special.count)).map { Float($0) * 0.37 - 20 }
        let array = NDArray(shape: [2, 3, 4, 5], values: values)
        let path = folder.file("a.npy")
        try NPY.write(array, to: path)
        let back = try NPY.read(path)
        #expect(back.shape == array.shape)
        #expect(back.values.map(\.bitPattern) == array.values.map(\.bitPattern))
        // Overwriting an existing file works and leaves no temporary behind.
        try NPY.write(NDArray(shape: [3], values: [1, 2, 3]), to: path)
        #expect(try NPY.read(path) == NDArray(shape: [3], values: [1, 2, 3]))
        #expect(try folder.contents() == ["a.npy"])
        // A scalar and an empty array.
        try NPY.write(NDArray(shape: [], values: [7]), to: folder.file("s.npy"))
        #expect(try NPY.read(folder.file("s.npy")) == NDArray(shape: [], values: [7]))
        try NPY.write(NDArray(shape: [0, 4], values: []), to: folder.file("e.npy"))
        #expect(try NPY.read(folder.file("e.npy")) == NDArray(shape: [0, 4], values: []))
    }

    @Test("the header is numpy's: dict literal, 64-byte aligned data, newline")
    func headerFormat() throws {
        let bytes = try NPY.encode(NDArray(shape: [5], values: [1, 2, 3, 4, 5]))
        let header = try NPY.header(of: bytes, path: "x")
        #expect(header.majorVersion == 1 && header.elementType == .float32 && header.shape == [5])
        #expect(header.dataOffset % 64 == 0)
        let text = String(decoding: bytes[10..<header.dataOffset], as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"))
        #expect(text.hasSuffix(" \n"))
        #expect(throws: NPYError.inconsistentArray(path: "<memory>", shape: [2, 2], count: 3)) {
            try NPY.encode(NDArray(shape: [2, 2], values: [1, 2, 3]))
        }
    }

    @Test("every supported dtype and version decodes to float32")
    func dtypesAndVersions() throws {
        let cases: [(String, [UInt8], [Float])] = [
            ("<f4", littleEndianBytes([Float(1.5).bitPattern, Float(-2).bitPattern]), [1.5, -2]),
            ("<f8", littleEndianBytes([Double(1.5).bitPattern, Double(-1e-3).bitPattern]), [1.5, Float(-1e-3)]),
            ("<f2", littleEndianBytes([Float16(1.5).bitPattern, Float16(-0.25).bitPattern]), [1.5, -0.25]),
            ("<i4", littleEndianBytes([Int32(-7), Int32(1 << 20)]), [-7, 1_048_576]),
            ("<i8", littleEndianBytes([Int64(-9), Int64(123_456)]), [-9, 123_456]),
            ("|u1", [0, 255], [0, 255]),
        ]
        for major: UInt8 in [1, 2, 3] {
            for (descr, data, expected) in cases {
                let image = npyImage(major: major, header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (2,), }", data: data)
                let array = try NPY.decode(image, path: "\(descr).npy")
                #expect(array == NDArray(shape: [2], values: expected), "\(descr) v\(major)")
                #expect(try NPY.header(of: image, path: "x").majorVersion == major)
            }
        }
        // Double quotes, no trailing comma, other whitespace: still a valid Python literal.
        let loose = npyImage(header: "{\"shape\":(1,2),\"fortran_order\":False,\"descr\":\"<f4\"}", data: littleEndianBytes([UInt32(0), UInt32(0)]))
        #expect(try NPY.decode(loose, path: "x").shape == [1, 2])
    }

    @Test("hostile and broken files give typed errors naming the file, never a trap", arguments: [
        ("empty", [UInt8](), NPYError.badMagic(path: "f.npy")),
        ("bad magic", Array("\u{93}NUMPZ\u{01}\u{00}xx".utf8), .badMagic(path: "f.npy")),
        ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], .badMagic(path: "f.npy")),
        ("truncated preamble", [0x93, 0x4E, 0x55, 0x4D, 0x50], .truncated(path: "f.npy", what: "preamble", needed: 8, available: 5)),
        ("truncated length", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 1], .truncated(path: "f.npy", what: "header length", needed: 4, available: 1)),
        ("version 4", npyImage(major: 4, header: "{}"), .unsupportedVersion(path: "f.npy", major: 4, minor: 0)),
        ("version 1.1", npyImage(minor: 1, header: "{}"), .unsupportedVersion(path: "f.npy", major: 1, minor: 1)),
        ("huge header length", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B],
         .headerTooLarge(path: "f.npy", length: 0xFFFF_FFFF, limit: NPY.maximumHeaderLength)),
        ("header past the end", Array(npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }").prefix(40)),
         .truncated(path: "f.npy", what: "header", needed: 118, available: 30)),
        ("no newline", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", pad: false),
         .malformedHeader(path: "f.npy", offset: 54, message: "the header must end with a newline")),
        ("unknown descr", npyImage(header: "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8)),
         .unsupportedDType(path: "f.npy", descr: "<c8")),
        ("big-endian", npyImage(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]),
         .unsupportedDType(path: "f.npy", descr: ">f4")),
        ("structured descr", npyImage(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"),
         .malformedHeader(path: "f.npy", offset: 10, message: "expected a string, True/False or a tuple")),
        ("fortran order", npyImage(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: [UInt8](repeating: 0, count: 16)),
         .fortranOrder(path: "f.npy")),
        ("huge shape", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
         .shapeOverflow(path: "f.npy", shape: [4_294_967_296, 4_294_967_296])),
        ("byte count overflow", npyImage(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"),
         .shapeOverflow(path: "f.npy", shape: [2_305_843_009_213_693_952])),
        ("dimension overflow", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
         .malformedHeader(path: "f.npy", offset: 0, message: "shape dimension does not fit in a 64-bit integer")),
        ("shape claims more than the file holds", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }", data: [0, 0, 0, 0]),
         .dataSize(path: "f.npy", expected: 4_000_000_000, actual: 4)),
        ("trailing bytes", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0, 9]),
         .dataSize(path: "f.npy", expected: 4, actual: 5)),
        ("negative dimension", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"),
         .malformedHeader(path: "f.npy", offset: 0, message: "expected a non-negative integer in the shape tuple")),
        ("(n) is not a tuple", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }"),
         .malformedHeader(path: "f.npy", offset: 0, message: "'(n)' is an integer in Python, not a tuple; a one-dimensional shape is written '(n,)'")),
        ("missing key", npyImage(header: "{'descr': '<f4', 'shape': (1,), }"),
         .malformedHeader(path: "f.npy", offset: 0, message: "'fortran_order' must be present and True or False")),
        ("extra key", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"),
         .malformedHeader(path: "f.npy", offset: 0, message: "unexpected key 'x' (only 'descr', 'fortran_order' and 'shape' are allowed)")),
        ("duplicate key", npyImage(header: "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}"),
         .malformedHeader(path: "f.npy", offset: 0, message: "key 'descr' appears twice")),
        ("unterminated string", npyImage(header: "{'descr"), .malformedHeader(path: "f.npy", offset: 1, message: "unterminated string")),
        ("missing colon", npyImage(header: "{'descr' '<f4'}"), .malformedHeader(path: "f.npy", offset: 9, message: "expected ':' after key 'descr'")),
        ("text after the dict", npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x"),
         .malformedHeader(path: "f.npy", offset: 0, message: "unexpected text after the closing '}'")),
        ("lowercase false", npyImage(header: "{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }"),
         .malformedHeader(path: "f.npy", offset: 0, message: "expected a string, True/False or a tuple")),
    ])
    func hostileInput(_ name: String, _ bytes: [UInt8], _ expected: NPYError) throws {
        do {
            let array = try NPY.decode(bytes, path: "f.npy")
            Issue.record("\(name): decoded \(array.shape) instead of failing with \(expected)")
        } catch {
            // Offsets are checked where the case gives one (non-zero); otherwise the message,
            // which is what a person reads.
            if case .malformedHeader(_, let offset, let message) = error, case .malformedHeader(_, let wantedOffset, let wanted) = expected {
                #expect(message == wanted, "\(name)")
                #expect(wantedOffset == 0 || offset == wantedOffset, "\(name): offset \(offset)")
            } else {
                #expect(error == expected, "\(name)")
            }
            #expect(error.description.hasPrefix("f.npy: "), "\(name)")
        }
    }

    @Test("every truncation and every single-byte corruption of a valid file is either read or refused")
    func mutations() throws {
        let valid = try NPY.encode(NDArray(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        for length in 0..<valid.count {
            #expect(throws: NPYError.self) { try NPY.decode(Array(valid.prefix(length)), path: "t.npy") }
        }
        var outcomes = 0
        for index in 0..<min(valid.count, 128) {
            for replacement: UInt8 in [0x00, 0x20, 0x27, 0x28, 0x29, 0x2C, 0x30, 0x39, 0x7B, 0x7D, 0x80, 0xFF] {
                var bytes = valid
                bytes[index] = replacement
                do { _ = try NPY.decode(bytes, path: "m.npy") } catch { _ = error.description }
                outcomes += 1
            }
        }
        #expect(outcomes == 128 * 12)
    }

    @Test("files written by numpy read, and files we write load in numpy", .enabled(if: pythonHasNumpy()))
    func numpyInterop() throws {
        let folder = try ScratchFolder()
        defer { try? folder.remove() }
        let script = """
        import numpy as np, sys
        from numpy.lib import format as fmt
        folder = sys.argv[1]
        base = np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3
        for name, dtype in [("f4", np.float32), ("f8", np.float64), ("f2", np.float16), ("i4", np.int32), ("i8", np.int64), ("u1", np.uint8)]:
            np.save(f"{folder}/{name}.npy", np.abs(base).astype(dtype) if name == "u1" else base.astype(dtype))
        for version in [(2, 0), (3, 0)]:
            with open(f"{folder}/v{version[0]}.npy", "wb") as f:
                fmt.write_array(f, base.astype(np.float32), version=version)
        np.save(f"{folder}/fortran.npy", np.asfortranarray(base.astype(np.float32)))
        ours = np.load(f"{folder}/ours.npy")
        assert ours.dtype == np.float32 and ours.shape == (2, 3, 4), (ours.dtype, ours.shape)
        assert np.array_equal(ours, base.astype(np.float32))
        print("ok")
        """
        let base = (0..<24).map { Double($0) * 0.5 - 3 }
        try NPY.write(NDArray(shape: [2, 3, 4], values: base.map { Float($0) }), to: folder.file("ours.npy"))
        let result = try Python.run(["-c", script, folder.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "ok\n")
        for name in ["f4", "f8", "f2", "v2", "v3"] {
            let array = try NPY.read(folder.file("\(name).npy"))
            #expect(array == NDArray(shape: [2, 3, 4], values: base.map { Float($0) }), "\(name)")
        }
        #expect(try NPY.readHeader(folder.file("v3.npy")).majorVersion == 3)
        #expect(try NPY.read(folder.file("i4.npy")).values == base.map { Float(Int32($0)) })
        #expect(try NPY.read(folder.file("i8.npy")).values == base.map { Float(Int64($0)) })
        #expect(try NPY.read(folder.file("u1.npy")).values == base.map { Float(UInt8(abs($0))) })
        #expect(try NPY.readHeader(folder.file("u1.npy")).elementType == .uint8)
        #expect(throws: NPYError.fortranOrder(path: folder.file("fortran.npy"))) { try NPY.read(folder.file("fortran.npy")) }
    }

    @Test("missing files and folders are I/O errors naming the path")
    func ioErrors() throws {
        #expect(throws: NPYError.io(path: "/nonexistent/x.npy", operation: "open", errno: ENOENT)) { try NPY.read("/nonexistent/x.npy") }
        #expect(throws: NPYError.self) { try NPY.write(NDArray(shape: [1], values: [1]), to: "/nonexistent/x.npy") }
        #expect(throws: NPYError.io(path: "/tmp", operation: "open (not a regular file)", errno: EINVAL)) { try NPY.read("/tmp") }

        // A rename that fails (the destination is a folder) leaves no temporary file behind.
        let folder = try ScratchFolder()
        defer { try? folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.file("d.npy"), withIntermediateDirectories: false)
        do {
            try NPY.write(NDArray(shape: [1], values: [1]), to: folder.file("d.npy"))
            Issue.record("writing over a folder succeeded")
        } catch {
            guard case .io(let path, let operation, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == folder.file("d.npy") && operation.hasPrefix("rename") && !operation.contains(".tmp"))
        }
        #expect(try folder.contents() == ["d.npy"])
    }

    @Test("Keras fixture inputs and predictions written by numpy read as float32 batches", .enabled(if: !kerasFixtureInputPaths().isEmpty))
    func kerasFixtureInputsRead() throws {
        for path in kerasFixtureInputPaths() {
            let header = try NPY.readHeader(path)
            #expect(header.elementType == .float32, "\(path)")
            #expect(header.shape.count == 4 && header.shape[0] == 2, "\(path): \(header.shape)")
            let array = try NPY.read(path)
            #expect(array.shape == header.shape && array.isConsistent, "\(path)")
            let allFinite = array.values.allSatisfy { $0.isFinite }
            #expect(allFinite, "\(path)")
        }
        // Each fixture's prediction is a float32 batch of two as well.
        for path in kerasFixtureInputPaths().map({ String($0.dropLast(".input.npy".count)) + ".expected.npy" })
        where FileManager.default.fileExists(atPath: path) {
            let header = try NPY.readHeader(path)
            #expect(header.elementType == .float32 && header.shape.first == 2, "\(path): \(header)")
            #expect(try NPY.read(path).isConsistent, "\(path)")
        }
        if let path = kerasFixtureInputPaths().first(where: { $0.hasSuffix("/conv_bn_relu.input.npy") }) {
            let nhwc = try NPY.read(path)
            #expect(nhwc.shape == [2, 6, 5, 3])
            let nchw = try nhwc.transposedNHWCtoNCHW()
            #expect(nchw.shape == [2, 3, 6, 5])
            // Element (n=1, h=4, w=2, c=1) moves to (n=1, c=1, h=4, w=2).
            let nchwIndex: Int = ((1 * 3 + 1) * 6 + 4) * 5 + 2
            let nhwcIndex: Int = ((1 * 6 + 4) * 5 + 2) * 3 + 1
            #expect(nchw.values[nchwIndex] == nhwc.values[nhwcIndex])
        }
    }
}

/// The `*.input.npy` files of the Keras fixtures, if they have been generated.
private func kerasFixtureInputPaths() -> [String] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("KerasHDF5Tests/Fixtures").path
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    return names.filter { $0.hasSuffix(".input.npy") }.sorted().map { folder + "/" + $0 }
}

/// Whether `python3` with numpy can run the interoperability test.
private func pythonHasNumpy() -> Bool {
    guard let result = try? Python.run(["-c", "import numpy"]) else { return false }
    return result.status == 0
}
