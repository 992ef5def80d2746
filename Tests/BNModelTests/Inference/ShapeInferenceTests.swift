import Testing
@testable import BNModel

@Suite("Shape inference")
struct ShapeInferenceTests {
    @Test("conv output size follows floor((H + top + bottom − d·(k−1) − 1)/s) + 1")
    func convOutputSize() throws {
        // TF "same" 3×3 stride 2 on 4×4 pads [0, 1, 0, 1]: (4 + 1 − 2 − 1)/2 + 1 = 2.
        let same = Conv2DConfig(filters: 8, kernelSize: [3, 3], strides: [2, 2], padding: [0, 1, 0, 1])
        #expect(try ShapeInference.outputShape(of: .conv2d(same), inputs: [[3, 4, 4]]) == [8, 2, 2])
        // Dilation 2 on a 3×3 kernel spans 5: 7 − 5 + 1 = 3; width 9 with stride 2: (9 − 5)/2 + 1 = 3.
        let dilated = Conv2DConfig(filters: 2, kernelSize: [3, 3], strides: [1, 2], dilation: [2, 2])
        #expect(try ShapeInference.outputShape(of: .conv2d(dilated), inputs: [[1, 7, 9]]) == [2, 3, 3])
        let depthwise = DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [3, 3], padding: [1, 1, 1, 1])
        #expect(try ShapeInference.outputShape(of: .depthwiseConv2d(depthwise), inputs: [[3, 5, 6]]) == [6, 5, 6])
        let separable = SeparableConv2DConfig(filters: 4, depthMultiplier: 3, kernelSize: [2, 2])
        #expect(try ShapeInference.outputShape(of: .separableConv2d(separable), inputs: [[3, 5, 6]]) == [4, 4, 5])
    }

    @Test("pooling, global pooling, padding, flatten, reshape, dense")
    func otherShapes() throws {
        let pool = Pool2DConfig(poolSize: [2, 2], strides: [2, 2])
        #expect(try ShapeInference.outputShape(of: .maxPool2d(pool), inputs: [[3, 5, 7]]) == [3, 2, 3])
        let samePool = Pool2DConfig(poolSize: [2, 2], strides: [2, 2], padding: [0, 1, 0, 1])
        #expect(try ShapeInference.outputShape(of: .avgPool2d(samePool), inputs: [[3, 5, 7]]) == [3, 3, 4])
        #expect(try ShapeInference.outputShape(of: .globalAvgPool2d(keepDims: false), inputs: [[5, 3, 3]]) == [5])
        #expect(try ShapeInference.outputShape(of: .globalMaxPool2d(keepDims: true), inputs: [[5, 3, 3]]) == [5, 1, 1])
        #expect(try ShapeInference.outputShape(of: .zeroPadding2d(padding: [1, 2, 3, 4]), inputs: [[2, 3, 3]]) == [2, 6, 10])
        #expect(try ShapeInference.outputShape(of: .flatten, inputs: [[4, 3, 2]]) == [24])
        #expect(try ShapeInference.outputShape(of: .reshape(targetShape: [2, 12]), inputs: [[4, 3, 2]]) == [2, 12])
        #expect(try ShapeInference.outputShape(of: .reshape(targetShape: [-1, 6]), inputs: [[24]]) == [4, 6])
        #expect(try ShapeInference.outputShape(of: .dense(DenseConfig(units: 10)), inputs: [[48]]) == [10])
        #expect(try ShapeInference.outputShape(of: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3)), inputs: [[7]]) == [7])
        #expect(try ShapeInference.outputShape(of: .activation(.relu), inputs: [[2, 3, 4]]) == [2, 3, 4])
        #expect(try ShapeInference.outputShape(of: .dropout(rate: 0.5), inputs: [[9]]) == [9])
    }

    @Test("concatenate axis counts the batch; negative counts from the end; add needs equal shapes")
    func concatenateAndAdd() throws {
        #expect(try ShapeInference.outputShape(of: .concatenate(axis: 1), inputs: [[2, 4, 4], [3, 4, 4]]) == [5, 4, 4])
        #expect(try ShapeInference.outputShape(of: .concatenate(axis: -1), inputs: [[2, 4, 4], [2, 4, 1]]) == [2, 4, 5])
        #expect(try ShapeInference.outputShape(of: .concatenate(axis: 3), inputs: [[2, 4, 4], [2, 4, 1]]) == [2, 4, 5])
        #expect(try ShapeInference.outputShape(of: .concatenate(axis: -1), inputs: [[3], [5]]) == [8])
        #expect(throws: ShapeError.concatenateAxis(layer: "", axis: 0, rank: 3)) {
            try ShapeInference.outputShape(of: .concatenate(axis: 0), inputs: [[2, 4, 4], [3, 4, 4]])
        }
        #expect(throws: ShapeError.concatenateShapes(layer: "", axis: 1, shapes: [[2, 4, 4], [3, 4, 5]])) {
            try ShapeInference.outputShape(of: .concatenate(axis: 1), inputs: [[2, 4, 4], [3, 4, 5]])
        }
        #expect(try ShapeInference.outputShape(of: .add, inputs: [[2, 4, 4], [2, 4, 4]]) == [2, 4, 4])
        #expect(throws: ShapeError.addShapes(layer: "", shapes: [[2, 4, 4], [2, 4, 3]])) {
            try ShapeInference.outputShape(of: .add, inputs: [[2, 4, 4], [2, 4, 3]])
        }
    }

    @Test("errors name the layer and what did not fit")
    func errors() throws {
        let conv = Conv2DConfig(filters: 2, kernelSize: [5, 5])
        let tooLarge = ShapeError.windowLargerThanInput(layer: "c1", kind: "conv2d", axis: "height", paddedInput: 4, window: 5)
        #expect(throws: tooLarge) { try ShapeInference.outputShape(of: .conv2d(conv), named: "c1", inputs: [[1, 4, 8]]) }
        #expect(tooLarge.description == "conv2d 'c1': the window spans 5 pixels in height but the padded input has only 4")
        #expect(throws: ShapeError.inputRank(layer: "c1", kind: "conv2d", expected: "a [C, H, W] feature map", shape: [16])) {
            try ShapeInference.outputShape(of: .conv2d(conv), named: "c1", inputs: [[16]])
        }
        #expect(throws: ShapeError.inputCount(layer: "c1", kind: "conv2d", expected: "exactly 1", actual: 2)) {
            try ShapeInference.outputShape(of: .conv2d(conv), named: "c1", inputs: [[1, 8, 8], [1, 8, 8]])
        }
        let zeroStride = Conv2DConfig(filters: 2, kernelSize: [1, 1], strides: [0, 1])
        #expect(throws: ShapeError.invalidAttribute(layer: "", kind: "conv2d", field: "strides", message: "must be 2 integers ≥ 1, got [0, 1]")) {
            try ShapeInference.outputShape(of: .conv2d(zeroStride), inputs: [[1, 8, 8]])
        }
        #expect(throws: ShapeError.reshapeElementCount(layer: "r", targetShape: [5, 5], inputShape: [24])) {
            try ShapeInference.outputShape(of: .reshape(targetShape: [5, 5]), named: "r", inputs: [[24]])
        }
        #expect(throws: ShapeError.inputRank(layer: "fc", kind: "dense", expected: "a [features] vector (flatten a feature map first)", shape: [2, 3, 3])) {
            try ShapeInference.outputShape(of: .dense(DenseConfig(units: 3)), named: "fc", inputs: [[2, 3, 3]])
        }
        let huge = Conv2DConfig(filters: 1, kernelSize: [1, 1], padding: [Int.max, 1, 0, 0])
        #expect(throws: ShapeError.overflow(layer: "", kind: "conv2d", what: "padded height")) {
            try ShapeInference.outputShape(of: .conv2d(huge), inputs: [[1, 8, 8]])
        }
        #expect(throws: ShapeError.overflow(layer: "", kind: "zero_padding2d", what: "padded width")) {
            try ShapeInference.outputShape(of: .zeroPadding2d(padding: [0, 0, Int.max, Int.max]), inputs: [[1, 8, 8]])
        }
        #expect(throws: ShapeError.overflow(layer: "", kind: "flatten", what: "the input's element count")) {
            try ShapeInference.outputShape(of: .flatten, inputs: [[Int.max, 2]])
        }
        #expect(throws: ShapeError.unmappedLayer(layer: "", className: "Lambda")) {
            try ShapeInference.outputShape(of: .unmapped(className: "Lambda", config: [:]), inputs: [[3]])
        }
    }

    @Test("infer fills every output shape of a small CNN")
    func inferFillsShapes() throws {
        let model = Hand.chain(input: [3, 6, 5], [
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 4, kernelSize: [3, 3], padding: [1, 1, 1, 1])),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.filled([4, 3, 3, 3])), NamedTensor(role: .bias, tensor: Hand.filled([4]))]),
            Layer(name: "bn", op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3)),
                  tensors: [.gamma, .beta, .mean, .variance].map { NamedTensor(role: $0, tensor: Hand.filled([1, 4, 1, 1], 1)) }),
            Layer(name: "pool", op: .maxPool2d(Pool2DConfig(poolSize: [2, 2], strides: [2, 2]))),
            Layer(name: "flat", op: .flatten),
            Layer(name: "fc", op: .dense(DenseConfig(units: 3, activation: .softmax(axis: -1))),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.filled([3, 24])), NamedTensor(role: .bias, tensor: Hand.filled([3]))]),
        ])
        let inferred = try ShapeInference.infer(model)
        #expect(inferred.layers.map(\.outputShape) == [[3, 6, 5], [4, 6, 5], [4, 6, 5], [4, 3, 2], [24], [3]])
    }

    @Test("infer checks tensors against the shapes flowing in")
    func inferChecksTensors() throws {
        func denseModel(kernel: [Int], bias: [Int]? = [3], useBias: Bool = true) -> Model {
            var tensors = [NamedTensor(role: .kernel, tensor: Hand.filled(kernel))]
            if let bias { tensors.append(NamedTensor(role: .bias, tensor: Hand.filled(bias))) }
            return Hand.chain(input: [40], [Layer(name: "fc1", op: .dense(DenseConfig(units: 3, useBias: useBias)), tensors: tensors)])
        }
        let features = ShapeError.inputSizeMismatch(layer: "fc1", kind: "dense", unit: "input features", expected: 48, actual: 40)
        #expect(throws: features) { try ShapeInference.infer(denseModel(kernel: [3, 48])) }
        #expect(features.description == "dense 'fc1' expects 48 input features, its input has 40")
        #expect(throws: ShapeError.tensorShape(layer: "fc1", kind: "dense", role: "kernel", shape: [40, 3], expected: [3, 40], layout: "[out, in]")) {
            try ShapeInference.infer(denseModel(kernel: [40, 3]))
        }
        #expect(throws: ShapeError.missingTensor(layer: "fc1", kind: "dense", role: "bias")) {
            try ShapeInference.infer(denseModel(kernel: [3, 40], bias: nil))
        }
        #expect(throws: ShapeError.unexpectedTensor(layer: "fc1", kind: "dense", role: "bias")) {
            try ShapeInference.infer(denseModel(kernel: [3, 40], useBias: false))
        }

        let conv = Hand.chain(input: [3, 8, 8], [
            Layer(name: "c", op: .conv2d(Conv2DConfig(filters: 2, kernelSize: [3, 3], useBias: false)),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.filled([2, 4, 3, 3]))]),
        ])
        #expect(throws: ShapeError.inputSizeMismatch(layer: "c", kind: "conv2d", unit: "input channels", expected: 4, actual: 3)) {
            try ShapeInference.infer(conv)
        }
        // An HWIO kernel left unpermuted is caught as a layout error.
        let hwio = Hand.chain(input: [3, 8, 8], [
            Layer(name: "c", op: .conv2d(Conv2DConfig(filters: 2, kernelSize: [3, 3], useBias: false)),
                  tensors: [NamedTensor(role: .kernel, tensor: Hand.filled([3, 3, 3, 2]))]),
        ])
        #expect(throws: ShapeError.tensorShape(layer: "c", kind: "conv2d", role: "kernel", shape: [3, 3, 3, 2], expected: [2, 3, 3, 3],
                                               layout: "OIHW [filters, inChannels, kh, kw]")) {
            try ShapeInference.infer(hwio)
        }
        let depthwise = Hand.chain(input: [3, 8, 8], [
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [3, 3], useBias: false)),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: Hand.filled([3, 2, 3, 3]))]),
        ])
        #expect(throws: ShapeError.tensorShape(layer: "dw", kind: "depthwise_conv2d", role: "depthwise_kernel", shape: [3, 2, 3, 3],
                                               expected: [6, 1, 3, 3], layout: "[C·M, 1, kh, kw]")) {
            try ShapeInference.infer(depthwise)
        }
        let separable = Hand.chain(input: [3, 8, 8], [
            Layer(name: "sep", op: .separableConv2d(SeparableConv2DConfig(filters: 5, depthMultiplier: 2, kernelSize: [3, 3])),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: Hand.filled([6, 1, 3, 3])),
                            NamedTensor(role: .pointwiseKernel, tensor: Hand.filled([5, 3, 1, 1])),
                            NamedTensor(role: .bias, tensor: Hand.filled([5]))]),
        ])
        #expect(throws: ShapeError.tensorShape(layer: "sep", kind: "separable_conv2d", role: "pointwise_kernel", shape: [5, 3, 1, 1],
                                               expected: [5, 6, 1, 1], layout: "OIHW [filters, C·M, 1, 1]")) {
            try ShapeInference.infer(separable)
        }
    }

    @Test("batch-norm parameters: spatial [1,C,1,1], per-activation [1,C,H,W], vectors [1,F,1,1]")
    func batchNormParameters() throws {
        func bn(_ mode: BatchNormMode, input: [Int], parameters: [Int]) -> Model {
            Hand.chain(input: input, [
                Layer(name: "bn", op: .batchNorm(BatchNormConfig(mode: mode, epsilon: 1e-3)),
                      tensors: [.gamma, .beta, .mean, .variance].map { NamedTensor(role: $0, tensor: Hand.filled(parameters, 1)) }),
            ])
        }
        _ = try ShapeInference.infer(bn(.spatial, input: [4, 3, 2], parameters: [1, 4, 1, 1]))
        _ = try ShapeInference.infer(bn(.perActivation, input: [4, 3, 2], parameters: [1, 4, 3, 2]))
        _ = try ShapeInference.infer(bn(.spatial, input: [7], parameters: [1, 7, 1, 1]))
        #expect(throws: ShapeError.tensorShape(layer: "bn", kind: "batch_norm", role: "gamma", shape: [1, 4, 1, 1],
                                               expected: [1, 4, 3, 2], layout: "per-activation [1, C, H, W]")) {
            try ShapeInference.infer(bn(.perActivation, input: [4, 3, 2], parameters: [1, 4, 1, 1]))
        }
        #expect(throws: ShapeError.tensorShape(layer: "bn", kind: "batch_norm", role: "gamma", shape: [4],
                                               expected: [1, 4, 1, 1], layout: "spatial [1, C, 1, 1]")) {
            try ShapeInference.infer(bn(.spatial, input: [4, 3, 2], parameters: [4]))
        }
    }

    @Test("infer refuses a recorded shape that disagrees, unknown inbound layers, and unmapped layers without a shape")
    func inferModelErrors() throws {
        var model = Hand.chain(input: [3, 4, 4], [Layer(name: "flat", op: .flatten)])
        model.layers[1].outputShape = [3, 16]
        #expect(throws: ShapeError.declaredShape(layer: "flat", kind: "flatten", declared: [3, 16], inferred: [48])) {
            try ShapeInference.infer(model)
        }
        model.layers[1].outputShape = nil
        model.layers[1].inbound = ["nowhere"]
        #expect(throws: ShapeError.unknownInbound(layer: "flat", inbound: "nowhere")) { try ShapeInference.infer(model) }

        var unmapped = Hand.chain(input: [3], [Layer(name: "lambda", op: .unmapped(className: "Lambda", config: [:])),
                                               Layer(name: "act", op: .activation(.relu))])
        #expect(throws: ShapeError.unmappedLayer(layer: "lambda", className: "Lambda")) { try ShapeInference.infer(unmapped) }
        unmapped.layers[1].outputShape = [6]
        #expect(try ShapeInference.infer(unmapped).layers[2].outputShape == [6])
    }
}
