import Foundation
import JSONSchema
import Testing
@testable import BNModel

/// Every kind of damage gives its own typed error naming the tensor or field; none traps.
@Suite("Malformed .bnm files")
struct MalformedFileTests {
    let folder: TemporaryFolder
    let good: String
    let forge: Forge
    /// Names of the tensors of the hand-made model, in data order.
    let names: [String]

    init() throws {
        folder = try TemporaryFolder()
        good = folder.path("good.bnm")
        try BNMWriter.write(TestModels.handMade(), to: good)
        forge = try Forge(path: good)
        names = try BNMFile(path: good).manifest.tensors.map(\.name)
    }

    @Test("cut at every byte offset: always .truncated, never a trap")
    func truncatedAnywhere() throws {
        defer { folder.remove() }
        let bytes = forge.bytes
        for length in 0..<bytes.count {
            let path = try folder.file("cut.bnm", Array(bytes[0..<length]))
            let error = openError(path)
            guard case .truncated(let reported, _, let needed, let available)? = error else {
                Issue.record("cut at \(length): expected .truncated, got \(String(describing: error))")
                continue
            }
            #expect(reported == path && available == length && needed > length)
        }
    }

    @Test("bad magic is reported with the bytes found")
    func badMagic() throws {
        defer { folder.remove() }
        for prefix: [UInt8] in [Array("GIF89a".utf8), Array("{\"format\":\"bnm\"}".utf8), [0x89, 0x50, 0x4E, 0x47]] {
            let error = openError(try folder.file("x.bnm", prefix + forge.bytes.dropFirst(prefix.count)))
            guard case .badMagic(_, let found)? = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(found == Array(prefix.prefix(8)) || found.count == 8)
        }
    }

