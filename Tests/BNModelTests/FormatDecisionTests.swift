import Foundation
import JSONSchema
import Testing
@testable import BNModel

/// One test per decision docs/FORMAT.md takes where an independent reader had to guess: each
/// builds the file in question and checks what the reader (and `bnconvert validate`) make of it.
@Suite("FORMAT.md decisions")
struct FormatDecisionTests {
    let folder: TemporaryFolder
    let forge: Forge

    init() throws {
        folder = try TemporaryFolder()
        let good = folder.path("good.bnm")
        try BNMWriter.write(TestModels.handMade(), to: good)
        forge = try Forge(path: good)
    }

    /// The FILE codes `bnconvert validate` reports for `bytes` (the hand-made model's unmapped
    /// layer always adds a CH012 warning), and why it found the file unusable, if it did.
    func fileFindings(_ bytes: [UInt8], _ name: String = "v.bnm") throws -> (codes: [FindingCode], unusable: String?) {
        let result = Validator.validateFile(bnmPath: try folder.file(name, bytes))
        return (result.findings.map(\.code).filter { $0.rawValue.hasPrefix("FILE") }, result.unusable)
    }

    /// The manifest of a file `Forge` assembled (manifest at 64).
    static func manifest(of bytes: [UInt8]) throws -> JSONValue {
        let length = bytes[24..<32].reversed().reduce(0) { $0 << 8 | Int($1) }
        return try JSONValue.parse(bytes[64..<(64 + length)])
    }

    /// `manifest` text with `data` and a header that is correct in every other respect, laid out
    /// with the manifest at `manifestOffset` and `extraPadding` more zero bytes before the data.
    static func assemble(manifest: [UInt8], data: [UInt8], minor: UInt16 = 0, manifestOffset: Int = 64,
                         extraPadding: Int = 0) -> [UInt8] {
        let manifestEnd = manifestOffset + manifest.count
        let dataOffset = (manifestEnd + 63) / 64 * 64 + extraPadding
        let header = BNMHeader(minor: minor, manifestOffset: UInt64(manifestOffset), manifestLength: UInt64(manifest.count),
                               manifestCRC32: CRC32.checksum(manifest), dataOffset: UInt64(dataOffset),
                               dataLength: UInt64(data.count))
        return header.encoded + [UInt8](repeating: 0, count: manifestOffset - 64) + manifest
            + [UInt8](repeating: 0, count: dataOffset - manifestEnd) + data
    }

    var manifestText: String { String(decoding: forge.bytes[64..<(64 + Int(forge.header.manifestLength))], as: UTF8.self) }

    // MARK: 1. Reserved header bytes

    @Test("1. reserved bytes 52–59: non-zero is refused at open in a known minor, ignored in a newer one")
    func reservedBytes() throws {
        defer { folder.remove() }
        for offset in BNMHeader.reservedRange {
            var bytes = forge.bytes
            bytes[offset] = 0x01
            bytes.replaceSubrange(60..<64, with: withUnsafeBytes(of: CRC32.checksum(Array(bytes[0..<60])).littleEndian, Array.init))
            let error = openError(try folder.file("r.bnm", bytes))
            guard case .nonZeroPadding(_, offset)? = error else { Issue.record("byte \(offset): got \(String(describing: error))"); continue }
            #expect(error?.description.contains("reserved header byte") == true)
            #expect(try fileFindings(bytes).codes == [.file006])
        }
        var newer = try forge.setting(["format"], to: "bnm", minor: 1)
        newer[55] = 0xEE
        newer.replaceSubrange(60..<64, with: withUnsafeBytes(of: CRC32.checksum(Array(newer[0..<60])).littleEndian, Array.init))
        #expect(openError(try folder.file("n.bnm", newer)) == nil)
        #expect(try fileFindings(newer) == ([], nil))
    }

    // MARK: 2. Canonical bytes: the layout is enforced, the JSON spelling is not

