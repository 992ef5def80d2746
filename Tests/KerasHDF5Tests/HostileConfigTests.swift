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
