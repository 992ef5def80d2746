import BNModel
import Foundation
import JSONSchema
@testable import KerasHDF5
import Testing

/// What `Fixtures/defects/expected.json` (scripts/fixtures/defects.py) says one planted-defect
/// Keras file must give.
struct ExpectedKerasDefect: CustomTestStringConvertible, Sendable {
    var file: String
    var defect: String
    var unusable: Bool
    /// Findings as comparable lines: "CODE severity layer=… tensor=… index=…", sorted.
    var findings: [String]

    var testDescription: String { "\(file): \(defect)" }

    static let folder = "Fixtures/defects"

    static let all: [ExpectedKerasDefect] = {
        guard let url = Bundle.module.url(forResource: "expected", withExtension: "json", subdirectory: folder) else {
            return []
        }
        do {
            let json = try JSONValue.parse(Array(try Data(contentsOf: url)))
            return (json["files"]?.arrayValue ?? []).map { entry in
                ExpectedKerasDefect(file: entry["file"]?.stringValue ?? "?", defect: entry["defect"]?.stringValue ?? "",
                                    unusable: entry["unusable"]?.boolValue ?? false,
                                    findings: (entry["findings"]?.arrayValue ?? []).map(key).sorted())
            }
        } catch {
            return []
        }
    }()

    static func key(_ json: JSONValue) -> String {
        key(code: json["code"]?.stringValue ?? "?", severity: json["severity"]?.stringValue ?? "?",
            layer: json["layer"]?.stringValue, tensor: json["tensor"]?.stringValue, index: json["index"]?.intValue.map { Int($0) })
    }

    static func key(_ finding: Finding) -> String {
        key(code: finding.code.rawValue, severity: finding.severity.rawValue, layer: finding.location.layer,
            tensor: finding.location.tensor, index: finding.location.index)
    }

    static func key(code: String, severity: String, layer: String?, tensor: String?, index: Int?) -> String {
        "\(code) \(severity) layer=\(layer ?? "-") tensor=\(tensor ?? "-") index=\(index.map(String.init) ?? "-")"
    }

    var path: String {
        Bundle.module.url(forResource: file, withExtension: nil, subdirectory: Self.folder)?.path ?? "\(Self.folder)/\(file) missing"
    }
}

@Suite("Validation of Keras .h5 files")
struct ValidationTests {
    @Test("the corpus holds every defect the issue names")
    func corpusIsComplete() {
        #expect(ExpectedKerasDefect.all.count >= 15, "expected.json not found or short")
        let codes = Set(ExpectedKerasDefect.all.flatMap(\.findings).map { String($0.prefix { $0 != " " }) })
        // negative variance, NaN gamma, BN size ≠ filters, H/W swapped, Dense in-features,
        // missing moving_variance, extra weight, epsilon 0 — plus the rest of the table.
        for code in ["BN005", "VAL001", "BN003", "BN004", "CH003", "BN001", "CH006", "BN006",
                     "BN007", "BN008", "CH001", "CH002", "CH004"] {
            #expect(codes.contains(code), "no .h5 defect yields \(code)")
        }
    }