    @Test("2. layout freedom is refused: manifest_offset 128, more than 63 padding bytes")
    func layoutIsEnforced() throws {
        defer { folder.remove() }
        let manifest = Array(manifestText.utf8)
        let moved = Self.assemble(manifest: manifest, data: forge.data, manifestOffset: 128)
        guard case .invalidHeaderField(_, "manifest_offset", 128, _)? = openError(try folder.file("m.bnm", moved)) else {
            Issue.record("manifest_offset 128 accepted"); return
        }
        #expect(try fileFindings(moved).codes == [.file003])
        let padded = Self.assemble(manifest: manifest, data: forge.data, extraPadding: 64)
        guard case .invalidHeaderField(_, "data_offset", _, _)? = openError(try folder.file("p.bnm", padded)) else {
            Issue.record("64 extra padding bytes accepted"); return
        }
        #expect(try fileFindings(padded).codes == [.file003])
        // A newer minor may put bytes between header and manifest; it still may not pad the data.
        let newer = Self.assemble(manifest: manifest, data: forge.data, minor: 1, manifestOffset: 128)
        #expect(openError(try folder.file("n.bnm", newer)) == nil)
    }

    @Test("2. the manifest's JSON spelling is the writer's business: reordered, pretty, trailing newline all read")
    func spellingIsFree() throws {
        defer { folder.remove() }
        let original = try BNMFile(path: try folder.file("o.bnm", forge.bytes)).model()
        for (name, text) in [("sorted", try forge.manifest.serialized(sortedKeys: true)),
                             ("pretty", try forge.manifest.serialized(pretty: true)),
                             ("newline", manifestText + "\n"), ("spaces", " \t" + manifestText + "\r\n ")] {
            let bytes = Forge.assemble(manifest: Array(text.utf8), data: forge.data)
            let path = try folder.file(name + ".bnm", bytes)
            let file = try BNMFile(path: path)
            try file.validate()
            #expect(try TestModels.difference(original, file.model(verifyChecksums: true)) == nil, "\(name)")
            #expect(try fileFindings(bytes, name + ".bnm") == ([], nil), "\(name)")
        }
    }

    // MARK: 3. Integers are integer tokens

    @Test("3. an integer written with a fraction or an exponent is refused, although the schema sees an integer")
    func integerTokens() throws {
        defer { folder.remove() }
        let text = manifestText
        let offset = try #require(forge.manifest["tensors"]?[1]?["offset"]?.intValue)
        for spelling in ["\(offset).0", "\(offset)e0", "\(Double(offset) / 100)e2", "\(offset * 10)E-1"] {
            let edited = text.replacingOccurrences(of: "\"offset\":\(offset),", with: "\"offset\":\(spelling),")
            try #require(edited != text)
            let bytes = Forge.assemble(manifest: Array(edited.utf8), data: forge.data)
            let error = openError(try folder.file("i.bnm", bytes))
            guard case .manifestSchema(_, "/tensors/1/offset", _)? = error else { Issue.record("\(spelling): got \(String(describing: error))"); continue }
            #expect(try fileFindings(bytes).codes == [.file005])
            // What the schema's $comment warns about: JSON Schema's "integer" is a value, not a spelling.
            #expect(try BNMSchema.validate(JSONValue.parse(Array(edited.utf8))).isEmpty, "\(spelling)")
        }
        // "-0" is an integer token (RFC 8259's grammar), and it is zero.
        let minusZero = text.replacingOccurrences(of: "\"offset\":0,", with: "\"offset\":-0,")
        try #require(minusZero != text)
        #expect(openError(try folder.file("z.bnm", Forge.assemble(manifest: Array(minusZero.utf8), data: forge.data))) == nil)
    }

    // MARK: 4. Rule order: every documented code is reachable

