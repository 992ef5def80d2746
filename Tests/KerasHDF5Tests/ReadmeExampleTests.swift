import BNConvert
import Foundation
import Testing

// README-EXAMPLE-BEGIN
/// Converts a Keras file to `.bnm` and describes its batch-norm layers.
func convertAndDescribeBatchNorms(keras: String, bnm: String) throws -> [String] {
    let imported = try KerasImporter.read(path: keras)
    imported.warnings.forEach { print("warning:", $0) }
    var lines: [String] = []
    for layer in imported.model.layers {
        if case let .batchNorm(config) = layer.op, let gamma = layer.tensor(.gamma) {
            lines.append("\(layer.name): \(config.mode.rawValue), epsilon \(config.epsilon), gamma \(gamma.shape)")
        }
    }
    try BNMWriter.write(imported.model, to: bnm)
    try BNMFile(path: bnm).verifyChecksums()
    return lines
}
// README-EXAMPLE-END

/// The README's library example is this file's code, compiled and run here, so it cannot go stale.
@Suite struct ReadmeExampleTests {
    @Test func readmeShowsThisExample() throws {
        let readme = try String(contentsOf: Paths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let begin = try #require(source.range(of: "// README-EXAMPLE-BEGIN\n"))
        let end = try #require(source.range(of: "// README-EXAMPLE-END"))
        let example = String(source[begin.upperBound..<end.lowerBound])
        #expect(readme.contains(example), "README.md must contain the example exactly as in \(#filePath)")
    }

    @Test func exampleRuns() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString).bnm").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let lines = try convertAndDescribeBatchNorms(keras: KerasFixture.path("per_activation_bn_full.h5"), bnm: output)
        #expect(lines == ["bn: per_activation, epsilon 0.001, gamma [1, 4, 6, 5]"])
    }
}

enum Paths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