    @Test("each planted defect yields exactly its expected findings", arguments: ExpectedKerasDefect.all)
    func exactFindings(_ defect: ExpectedKerasDefect) {
        let result = KerasValidation.validate(path: defect.path, options: KerasImportOptions())
        #expect((result.unusable != nil) == defect.unusable, "unusable: \(result.unusable ?? "no")")
        if defect.unusable { #expect(result.findings.isEmpty) }
        let found = result.findings.map(ExpectedKerasDefect.key).sorted()
        #expect(found == defect.findings, "all findings:\n\(result.findings.map(\.description).joined(separator: "\n"))")
        for finding in result.findings {
            #expect(finding.location.file == defect.path)
            #expect(!finding.message.isEmpty && !finding.hint.isEmpty)
        }
    }

    @Test("every clean fixture yields no error finding", arguments: KerasFixture.convertible)
    func cleanFixtures(_ fixture: KerasFixture) {
        let options = KerasImportOptions(architectureJSON: fixture.configText)
        let result = KerasValidation.validate(path: KerasFixture.path(fixture.file), options: options)
        #expect(result.unusable == nil, "\(result.unusable ?? "")")
        let errors = result.findings.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
        #expect(Finding.exitStatus(result.findings, strict: false) == 0)
    }

    @Test("a finding renders as one line and the list as a JSON array with every location part")
    func rendering() throws {
        let defect = try #require(ExpectedKerasDefect.all.first { $0.file == "negative_variance.h5" })
        let findings = KerasValidation.validate(path: defect.path, options: KerasImportOptions()).findings
        let finding = try #require(findings.first)
        #expect(!finding.description.contains("\n"))
        #expect(finding.description.hasPrefix("\(defect.path): layer 'bn', tensor 'moving_variance', index 2: error BN005: "))
        #expect(finding.message.contains("(in the file: moving_variance[2])"))
        let parsed = try JSONValue.parse(Array(Finding.jsonText(findings).utf8))
        let first = try #require(parsed[0])
        #expect(first["code"] == "BN005")
        #expect(first["severity"] == "error")
        #expect(first["location"]?["file"]?.stringValue == defect.path)
        #expect(first["location"]?["layer"] == "bn")
        #expect(first["location"]?["tensor"] == "moving_variance")
        #expect(first["location"]?["index"] == 2)
        #expect(first["hint"]?.stringValue?.isEmpty == false)
        #expect(Finding.exitStatus(findings, strict: false) == 1)
    }

    @Test("a native index is also given as coordinates in the Keras dataset")
    func kerasCoordinates() throws {
        let defect = try #require(ExpectedKerasDefect.all.first { $0.file == "inf_conv_kernel.h5" })
        let finding = try #require(KerasValidation.validate(path: defect.path, options: KerasImportOptions()).findings.first)
        // The planted inf is at HWIO [1, 2, 0, 3] of the Keras kernel: OIHW [3, 0, 1, 2], flat 86.
        #expect(finding.location.index == 86)
        #expect(finding.message.contains("kernel[3, 0, 1, 2] is inf"))
        #expect(finding.message.hasSuffix("(in the file: kernel[1, 2, 0, 3])"))
    }

    @Test("warnings fail only with --strict")
    func strictWarnings() throws {
        let defect = try #require(ExpectedKerasDefect.all.first { $0.file == "epsilon_small.h5" })
        let findings = KerasValidation.validate(path: defect.path, options: KerasImportOptions()).findings
        #expect(findings.map(\.severity) == [.warning])
        #expect(Finding.exitStatus(findings, strict: false) == 0)
        #expect(Finding.exitStatus(findings, strict: true) == 1)
    }

    @Test("importer shape errors map to the rule they break")
    func weightShapeCodes() {
        let code = KerasValidation.weightShapeCode
        #expect(code("BatchNormalization", "moving_mean", [4], [5]) == .bn003)
        #expect(code(nil, "gamma", [1, 6, 5, 4], [1, 5, 6, 4]) == .bn004)
        #expect(code(nil, "gamma", [1, 6, 5, 4], [1, 6, 5, 3]) == .bn003)
        #expect(code(nil, "gamma", [1, 6, 5, 4], [1, 6, 6, 4]) == .bn004)
        #expect(code("Dense", "kernel", [60, 8], [48, 8]) == .ch003)
        #expect(code("Dense", "kernel", [60, 8], [60, 7]) == .ch008)
        #expect(code("Conv2D", "kernel", [1, 1, 8, 8], [1, 1, 7, 8]) == .ch002)
        #expect(code("Conv2D", "kernel", [3, 3, 8, 8], [1, 1, 8, 8]) == .ch008)
        #expect(code("DepthwiseConv2D", "kernel", [2, 2, 8, 2], [2, 2, 8, 3]) == .ch004)
        #expect(code("DepthwiseConv2D", "depthwise_kernel", [2, 2, 8, 2], [2, 2, 7, 2]) == .ch002)
        #expect(code("SeparableConv2D", "pointwise_kernel", [1, 1, 16, 5], [1, 1, 8, 5]) == .ch004)
        #expect(code(nil, "weird", [1], [2]) == .ch008)
    }
}

@Suite("Validation of .bnm files converted from the Keras fixtures")
struct ValidationOfConvertedTests {
    @Test("every clean fixture converts to a .bnm whose file and model checks find no error", arguments: KerasFixture.convertible)
    func convertedFixtures(_ fixture: KerasFixture) throws {
        let imported = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                              options: KerasImportOptions(architectureJSON: fixture.configText))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("validation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { _ = try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.bnm").path
        try BNMWriter.write(imported.model, to: path)
        let result = Validator.validateFile(bnmPath: path)
        #expect(result.unusable == nil)
        #expect(result.findings.filter { $0.severity == .error }.isEmpty,
                "\(result.findings.map(\.description).joined(separator: "\n"))")
        // The IR rules see the same model whichever file it came from (tensor names aside).
        let fromKeras = Validator.validate(imported.model, file: "m").map { "\($0.code.rawValue) \($0.location.layer ?? "-")" }
        let fromBNM = result.findings.map { "\($0.code.rawValue) \($0.location.layer ?? "-")" }
        #expect(fromKeras == fromBNM)
    }
}
