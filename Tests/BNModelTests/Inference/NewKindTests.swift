import Foundation
import Testing
@testable import BNModel

/// The kinds added on the layer-kind descriptions: grouped conv2d and layer_norm. Each is
/// checked by hand-computed numbers, its shape and tensor rules, and a trip through a `.bnm`.
@Suite("Grouped convolution and layer normalisation")
struct NewKindTests {
    @Test("grouped conv2d: filter o reads only the input channels of group o / (filters / groups)")
    func groupedConvolution() throws {
        // 4 input channels holding 1, 10, 100, 1000; groups 2, 2 filters of 1×1 with weights
        // [1, 2] (group 0: channels 0, 1) and [3, 4] (group 1: channels 2, 3):
        // 1·1 + 2·10 = 21 and 3·100 + 4·1000 = 4300. Without groups the kernel would need 4 inputs.
        let model = Hand.chain(input: [4, 1, 1], [
            Layer(name: "g", op: .conv2d(Conv2DConfig(filters: 2, kernelSize: [1, 1], useBias: false, groups: 2)),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.tensor([1, 2, 3, 4], [2, 2, 1, 1]))]),
        ])
        let inferred = try ShapeInference.infer(model)
        #expect(inferred.layers[1].outputShape == [2, 1, 1])
        let output = try Hand.run(inferred, NDArray(shape: [1, 4, 1, 1], values: [1, 10, 100, 1000]))
        #expect(output.values == [21, 4300])
    }

    @Test("grouped conv2d rules: groups divides filters and input channels; the kernel holds C / groups inputs")
    func groupedConvolutionRules() throws {
        let config = Conv2DConfig(filters: 6, kernelSize: [3, 3], groups: 3)
        #expect(try ShapeInference.outputShape(of: .conv2d(config), inputs: [[9, 5, 5]]) == [6, 3, 3])
        #expect(throws: ShapeError.invalidAttribute(layer: "", kind: "conv2d", field: "groups", message: "4 does not divide the input's 9 channels")) {
            try ShapeInference.outputShape(of: .conv2d(Conv2DConfig(filters: 8, kernelSize: [1, 1], groups: 4)), inputs: [[9, 5, 5]])
        }
        #expect(throws: ShapeError.invalidAttribute(layer: "", kind: "conv2d", field: "groups", message: "must divide filters = 6, got 4")) {
            try ShapeInference.outputShape(of: .conv2d(Conv2DConfig(filters: 6, kernelSize: [1, 1], groups: 4)), inputs: [[8, 5, 5]])
        }
        // A kernel with all 9 input channels is an ordinary convolution's, not this one's.
        let wrong = Hand.chain(input: [9, 5, 5], [
            Layer(name: "g", op: .conv2d(config), tensors: [NamedTensor(role: .kernel, tensor: Hand.filled([6, 9, 3, 3])),
                                                              NamedTensor(role: .bias, tensor: Hand.filled([6]))]),
        ])
        #expect(throws: ShapeError.tensorShape(layer: "g", kind: "conv2d", role: "kernel", shape: [6, 9, 3, 3], expected: [6, 3, 3, 3],
                                               layout: "OIHW [filters, inChannels / groups, kh, kw]")) {
            try ShapeInference.infer(wrong)
        }
        let findings = Validator.validate(wrong, file: "m.bnm")
        #expect(findings.map(\.code) == [.ch002])
    }

    @Test("layer_norm normalises the channels of each position, then gamma and beta per channel")
    func layerNormalization() throws {
        // Position 0 holds channels 1, 3 (mean 2, variance 1); position 1 holds 4, 4 (variance 0).
        // epsilon 0 would divide by zero at position 1, so 1e-3: y = (x − 2)/sqrt(1.001)·gamma + beta.
        let model = Hand.chain(input: [2, 1, 2], [
            Layer(name: "ln", op: .layerNorm(LayerNormConfig(epsilon: 1e-3)),
                  tensors: [NamedTensor(role: .gamma, tensor: Hand.tensor([2, 3], [1, 2, 1, 1])),
                            NamedTensor(role: .beta, tensor: Hand.tensor([0.5, -1], [1, 2, 1, 1]))]),
        ])
        let output = try Hand.run(try ShapeInference.infer(model), NDArray(shape: [1, 2, 1, 2], values: [1, 4, 3, 4]))
        let scale = 1 / (1.001).squareRoot()
        // NCHW order: channel 0 at positions 0, 1, then channel 1.
        let expected: [Double] = [-scale * 2 + 0.5, 0.5, scale * 3 - 1, -1]
        #expect(output.shape == [1, 2, 1, 2])
        for (value, want) in zip(output.values, expected) { #expect(abs(Double(value) - want) < 1e-6) }

        // Without gamma and beta (Keras scale=False, center=False): gamma 1, beta 0.
        let bare = Hand.chain(input: [2], [Layer(name: "ln", op: .layerNorm(LayerNormConfig(epsilon: 1e-3)))])
        let plain = try Hand.run(try ShapeInference.infer(bare), NDArray(shape: [1, 2], values: [1, 3]))
        #expect(abs(Double(plain.values[0]) + scale) < 1e-6 && abs(Double(plain.values[1]) - scale) < 1e-6)
    }

    @Test("layer_norm rules: epsilon > 0, parameters [1, C, 1, 1]")
    func layerNormRules() throws {
        #expect(throws: ShapeError.invalidAttribute(layer: "", kind: "layer_norm", field: "epsilon", message: "must be finite and > 0, got 0.0")) {
            try ShapeInference.outputShape(of: .layerNorm(LayerNormConfig(epsilon: 0)), inputs: [[4, 2, 2]])
        }
        let wrong = Hand.chain(input: [4, 2, 2], [
            Layer(name: "ln", op: .layerNorm(LayerNormConfig(epsilon: 1e-6)), tensors: [NamedTensor(role: .gamma, tensor: Hand.filled([4]))]),
        ])
        #expect(throws: ShapeError.tensorShape(layer: "ln", kind: "layer_norm", role: "gamma", shape: [4], expected: [1, 4, 1, 1],
                                               layout: "per channel [1, C, 1, 1]")) {
            try ShapeInference.infer(wrong)
        }
        #expect(Validator.validate(wrong, file: "m.bnm").map(\.code) == [.ch008])
    }

    @Test("both kinds survive a .bnm, and groups is written only when it is not 1")
    func manifestRoundTrip() throws {
        let model = Hand.chain(input: [4, 3, 3], [
            Layer(name: "plain", op: .conv2d(Conv2DConfig(filters: 4, kernelSize: [1, 1], useBias: false)),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.ramp([4, 4, 1, 1]))]),
            Layer(name: "grouped", op: .conv2d(Conv2DConfig(filters: 4, kernelSize: [1, 1], useBias: false, groups: 2)),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.ramp([4, 2, 1, 1]))]),
            Layer(name: "ln", op: .layerNorm(LayerNormConfig(epsilon: 1e-6)),
                  tensors: [NamedTensor(role: .beta, tensor: Hand.ramp([1, 4, 1, 1]))]),
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("newkinds-\(getpid()).bnm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BNMWriter.write(try ShapeInference.infer(model), to: path)
        let file = try BNMFile(path: path)
        let layers = try file.model().layers
        #expect(layers.map(\.op) == model.layers.map(\.op))
        guard case .array(let written)? = file.manifest.json["model"]?["layers"] else { Issue.record("no layers"); return }
        #expect(written[1]["attributes"]?["groups"] == nil)
        #expect(written[2]["attributes"]?["groups"] == .int(2))
        #expect(Validator.validate(bnmPath: path).isEmpty)
    }
}
