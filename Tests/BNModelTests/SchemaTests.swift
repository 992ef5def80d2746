import Foundation
import JSONSchema
import Testing
@testable import BNModel

/// The schema embedded in the library is the file in schemas/, and the Swift JSONSchema
/// validator agrees with the typed decoder.
@Suite("Embedded manifest schema")
struct SchemaTests {
    @Test("BNMSchema.text is schemas/bnm.schema.json byte for byte (run scripts/embed_bnm_schema.py)")
    func embeddedMatchesFile() throws {
        let file = try String(contentsOf: Python.repositoryRoot.appendingPathComponent("schemas/bnm.schema.json"), encoding: .utf8)
        #expect(BNMSchema.text == file)
        _ = try BNMSchema.compiled.get()
    }

    @Test("every manifest we write conforms (Swift validator)")
    func writtenManifestsConform() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for (index, model) in ([TestModels.handMade()] + (0..<30).map { TestModels.random(seed: 1000 + $0) }).enumerated() {
            let path = folder.path("m\(index).bnm")
            try BNMWriter.write(model, to: path)
            let problems = try BNMSchema.validate(try BNMFile(path: path).manifest.json)
            #expect(problems.isEmpty, "model \(index): \(problems)")
        }
    }

    @Test("the Swift validator rejects what the decoder rejects")
    func rejects() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("m.bnm")
        try BNMWriter.write(TestModels.handMade(), to: path)
        let forge = try Forge(path: path)
        // A misaligned offset is not among them: alignment is reader rule 10 (`misaligned`,
        // FILE004), not the schema's, so that it keeps its own code (FormatDecisionTests).
        let cases: [([JSONPathElement], JSONValue?)] = [
            (["tensors", 0, "dtype"], "f8"), (["tensors", 0, "offset"], -64), (["model", "layers", 2, "attributes", "mode"], "global"),
            (["model", "layers", 1, "colour"], "blue"), (["tensors", 2, "crc32"], "DEADBEEF"), (["provenance"], nil),
        ]
        for (path, value) in cases {
            let bytes = try forge.setting(path, to: value)
            let manifestLength = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
            let json = try JSONValue.parse(bytes[64..<(64 + manifestLength)])
            #expect(try !BNMSchema.validate(json).isEmpty, "\(path) = \(String(describing: value)) accepted by the schema")
        }
    }
}
