import Foundation
import JSONSchema
import Testing

/// The Keras fixtures the fixture script wrote, as its `manifest.json` lists them.
struct KerasFixture: CustomTestStringConvertible, Sendable {
    var name: String
    var library: String
    var file: String
    var fileKind: String
    var config: String?
    var input: String?
    var expected: String?
    /// Keras' prediction for every model output, in output order.
    var expectedOutputs: [String]
    var inputShape: [Int]
    var outputShape: [Int]
    /// For a model the converter must refuse: text its error must contain.
    var refusal: String?

    var testDescription: String { "\(name) (\(file))" }

    static func path(_ file: String) -> String {
        Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    /// Every (fixture, file) pair: a fixture saved two ways is tested both ways.
    static let all: [KerasFixture] = {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path("manifest.json"))),
              let manifest = try? JSONValue.parse(data),
              let entries = manifest["fixtures"]?.arrayValue else { return [] }
        return entries.flatMap { entry -> [KerasFixture] in
            let files = entry["files"]?.arrayValue ?? []
            return files.map { file in
                KerasFixture(
                    name: entry["name"]?.stringValue ?? "?",
                    library: entry["library"]?.stringValue ?? "?",
                    file: file["file"]?.stringValue ?? "?",
                    fileKind: file["kind"]?.stringValue ?? "?",
                    config: entry["config"]?.stringValue,
                    input: entry["input"]?.stringValue,
                    expected: entry["expected"]?.stringValue,
                    expectedOutputs: entry["expected_outputs"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                    inputShape: entry["input_shape"]?.arrayValue?.compactMap(\.intValue).map { Int($0) } ?? [],
                    outputShape: entry["output_shape"]?.arrayValue?.compactMap(\.intValue).map { Int($0) } ?? [],
                    refusal: entry["refusal"]?.stringValue)
            }
        }
    }()

    /// The fixtures the converter must convert (all but those it must refuse).
    static let convertible = all.filter { $0.refusal == nil }
    /// The fixtures the converter must refuse, with a typed error.
    static let refused = all.filter { $0.refusal != nil }

    /// The architecture to pass with `--config`: only weights-only files need it (a full
    /// model and a `.keras` archive carry their own).
    var configText: String? {
        guard fileKind != "full_model_h5", fileKind != "keras_archive", let config else { return nil }
        return try? String(contentsOfFile: Self.path(config), encoding: .utf8)
    }
}