    @Test("4. a misaligned tensor offset passes the schema and is FILE004 (misaligned), not FILE005")
    func misalignedIsReachable() throws {
        defer { folder.remove() }
        let offset = try #require(forge.manifest["tensors"]?[2]?["offset"]?.intValue)
        let bytes = try forge.setting(["tensors", 2, "offset"], to: .int(offset + 4))
        #expect(try BNMSchema.validate(Self.manifest(of: bytes)).isEmpty)
        guard case .misaligned? = openError(try folder.file("a.bnm", bytes)) else { Issue.record("not .misaligned"); return }
        #expect(try fileFindings(bytes).codes == [.file004])
        // The header's data_offset off the grid is FILE004 too (rule 5), before its other checks.
        let header = forge.withHeader { $0.dataOffset += 8 }
        #expect(try fileFindings(header).codes == [.file004])
    }

    @Test("4. the rules fire in the documented order when a file breaks several")
    func ruleOrder() throws {
        defer { folder.remove() }
        // Rule 10 per entry before rule 11: entry 1 overlaps entry 0 *and* entry 2 is misaligned.
        let first = try #require(forge.manifest["tensors"]?[0]?["offset"])
        let offset2 = try #require(forge.manifest["tensors"]?[2]?["offset"]?.intValue)
        let json = try forge.manifest.setting(["tensors", 1, "offset"], first).setting(["tensors", 2, "offset"], .int(offset2 + 4))
        let both = Forge.assemble(manifest: Array(try json.serialized().utf8), data: forge.data)
        guard case .misaligned? = openError(try folder.file("b.bnm", both)) else { Issue.record("rule 11 before rule 10"); return }
        // Rule 4 before rule 5: reserved byte set and manifest_offset wrong — the reserved byte is named.
        var header = forge.header
        header.manifestOffset = 128
        var bytes = header.encoded + forge.bytes[64...]
        bytes[52] = 1
        bytes.replaceSubrange(60..<64, with: withUnsafeBytes(of: CRC32.checksum(Array(bytes[0..<60])).littleEndian, Array.init))
        guard case .nonZeroPadding(_, 52)? = openError(try folder.file("h.bnm", bytes)) else { Issue.record("rule 5 before rule 4"); return }
    }

    // MARK: 5. An empty last tensor

    @Test("5. an empty last tensor: data_length is its offset and the file ends in padding")
    func emptyLastTensor() throws {
        defer { folder.remove() }
        let model = Model(
            name: "empty-last", inputs: ["x"], outputs: ["fc"],
            layers: [Layer(name: "x", op: .input(shape: [2]), outputShape: [2]),
                     Layer(name: "fc", op: .dense(DenseConfig(units: 1, useBias: false)), inbound: ["x"],
                           tensors: [NamedTensor(role: .kernel, tensor: TestModels.floatTensor([0.5, 2], [1, 2]))], outputShape: [1]),
                     Layer(name: "kept", op: .unmapped(className: "Custom", config: .object([:])), inbound: ["fc"],
                           tensors: [NamedTensor(role: .other("empty"), tensor: try Tensor(float32: [], shape: [3, 0]))])],
            provenance: Provenance(sourceFormat: "test"))
        let path = folder.path("e.bnm")
        try BNMWriter.write(model, to: path)
        let file = try BNMFile(path: path)
        #expect(file.manifest.tensors.map(\.offset) == [0, 64] && file.manifest.tensors.map(\.length) == [8, 0])
        #expect(file.header.dataLength == 64)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count == Int(file.header.dataOffset) + 64 && bytes.suffix(56).allSatisfy { $0 == 0 })
        try file.validate()
        #expect(Validator.validateFile(bnmPath: path).findings.filter { $0.code.rawValue.hasPrefix("FILE") }.isEmpty)
        // Ending the file at the last tensor *byte* instead leaves the empty entry outside it.
        var header = file.header
        header.dataLength = 8
        let cut = header.encoded + bytes[64..<(Int(file.header.dataOffset) + 8)]
        guard case .extentOutOfBounds(_, "kept/empty", 64, 0, 8)? = openError(try folder.file("c.bnm", Array(cut))) else {
            Issue.record("data_length 8 accepted"); return
        }
    }

    // MARK: 6. Text-mode damage, exactly the table

