import Foundation
import Testing
@testable import BNModel

/// The example file annotated in docs/FORMAT.md is what the writer produces, byte for byte.
/// Set BNM_UPDATE_FIXTURES=1 to regenerate it after an intended format change (then update the
/// hexdump in FORMAT.md from `xxd Tests/BNModelTests/Fixtures/example.bnm`).
@Suite("FORMAT.md example file")
struct FormatExampleTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("example.bnm")

    /// One dense layer, kernel [1, 2] f32 = [0.5, -0.0].
    static func exampleModel() throws -> Model {
        Model(name: "tiny", inputs: ["x"], outputs: ["fc"],
              layers: [Layer(name: "x", op: .input(shape: [2]), outputShape: [2]),
                       Layer(name: "fc", op: .dense(DenseConfig(units: 1, useBias: false)), inbound: ["x"],
                             tensors: [NamedTensor(role: .kernel, tensor: try Tensor(float32: [0.5, -0.0], shape: [1, 2]))],
                             outputShape: [1])],
              provenance: Provenance(sourceFormat: "example", sourceVersion: "", converterVersion: "0.1.0"))
    }

    @Test("the writer reproduces Fixtures/example.bnm exactly")
    func golden() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("example.bnm")
        try BNMWriter.write(try Self.exampleModel(), to: path)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        if ProcessInfo.processInfo.environment["BNM_UPDATE_FIXTURES"] != nil {
            try written.write(to: Self.fixture)
        }
        let expected = try Data(contentsOf: Self.fixture)
        #expect(written == expected, "writer output differs from Fixtures/example.bnm (format change?)")
        let file = try BNMFile(path: Self.fixture.path)
        try file.validate()
        #expect(try file.tensor(named: "fc/kernel").floats().map(\.bitPattern) == [Float(0.5).bitPattern, Float(-0.0).bitPattern])
    }
}