    @Test("text-mode transfers are recognised: CRLF→LF, LF→CRLF, 7-bit")
    func textModeDamage() throws {
        defer { folder.remove() }
        let bytes = forge.bytes
        var crlfToLF: [UInt8] = [], lfToCRLF: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                crlfToLF.append(0x0A); index += 2
            } else { crlfToLF.append(bytes[index]); index += 1 }
        }
        for byte in bytes { if byte == 0x0A { lfToCRLF += [0x0D, 0x0A] } else { lfToCRLF.append(byte) } }
        let sevenBit = bytes.map { $0 & 0x7F }
        for (name, damaged) in [("crlf-to-lf", crlfToLF), ("lf-to-crlf", lfToCRLF), ("7-bit", sevenBit)] {
            let error = openError(try folder.file(name, damaged))
            guard case .textModeDamage(_, let detail)? = error else { Issue.record("\(name): got \(String(describing: error))"); continue }
            #expect(!detail.isEmpty)
        }
    }

    @Test("a future major version is refused before anything else is read")
    func futureMajor() throws {
        defer { folder.remove() }
        var bytes = forge.bytes
        bytes[8] = 2
        let error = openError(try folder.file("v2.bnm", Array(bytes.prefix(20))))
        guard case .unsupportedMajorVersion(_, 2, 1)? = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("a newer minor version opens and its unknown fields are ignored; the known minor rejects them")
    func futureMinor() throws {
        defer { folder.remove() }
        let extended = try forge.setting(["model", "layers", 1, "colour"], to: "blue", minor: 7)
        let file = try BNMFile(path: try folder.file("v1.7.bnm", extended))
        #expect(file.header.minor == 7)
        #expect(try TestModels.difference(TestModels.handMade(), file.model(verifyChecksums: true)) == nil)

        let strict = try forge.setting(["model", "layers", 1, "colour"], to: "blue", minor: 0)
        let error = openError(try folder.file("v1.0.bnm", strict))
        guard case .manifestSchema(_, let pointer, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(pointer == "/model/layers/1/colour")
    }

    @Test("unknown required flags are refused; a damaged header fails its CRC")
    func headerDamage() throws {
        defer { folder.remove() }
        let flagged = forge.withHeader { $0.flags = 0x0001_0002 }
        guard case .unsupportedRequiredFlags(_, 2)? = openError(try folder.file("flags.bnm", flagged)) else {
            Issue.record("required flags not refused"); return
        }
        let optional = forge.withHeader { $0.flags = 0x0001_0000 }
        #expect(openError(try folder.file("optional.bnm", optional)) == nil)
        for offset in [10, 13, 20, 30, 41, 50, 55, 61] {
            var bytes = forge.bytes
            bytes[offset] ^= 0x10
            let error = openError(try folder.file("h.bnm", bytes))
            guard case .headerChecksumMismatch? = error else { Issue.record("byte \(offset): got \(String(describing: error))"); continue }
        }
    }

    @Test("impossible header fields are named")
    func headerFields() throws {
        defer { folder.remove() }
        let cases: [(String, (inout BNMHeader) -> Void)] = [
            ("data_offset", { $0.dataOffset += 8 }),
            ("manifest_offset", { $0.manifestOffset = 8 }),
            ("data_length", { $0.dataLength = UInt64.max }),
            ("data_offset", { $0.dataOffset = 64 }),
        ]
        for (field, change) in cases {
            let error = openError(try folder.file("f.bnm", forge.withHeader(change)))
            guard case .invalidHeaderField(_, let named, _, _)? = error else { Issue.record("\(field): got \(String(describing: error))"); continue }
            #expect(named == field)
        }
        let huge = openError(try folder.file("huge.bnm", forge.withHeader { $0.manifestLength = 1 << 40 }))
        guard case .manifestTooLarge(_, 1 << 40, BNMHeader.maxManifestLength)? = huge else { Issue.record("got \(String(describing: huge))"); return }
    }

    @Test("extra bytes after the data section are refused")
    func trailingBytes() throws {
        defer { folder.remove() }
        let error = openError(try folder.file("t.bnm", forge.bytes + [0]))
        guard case .trailingBytes(_, let expected, let actual)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(actual == expected + 1)
    }

    @Test("a flipped manifest byte fails the manifest CRC")
    func manifestDamage() throws {
        defer { folder.remove() }
        var bytes = forge.bytes
        bytes[100] ^= 0x01
        guard case .manifestChecksumMismatch? = openError(try folder.file("m.bnm", bytes)) else { Issue.record("not detected"); return }
    }

    @Test("a manifest that is not UTF-8 JSON gives its file offset")
    func manifestNotJSON() throws {
        defer { folder.remove() }
        for (text, offset) in [(Array("{\"format\": bnm}".utf8), 64 + 11), ([0x7B, 0xFF, 0x7D], 64 + 1), (Array("[1,]".utf8), 64 + 3)] {
            let error = openError(try folder.file("j.bnm", Forge.assemble(manifest: text, data: [])))
            guard case .manifestNotJSON(_, let found, let message)? = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(found == offset, "\(message)")
        }
    }

    @Test("schema violations name the field by JSON Pointer", arguments: [
        (["tensors", 0, "dtype"], JSONValue.string("f8"), "/tensors/0/dtype"),
        (["tensors", 0, "dtype"], nil, "/tensors/0/dtype"),
        (["tensors", 1, "shape", 0], JSONValue.int(-3), "/tensors/1/shape/0"),
        (["tensors", 1, "offset"], JSONValue.double(64.0), "/tensors/1/offset"),
        (["tensors", 2, "crc32"], JSONValue.string("DEADBEEF"), "/tensors/2/crc32"),
        (["model", "layers", 2, "attributes", "mode"], JSONValue.string("global"), "/model/layers/2/attributes/mode"),
        (["model", "layers", 1, "kind"], JSONValue.string("conv3d"), "/model/layers/1/kind"),
        (["model", "layers", 1, "attributes", "padding"], [1, 1, 1] as JSONValue, "/model/layers/1/attributes/padding"),
        (["model", "layers", 3, "attributes", "activation", "name"], "rectifier", "/model/layers/3/attributes/activation/name"),
        (["conventions", "activations"], "NHWC", "/conventions/activations"),
        (["format"], "safetensors", "/format"),
        (["provenance"], nil, "/provenance"),
    ] as [([JSONPathElement], JSONValue?, String)])
    func schemaViolations(path: [JSONPathElement], value: JSONValue?, pointer: String) throws {
        defer { folder.remove() }
        let error = openError(try folder.file("s.bnm", forge.setting(path, to: value)))
        guard case .manifestSchema(_, let found, let message)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(found == pointer, "\(message)")
    }

    @Test("a tensor past the end of the data section is named")
    func extentPastEOF() throws {
        defer { folder.remove() }
        let last = names.count - 1
        let error = openError(try folder.file("e.bnm", forge.setting(["tensors", .index(last), "offset"], to: .int(1 << 30))))
        guard case .extentOutOfBounds(_, let tensor, 1 << 30, _, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(tensor == names[last])
    }

    @Test("overlapping tensors are named")
    func overlapping() throws {
        defer { folder.remove() }
        let offset = try #require(forge.manifest["tensors"]?[0]?["offset"])
        let error = openError(try folder.file("o.bnm", forge.setting(["tensors", 1, "offset"], to: offset)))
        guard case .overlappingTensors(_, let first, let second)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(Set([first, second]) == Set([names[0], names[1]]))
    }

    @Test("a misaligned offset is named")
    func misaligned() throws {
        defer { folder.remove() }
        let offset = try #require(forge.manifest["tensors"]?[2]?["offset"]?.intValue)
        let error = openError(try folder.file("a.bnm", forge.setting(["tensors", 2, "offset"], to: .int(offset + 4))))
        guard case .misaligned(_, let tensor, let found)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(tensor == names[2] && found == Int(offset) + 4)
    }

    @Test("a shape whose product overflows is named, not trapped on")
    func shapeOverflow() throws {
        defer { folder.remove() }
        let huge: [[Int64]] = [[1 << 40, 1 << 40], [1 << 53, 2], [1 << 30, 1 << 30, 1 << 30, 0, 1 << 30]]
        for dims in huge {
            let shape = JSONValue.array(dims.map(JSONValue.int))
            let error = openError(try folder.file("s.bnm", forge.setting(["tensors", 0, "shape"], to: shape)))
            // A zero dimension does not excuse the others: an empty [2³⁰, 2³⁰, 2³⁰, 0, 2³⁰] is
            // refused too, since code walking the shape multiplies its non-zero dimensions.
            guard case .shapeOverflow(_, let tensor, _, _)? = error else { Issue.record("got \(String(describing: error))"); continue }
            #expect(tensor == names[0])
        }
    }

    @Test("a length that disagrees with dtype × shape is named")
    func lengthMismatch() throws {
        defer { folder.remove() }
        let length = try #require(forge.manifest["tensors"]?[1]?["length"]?.intValue)
        let error = openError(try folder.file("l.bnm", forge.setting(["tensors", 1, "length"], to: .int(length - 4))))
        guard case .lengthMismatch(_, let tensor, let expected, let actual)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(tensor == names[1] && expected == Int(length) && actual == Int(length) - 4)
    }

    @Test("holes in the data section are refused")
    func gaps() throws {
        defer { folder.remove() }
        let last = names.count - 1
        let offset = try #require(forge.manifest["tensors"]?[last]?["offset"]?.intValue)
        let moved = try forge.setting(["tensors", .index(last), "offset"], to: .int(offset + 64),
                                      data: forge.data + [UInt8](repeating: 0, count: 64))
        guard case .unexpectedGap(_, let tensor, _, Int(offset))? = openError(try folder.file("g.bnm", moved)) else {
            Issue.record("gap not refused"); return
        }
        #expect(tensor == names[last])
        let longer = try forge.setting(["format"], to: "bnm", data: forge.data + [0])
        guard case .dataLengthMismatch? = openError(try folder.file("d.bnm", longer)) else { Issue.record("data length not checked"); return }
    }

    @Test("references to missing tensors, duplicate names and unused tensors are named")
    func references() throws {
        defer { folder.remove() }
        let missing = openError(try folder.file("r.bnm", forge.setting(["model", "layers", 1, "tensors", 0, "tensor"], to: "nope")))
        guard case .unknownTensor(_, "conv1", "nope")? = missing else { Issue.record("got \(String(describing: missing))"); return }
        let duplicate = openError(try folder.file("r.bnm", forge.setting(["tensors", 1, "name"], to: .string(names[0]))))
        guard case .duplicateTensorName(_, let name)? = duplicate, name == names[0] else { Issue.record("got \(String(describing: duplicate))"); return }
        let shared = openError(try folder.file("r.bnm", forge.setting(["model", "layers", 1, "tensors", 1, "tensor"], to: .string(names[0]))))
        guard case .inconsistentManifest(_, "/model/layers/1/tensors/1/tensor", _)? = shared else { Issue.record("got \(String(describing: shared))"); return }
    }

    @Test("a model that breaks the IR's rules is refused with the layer's pointer")
    func invalidModel() throws {
        defer { folder.remove() }
        // bn_pa (layer 6) holds [1, 8, 4, 4] parameters; as "spatial" they are wrong.
        let error = openError(try folder.file("b.bnm", forge.setting(["model", "layers", 6, "attributes", "mode"], to: "spatial")))
        guard case .invalidModel(_, "/model/layers/6", .badTensor(layer: "bn_pa", role: "gamma", _, _, _))? = error else {
            Issue.record("got \(String(describing: error))"); return
        }
        let cycle = openError(try folder.file("c.bnm", forge.setting(["model", "layers", 1, "inbound"], to: ["relu1"])))
        guard case .invalidModel(_, "/model/layers/1", .unknownInbound(layer: "conv1", inbound: "relu1"))? = cycle else {
            Issue.record("got \(String(describing: cycle))"); return
        }
    }

    @Test("a flipped byte in tensor data fails that tensor's checksum, on request and in validate")
    func checksum() throws {
        defer { folder.remove() }
        let file = try BNMFile(path: good)
        let target = file.manifest.tensors[3]
        var bytes = forge.bytes
        bytes[Int(file.header.dataOffset) + target.offset + target.length / 2] ^= 0x80
        let path = try folder.file("c.bnm", bytes)
        let damaged = try BNMFile(path: path)  // opening reads no tensor data
        _ = try damaged.model()
        #expect(damaged.checksumFailures().count == 1)
        for check in [{ try damaged.verifyChecksums() }, { _ = try damaged.model(verifyChecksums: true) }, { try damaged.validate() }] {
            do {
                try check()
                Issue.record("damage not detected")
            } catch {
                guard case .checksumMismatch(_, let tensor, let expected, let actual) = error as? BNMError else {
                    Issue.record("got \(error)"); continue
                }
                #expect(tensor == target.name && expected == target.crc32 && actual != expected)
            }
        }
    }

    @Test("validate finds non-zero padding that opening ignores")
    func padding() throws {
        defer { folder.remove() }
        var bytes = forge.bytes
        let manifestEnd = 64 + Int(forge.header.manifestLength)
        try #require(manifestEnd < Int(forge.header.dataOffset))
        bytes[manifestEnd] = 0xAA
        let file = try BNMFile(path: try folder.file("p.bnm", bytes))
        do {
            try file.validate()
            Issue.record("padding not checked")
        } catch {
            guard case .nonZeroPadding(_, manifestEnd) = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test("an empty file, a folder and a missing file give typed errors")
    func notFiles() throws {
        defer { folder.remove() }
        guard case .truncated(_, "header", 64, 0)? = openError(try folder.file("empty.bnm", [])) else { Issue.record("empty"); return }
        guard case .io(_, _, ENOENT)? = openError(folder.path("missing.bnm")) else { Issue.record("missing"); return }
        guard case .io? = openError(folder.url.path) else { Issue.record("folder"); return }
    }

    @Test("random corruption never traps (2,000 mutated files)")
    func fuzz() throws {
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 2024)
        let original = forge.bytes
        for iteration in 0..<2000 {
            var bytes = original
            switch iteration % 4 {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1:
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            case 2:
                // Damage inside the manifest but keep the CRC valid, to reach the parser and decoder.
                var manifest = Array(bytes[64..<(64 + Int(forge.header.manifestLength))])
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    manifest[Int.random(in: 0..<manifest.count, using: &rng)] = UInt8.random(in: 0x20...0x7E, using: &rng)
                }
                bytes = Forge.assemble(manifest: manifest, data: forge.data)
            default:
                bytes.insert(contentsOf: (0..<Int.random(in: 1...70, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) },
                             at: Int.random(in: 0..<bytes.count, using: &rng))
            }
            let path = try folder.file("fuzz.bnm", bytes)
            if let file = try? BNMFile(path: path) {
                _ = file.checksumFailures()
                _ = try? file.validate()
            }
        }
    }
}

@Suite("Error messages")
struct ErrorMessageTests {
    @Test("messages name the file, the tensor or field, and say what to do")
    func messages() throws {
        let checksum = BNMError.checksumMismatch(path: "/m/a.bnm", tensor: "conv1/kernel", expected: 0xABCD, actual: 0x1234)
        #expect(checksum.description == "/m/a.bnm: tensor 'conv1/kernel' is damaged (CRC-32 is 00001234, stored 0000abcd)")
        #expect(checksum.localizedDescription == checksum.description)
        let schema = BNMError.manifestSchema(path: "a.bnm", pointer: "/tensors/0/dtype", message: "is required but missing")
        #expect(schema.description == "a.bnm: manifest field '/tensors/0/dtype' is required but missing")
        let text = BNMError.textModeDamage(path: "a.bnm", detail: "CR LF was converted to LF")
        #expect(text.description.contains("binary mode"))
        let major = BNMError.unsupportedMajorVersion(path: "a.bnm", found: 2, supported: 1)
        #expect(major.description.contains("newer bnconvert"))
        #expect(BNMError.io(path: "x.bnm", operation: "open", errno: ENOENT).description.contains("No such file"))
        #expect(BNMError.badMagic(path: "x", found: [0x47, 0x49]).description == "x: not a .bnm file (first bytes 47 49)")
    }

    @Test("URL overloads and tensor(named:) on an opened file")
    func urlAndLookup() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("u.bnm")
        try BNMWriter.write(TestModels.handMade(), to: url)
        let file = try BNMFile(url: url)
        #expect(try file.tensor(named: "bn1/gamma").shape == [1, 4, 1, 1])
        #expect(throws: BNMError.self) { try file.tensor(named: "bn1/gamma#2") }
        #expect(file.manifestText.hasPrefix("{\"format\":\"bnm\""))
    }
}
