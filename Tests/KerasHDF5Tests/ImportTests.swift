import BNModel
import Foundation
import HDF5
import JSONSchema
import KerasHDF5
import Testing

@Suite struct ImportTests {
    @Test func manifestListsFixtures() {
        #expect(KerasFixture.all.count >= 12)
    }

    /// A model the converter cannot represent is refused with a typed error naming the
    /// reason, never converted into something that computes a different function.
    @Test(arguments: KerasFixture.refused)
    func refusedWithAReason(_ fixture: KerasFixture) throws {
        do {
            _ = try KerasImporter.read(path: KerasFixture.path(fixture.file), options: KerasImportOptions(architectureJSON: fixture.configText))
            Issue.record("\(fixture.name) was converted")
        } catch let error as KerasError {
            #expect(error.description.contains(fixture.refusal ?? "?"), "\(error)")
        }
    }

    /// A flattened map as the model's output: the converter records Keras' order, warns, and
    /// verify compares in Keras' order (ParityTests proves the values).
    @Test func flattenedOutputIsRecordedAndWarned() throws {
        let imported = try KerasImporter.read(path: KerasFixture.path("flatten_output.h5"))
        #expect(imported.warnings.contains { $0.contains("output 'flatten'") && $0.contains("H, W, C") }, "\(imported.warnings)")
        #expect(imported.model.provenance.extra["keras_output_layouts"]?["flatten"]?["flatten_order"] != .null)
    }

    @Test(arguments: KerasFixture.convertible)
    func importsWithExpectedOutputShape(_ fixture: KerasFixture) throws {
        let result = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                            options: KerasImportOptions(architectureJSON: fixture.configText))
        let model = result.model
        let outputName = try #require(model.outputs.first)
        let output = try #require(model.layer(named: outputName))
        #expect(output.outputShape.map { [fixture.inputShape[0]] + $0 } == fixture.outputShape
                || output.outputShape == Array(fixture.outputShape.dropFirst()),
                "\(output.name): \(output.outputShape ?? []) vs \(fixture.outputShape)")
        #expect(result.warnings.allSatisfy { $0.contains("flattened map") }, "\(result.warnings)")
    }
}

/// A softmax fused into a layer acts on Keras' last axis, the channels of a channels_last map:
/// natively that is axis 1, not W (axis −1 of NCHW).
@Suite struct FusedActivationTests {
    @Test func fusedSoftmaxOnAConvRunsOverChannels() throws {
        let config = try String(contentsOfFile: KerasFixture.path("conv_bn_relu.config.json"), encoding: .utf8)
        let firstActivation = try #require(config.range(of: "\"activation\": \"linear\""))
        let softmaxConv = config.replacingCharacters(in: firstActivation, with: "\"activation\": \"softmax\"")
        let model = try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5"),
                                           options: KerasImportOptions(architectureJSON: softmaxConv)).model
        let conv = try #require(model.layer(named: "conv"))
        guard case let .conv2d(settings) = conv.op else { Issue.record("conv is \(conv.op)"); return }
        #expect(settings.activation == .softmax(axis: 1))
    }
}