    @Test("6. each documented damage pattern is FILE007; near misses and short files are not", arguments: [
        ([0x09, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A], "high bit"),
        ([0x09, 0x42, 0x4E, 0x4D, 0x0A, 0x1A, 0x0A, 0x01], "high bit"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x1A, 0x0A, 0x01], "CR LF was converted to LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A], "LF was converted to CR LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A, 0x01], "LF was converted to CR LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x1A, 0x0D, 0x01], "converted to CR"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x1A, 0x0D], "converted to CR"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x0A, 0x1A, 0x0A], "converted to LF"),
    ] as [([UInt8], String)])
    func textModePatterns(start: [UInt8], detail: String) throws {
        defer { folder.remove() }
        let bytes = start + [UInt8](repeating: 0x20, count: 100)
        guard case .textModeDamage(_, let found)? = openError(try folder.file("t.bnm", bytes)) else { Issue.record("not detected"); return }
        #expect(found.contains(detail))
        #expect(try fileFindings(bytes).codes == [.file007])
    }

    @Test("6. near misses are bad magic, a file shorter than its pattern too", arguments: [
        [0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x1A, 0x0B],  // CR LF → LF, but the last byte is not LF
        [0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0B],
        [0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x1A],  // the whole file: the pattern's last byte is missing
        [0x89, 0x42, 0x4E, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A],
        [0x0A, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A],
    ] as [[UInt8]])
    func notTextModeDamage(bytes: [UInt8]) throws {
        defer { folder.remove() }
        guard case .badMagic? = openError(try folder.file("t.bnm", bytes)) else { Issue.record("not .badMagic"); return }
    }

    // MARK: 7. dense on a map; 11. multiply shapes

    /// A model `inputs → op` written and validated; the codes of the findings at layer "op".
    func findings(inputs: [[Int]], op: LayerOp, tensors: [NamedTensor] = []) throws -> [FindingCode] {
        let names = inputs.indices.map { "in\($0)" }
        let layers = zip(names, inputs).map { Layer(name: $0, op: .input(shape: $1), outputShape: $1) }
            + [Layer(name: "op", op: op, inbound: names, tensors: tensors)]
        let model = Model(name: "m", inputs: names, outputs: ["op"], layers: layers, provenance: Provenance(sourceFormat: "test"))
        let path = folder.path("m.bnm")
        try BNMWriter.write(model, to: path)
        _ = try BNMFile(path: path)  // structure is the reader's; shapes are validation's
        let result = Validator.validateFile(bnmPath: path)
        #expect(result.unusable == nil)
        return result.findings.filter { $0.location.layer == "op" }.map(\.code)
    }

    @Test("7. dense reads a vector; on a [C, H, W] map it is CH009, not an implicit flatten")
    func denseOnMap() throws {
        defer { folder.remove() }
        let kernel = [NamedTensor(role: .kernel, tensor: TestModels.floatTensor([Float](repeating: 0.5, count: 8), [1, 8]))]
        let dense = LayerOp.dense(DenseConfig(units: 1, useBias: false))
        #expect(try findings(inputs: [[2, 2, 2]], op: dense, tensors: kernel) == [.ch009])
        #expect(try findings(inputs: [[8]], op: dense, tensors: kernel) == [])
    }

    @Test("11. multiply: equal shapes, or [C, 1, 1] gates of a [C, H, W] map; nothing else")
    func multiplyShapes() throws {
        defer { folder.remove() }
        for legal in [[[3, 2, 2], [3, 2, 2]], [[3, 2, 2], [3, 1, 1]], [[3, 1, 1], [3, 2, 2], [3, 1, 1]], [[5], [5]], [[3, 1, 1], [3, 1, 1]]] {
            #expect(try findings(inputs: legal, op: .multiply) == [], "\(legal)")
        }
        for illegal in [[[3, 2, 2], [1, 2, 2]], [[3, 2, 2], [3]], [[3, 2, 2], [1, 1, 1]], [[3, 2, 2], [3, 2, 1]],
                        [[6], [3, 1, 1]], [[4, 2], [4, 1]]] {
            #expect(try findings(inputs: illegal, op: .multiply) == [.ch009], "\(illegal)")
        }
    }

    // MARK: 8. keras_output_layouts is the tools' business, not the reader's

    @Test("8. provenance.extra, keras_output_layouts included, is not checked by the reader")
    func kerasOutputLayoutsNotChecked() throws {
        defer { folder.remove() }
        let bytes = try forge.setting(["provenance", "extra", "keras_output_layouts"], to: .object(["dense": 5, "nope": "x"]))
        let file = try BNMFile(path: try folder.file("k.bnm", bytes))
        try file.validate()
        #expect(try fileFindings(bytes) == ([], nil))
    }

    // MARK: 9. hard_swish, clipped_relu; 10. rescale

    /// Runs a one-layer model `x → op` read back from a `.bnm` on `values` ([F] per sample).
    func run(_ op: LayerOp, _ values: [Float]) throws -> [Float] {
        let model = Model(name: "m", inputs: ["x"], outputs: ["op"],
                          layers: [Layer(name: "x", op: .input(shape: [values.count]), outputShape: [values.count]),
                                   Layer(name: "op", op: op, inbound: ["x"], outputShape: [values.count])],
                          provenance: Provenance(sourceFormat: "test"))
        let path = folder.path("a.bnm")
        try BNMWriter.write(model, to: path)
        let read = try BNMFile(path: path).model(verifyChecksums: true)
        let output = try ReferenceInterpreter(model: read).run(inputs: ["x": NDArray(shape: [1, values.count], values: values)])
        return try #require(output["op"]).values
    }

    @Test("9. hard_swish and clipped_relu follow FORMAT.md's formulas")
    func activationFormulas() throws {
        defer { folder.remove() }
        let xs: [Float] = [-5, -3, -1.5, -0.25, 0, 0.5, 1, 2.5, 3, 4, 6, 7.25]
        let hardSwish = xs.map { x in Float(Double(x) * min(max(Double(x) + 3, 0), 6) / 6) }
        #expect(try run(.activation(.hardSwish), xs) == hardSwish)
        for (maxValue, slope, threshold) in [(6.0 as Double?, 0.0, 0.0), (nil, 0.1, 1.0), (4.0, 0.5, -1.0), (2.5, 0.2, 2.5)] {
            let expected = xs.map { value -> Float in
                let x = Double(value)
                if let maxValue, x >= maxValue { return Float(maxValue) }
                return Float(x >= threshold ? x : slope * (x - threshold))
            }
            let op = LayerOp.activation(.clippedRelu(maxValue: maxValue, negativeSlope: slope, threshold: threshold))
            #expect(try run(op, xs) == expected, "max \(String(describing: maxValue)), slope \(slope), threshold \(threshold)")
        }
    }

    @Test("10. rescale rounds scale and offset to float32, then multiplies and adds in float32")
    func rescaleInFloat32() throws {
        defer { folder.remove() }
        let scale = 1.0 / 255.0, offset = -0.1
        let xs: [Float] = (0..<256).map { Float($0) }
        let expected = xs.map { x -> Float in
            let product = x * Float(scale)  // rounded to float32
            return product + Float(offset)  // rounded again: no fused multiply-add
        }
        let produced = try run(.rescale(scale: scale, offset: offset), xs)
        #expect(produced.map(\.bitPattern) == expected.map(\.bitPattern))
        // The decision is visible: computing in double and rounding once differs for some pixels.
        let inDouble = xs.map { Float(Double($0) * scale + offset) }
        #expect(inDouble != expected)
    }
}

extension JSONValue {
    /// A copy with the member at `path` replaced (a test helper for several edits at once).
    func setting(_ path: [JSONPathElement], _ value: JSONValue) throws -> JSONValue {
        guard let first = path.first else { return value }
        switch (self, first) {
        case (.object(var object), .key(let key)):
            object[key] = try (object[key] ?? .null).setting(Array(path.dropFirst()), value)
            return .object(object)
        case (.array(var array), .index(let index)):
            array[index] = try array[index].setting(Array(path.dropFirst()), value)
            return .array(array)
        default:
            throw CocoaError(.coderInvalidValue)
        }
    }
}
