import BNModel
import Foundation
import KerasHDF5
import Testing

/// An architecture is data from the user's file: impossible values give a typed error naming
/// the layer and field, never a trap (a stride of 0 would otherwise divide by zero).
@Suite struct HostileConfigTests {
    static let cases: [(String, String, String)] = [
        ("zero strides", "\"strides\": [1, 1]", "\"strides\": [0, 0]"),
        ("negative kernel", "\"kernel_size\": [3, 3]", "\"kernel_size\": [-3, 3]"),
        ("zero filters", "\"filters\": 4", "\"filters\": 0"),
        ("zero units", "\"units\": 3", "\"units\": 0"),
        ("batch-norm over the batch axis", "\"axis\": -1", "\"axis\": 0"),
        ("batch-norm axis past the rank", "\"axis\": -1", "\"axis\": 9"),
        ("negative input size", "\"batch_shape\": [null, 6, 5, 3]", "\"batch_shape\": [null, -6, 5, 3]"),
        ("huge input size", "\"batch_shape\": [null, 6, 5, 3]", "\"batch_shape\": [null, 9223372036854775807, 5, 3]"),
        ("string where a number belongs", "\"filters\": 4", "\"filters\": \"four\""),
        ("unknown padding", "\"padding\": \"same\"", "\"padding\": \"reflect\""),
    ]

    @Test(arguments: cases.map(\.0))
    func impossibleValueIsATypedError(_ name: String) throws {
        let (_, original, replacement) = try #require(Self.cases.first { $0.0 == name })
        let config = try String(contentsOfFile: KerasFixture.path("conv_bn_relu.config.json"), encoding: .utf8)
        #expect(config.contains(original), "the fixture no longer holds \(original)")
        let hostile = config.replacingOccurrences(of: original, with: replacement)
        #expect(throws: KerasError.self) {
            try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5"), options: KerasImportOptions(architectureJSON: hostile))
        }
    }
}

/// A configuration whose shapes do not chain is a model defect (CH009 at the layer), not an
/// unusable file.
@Suite struct ShapeDefectTests {
    @Test func windowLargerThanInputIsCH009() throws {
        let config = try String(contentsOfFile: KerasFixture.path("conv_bn_relu.config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"padding\": \"same\"", with: "\"padding\": \"valid\"")
            .replacingOccurrences(of: "\"batch_shape\": [null, 6, 5, 3]", with: "\"batch_shape\": [null, 2, 2, 3]")
        let result = KerasValidation.validate(path: KerasFixture.path("conv_bn_relu.h5"), options: KerasImportOptions(architectureJSON: config))
        #expect(result.unusable == nil)
        #expect(result.findings.map(\.code) == [.ch009])
        #expect(result.findings.first?.location.layer == "conv")
    }
}

@Suite struct RefusalMessageTests {
    /// A damaged `.keras` archive, or a zip that is not one, is a typed error naming the file.
    @Test(arguments: [
        ("PK\u{03}\u{04}rest of a zip archive", "a zip archive that cannot be read"),
    ])
    func brokenArchiveIsATypedError(_ content: String, _ expected: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).keras").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(content.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try KerasImporter.read(path: path)
            Issue.record("a broken archive was read")
        } catch let error as KerasError {
            #expect(error.description.hasPrefix(path) && error.description.contains(expected), "\(error)")
        }
    }

    /// A real zip that lacks the weights member says which member is missing.
    @Test func archiveWithoutWeightsNamesTheMissingMember() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("{}".utf8).write(to: folder.appendingPathComponent("config.json"))
        let archive = folder.appendingPathComponent("model.keras").path
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zip.arguments = ["python3", "-m", "zipfile", "-c", archive, "config.json"]
        zip.currentDirectoryURL = folder
        try zip.run()
        zip.waitUntilExit()
        try #require(zip.terminationStatus == 0)
        #expect {
            try KerasImporter.read(path: archive)
        } throws: { error in
            "\(error)".hasPrefix(archive) && "\(error)".contains("without model.weights.h5")
        }
    }

    /// Batch renormalisation keeps training-only statistics: refused, naming the option.
    @Test func renormIsRefusedByName() throws {
        let config = try String(contentsOfFile: KerasFixture.path("conv_bn_relu.config.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"renorm\": false", with: "\"renorm\": true")
        #expect(config.contains("\"renorm\": true"))
        do {
            _ = try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5"), options: KerasImportOptions(architectureJSON: config))
            Issue.record("renorm was converted")
        } catch let error as KerasError {
            #expect(error.description.contains("renorm=True"), "\(error)")
        }
    }

    /// A layer carried over unmapped is reported by validation as a warning (CH012).
    @Test func unmappedLayerIsAWarningFinding() throws {
        var model = try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5")).model
        let index = try #require(model.layers.firstIndex { $0.name == "relu" })
        model.layers[index].op = .unmapped(className: "PReLU", config: .object([:]))
        let findings = Validator.validate(model, file: "m")
        #expect(findings.contains { $0.code == .ch012 && $0.location.layer == "relu" && $0.severity == .warning }, "\(findings)")
    }
}

@Suite struct MismatchedConfigTests {
    /// A --config that is not the architecture the weights were saved from says so.
    @Test func wrongArchitectureForAWeightsFile() throws {
        let config = try String(contentsOfFile: KerasFixture.path("nested_tfkeras.config.json"), encoding: .utf8)
        do {
            _ = try KerasImporter.read(path: KerasFixture.path("per_activation_bn.h5"), options: KerasImportOptions(architectureJSON: config))
            Issue.record("a mismatched architecture was accepted")
        } catch let error as KerasError {
            #expect(error.description.contains("does not match"), "\(error)")
        }
    }
}
