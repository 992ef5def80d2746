import Testing
@testable import BNModel

/// Hand-computed cases for every operation of the reference forward pass. Inputs are native
/// NCHW with the batch; the expected numbers are worked out in the comments.
@Suite("Reference forward pass")
struct ReferenceInterpreterTests {
    private func kernelAndBias(_ kernel: Tensor, _ bias: Tensor? = nil, role: TensorRole = .kernel) -> [NamedTensor] {
        [NamedTensor(role: role, tensor: kernel)] + (bias.map { [NamedTensor(role: .bias, tensor: $0)] } ?? [])
    }

    @Test("conv2d is cross-correlation: 2×2 valid and 3×3 'same' on a 1-channel 3×3 input")
    func convolutionKnownNumbers() throws {
        // Input 1 2 3 / 4 5 6 / 7 8 9. Kernel 1 2 / 3 4 (not flipped):
        // (0,0) = 1·1 + 2·2 + 4·3 + 5·4 = 37, then 47, 67, 77; bias 0.5.
        let valid = Hand.chain(input: [1, 3, 3], [
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 1, kernelSize: [2, 2])),
                  tensors: kernelAndBias(Hand.tensor([1, 2, 3, 4], [1, 1, 2, 2]), Hand.tensor([0.5], [1]))),
        ])
        let input = NDArray(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let output = try Hand.run(valid, input)
        #expect(output.shape == [1, 1, 2, 2])
        #expect(output.values == [37.5, 47.5, 67.5, 77.5])

        // Kernel 1…9 with padding 1: centre = Σ i² = 285; corner (0,0) sees input 1 2 / 4 5
        // under kernel cells 5 6 / 8 9: 5 + 12 + 32 + 45 = 94.
        let same = Hand.chain(input: [1, 3, 3], [
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 1, kernelSize: [3, 3], padding: [1, 1, 1, 1], useBias: false)),
                  tensors: kernelAndBias(Hand.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]))),
        ])
        let padded = try Hand.run(same, input)
        #expect(padded.shape == [1, 1, 3, 3])
        #expect(padded.values[4] == 285)
        #expect(padded.values[0] == 94)
    }

    @Test("TF 'same' 3×3 stride 2 on 4×4 pads only bottom and right")
    func asymmetricSamePadding() throws {
        // x[r][c] = 4r + c, all-ones kernel, padding [0, 1, 0, 1]:
        // (0,0) rows 0-2 cols 0-2 = 45; (0,1) rows 0-2 cols 2-3 = 39;
        // (1,0) rows 2-3 cols 0-2 = 66; (1,1) rows 2-3 cols 2-3 = 50.
        let model = Hand.chain(input: [1, 4, 4], [
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 1, kernelSize: [3, 3], strides: [2, 2],
                                                         padding: [0, 1, 0, 1], useBias: false)),
                  tensors: kernelAndBias(Hand.filled([1, 1, 3, 3], 1))),
        ])
        let output = try Hand.run(model, NDArray(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init)))
        #expect(output.shape == [1, 1, 2, 2])
        #expect(output.values == [45, 39, 66, 50])
    }

    @Test("dilation, strides, several channels and a batch of two samples")
    func dilatedMultiChannelBatch() throws {
        // 2 input channels, 2 filters of 2×2 with dilation 2 on a 3×3 input: one output pixel
        // reading the four corners. Filter 0 = +1 on channel 0, filter 1 = +1 on channel 1 and
        // −1 on channel 0; sample 2 is sample 1 times 10.
        let kernel: [Float] = [1, 1, 1, 1, 0, 0, 0, 0,
                               -1, -1, -1, -1, 1, 1, 1, 1]
        let model = Hand.chain(input: [2, 3, 3], [
            Layer(name: "conv", op: .conv2d(Conv2DConfig(filters: 2, kernelSize: [2, 2], dilation: [2, 2], activation: .relu)),
                  tensors: kernelAndBias(Hand.tensor(kernel, [2, 2, 2, 2]), Hand.tensor([0, -1], [2]))),
        ])
        let sample = (0..<18).map(Float.init)
        let output = try Hand.run(model, NDArray(shape: [2, 2, 3, 3], values: sample + sample.map { $0 * 10 }))
        // Corners of channel 0: 0 + 2 + 6 + 8 = 16; of channel 1: 9 + 11 + 15 + 17 = 52.
        // Filter 1: 52 − 16 − 1 = 35. Sample 2: 160 and 360 − 1 = 359.
        #expect(output.shape == [2, 2, 1, 1])
        #expect(output.values == [16, 35, 160, 359])
    }

    @Test("depthwise multiplier 2: output channel c·M + m reads input channel c")
    func depthwiseChannelOrder() throws {
        // Input channels 10 and 100; 1×1 kernels 1, 2, 3, 4 → 10, 20, 300, 400 (+0.5).
        // The other order (m·C + c) would give 10, 200, 30, 400.
        let model = Hand.chain(input: [2, 1, 1], [
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [1, 1])),
                  tensors: kernelAndBias(Hand.tensor([1, 2, 3, 4], [4, 1, 1, 1]), Hand.filled([4], 0.5), role: .depthwiseKernel)),
        ])
        let output = try Hand.run(model, NDArray(shape: [1, 2, 1, 1], values: [10, 100]))
        #expect(output.shape == [1, 4, 1, 1])
        #expect(output.values == [10.5, 20.5, 300.5, 400.5])
    }

    @Test("separable: depthwise, then pointwise, then bias, then activation")
    func separable() throws {
        // Depthwise as above gives 10, 20, 300, 400; pointwise weights 1, −1, 1, −1 give
        // 10 − 20 + 300 − 400 = −110; bias 100 → −10; relu → 0. Second filter all ones: 730 + 100.
        let model = Hand.chain(input: [2, 1, 1], [
            Layer(name: "sep", op: .separableConv2d(SeparableConv2DConfig(filters: 2, depthMultiplier: 2, kernelSize: [1, 1],
                                                                          activation: .relu)),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: Hand.tensor([1, 2, 3, 4], [4, 1, 1, 1])),
                            NamedTensor(role: .pointwiseKernel, tensor: Hand.tensor([1, -1, 1, -1, 1, 1, 1, 1], [2, 4, 1, 1])),
                            NamedTensor(role: .bias, tensor: Hand.filled([2], 100))]),
        ])
        let output = try Hand.run(model, NDArray(shape: [1, 2, 1, 1], values: [10, 100]))
        #expect(output.values == [0, 830])
    }

    @Test("dense y = W x + b with W [out, in], in any float dtype")
    func dense() throws {
        // W = [[1, 2, 3], [−1, 0, 1]], x = [1, 10, 100]: 321 + 1, 99 − 1.
        for dtype in [DType.f32, .f16, .bf16, .f64] {
            let weights: [Float] = [1, 2, 3, -1, 0, 1]
            let kernel: Tensor
            switch dtype {
            case .f16: kernel = try Tensor(values: weights.map { Float16($0) }, shape: [2, 3])
            case .bf16: kernel = try Tensor(values: weights.map { BFloat16($0) }, shape: [2, 3])
            case .f64: kernel = try Tensor(values: weights.map { Double($0) }, shape: [2, 3])
            default: kernel = Hand.tensor(weights, [2, 3])
            }
            let model = Hand.chain(input: [3], [
                Layer(name: "fc", op: .dense(DenseConfig(units: 2)), tensors: kernelAndBias(kernel, Hand.tensor([1, -1], [2]))),
            ])
            let output = try Hand.run(model, NDArray(shape: [2, 3], values: [1, 10, 100, 0, 0, 1]))
            #expect(output.shape == [2, 2], "\(dtype)")
            #expect(output.values == [322, 98, 4, 0], "\(dtype)")
        }
    }

    @Test("flatten is C, H, W order: feature 1 is (c0, h0, w1), not Keras' (h0, w0, c1)")
    func flattenOrder() throws {
        var oneHot = [Float](repeating: 0, count: 8)
        oneHot[1] = 1
        let model = Hand.chain(input: [2, 2, 2], [
            Layer(name: "flat", op: .flatten),
            Layer(name: "pick", op: .dense(DenseConfig(units: 1, useBias: false)), tensors: kernelAndBias(Hand.tensor(oneHot, [1, 8]))),
        ])
        // x[c][h][w] = 4c + 2h + w: (0,0,1) = 1; the channels-last feature 1 would be (1,0,0) = 4.
        let output = try Hand.run(model, NDArray(shape: [1, 2, 2, 2], values: (0..<8).map(Float.init)))
        #expect(output.values == [1])
        let flat = try Hand.run(Hand.chain(input: [2, 2, 2], [Layer(name: "flat", op: .flatten)]),
                                NDArray(shape: [1, 2, 2, 2], values: (0..<8).map(Float.init)))
        #expect(flat.shape == [1, 8])
        #expect(flat.values == (0..<8).map(Float.init))
    }

    @Test("batch norm: spatial [1,C,1,1] broadcasts over H, W; per-activation [1,C,H,W] is element-wise")
    func batchNormBroadcasting() throws {
        func bn(_ mode: BatchNormMode, _ shape: [Int], epsilon: Double = 0, gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) -> Model {
            let parameters = [(TensorRole.gamma, gamma), (.beta, beta), (.mean, mean), (.variance, variance)]
            return Hand.chain(input: shape, [
                Layer(name: "bn", op: .batchNorm(BatchNormConfig(mode: mode, epsilon: epsilon)),
                      tensors: parameters.map { NamedTensor(role: $0.0, tensor: Hand.tensor($0.1, mode == .spatial || shape.count == 1 ? [1, shape[0], 1, 1] : [1] + shape)) }),
            ])
        }
        let input = NDArray(shape: [1, 2, 1, 2], values: [1, 2, 3, 4])
        // Spatial: channel 0 → (x − 1)/2, channel 1 → 2(x − 3)/4 + 1.
        let spatial = try Hand.run(bn(.spatial, [2, 1, 2], gamma: [1, 2], beta: [0, 1], mean: [1, 3], variance: [4, 16]), input)
        #expect(spatial.values == [0, 0.5, 1, 1.5])
        // Per-activation: (x − mean)/sqrt(var) + beta per element: 11, 20.5, 31, 40.75.
        let perActivation = try Hand.run(bn(.perActivation, [2, 1, 2], gamma: [1, 1, 1, 1], beta: [10, 20, 30, 40],
                                            mean: [0, 1, 0, 1], variance: [1, 4, 9, 16]), input)
        #expect(perActivation.values == [11, 20.5, 31, 40.75])
        // On a [N, F] vector, spatial parameters are per feature; epsilon is added to variance.
        let vector = try Hand.run(bn(.spatial, [3], epsilon: 0.001, gamma: [2, 2, 2], beta: [0, 0, 1], mean: [1, 0, 0],
                                     variance: [0.999, 0.999, 3.999]),
                                  NDArray(shape: [2, 3], values: [1, 1, 4, 2, 2, 8]))
        #expect(nearlyEqual(vector.values, [0, 2, 5, 2, 4, 9]))
    }

    @Test("pooling: max ignores padding; average excludes padded cells unless asked (TF 'same')")
    func pooling() throws {
        // 1…9 in 3×3, 2×2 windows stride 2, padding [0, 1, 0, 1]:
        // windows {1,2,4,5} {3,6} {7,8} {9}.
        let input = NDArray(shape: [1, 1, 3, 3], values: (1...9).map(Float.init))
        let same = Pool2DConfig(poolSize: [2, 2], strides: [2, 2], padding: [0, 1, 0, 1])
        let excluding = try Hand.run(Hand.chain(input: [1, 3, 3], [Layer(name: "p", op: .avgPool2d(same))]), input)
        #expect(excluding.shape == [1, 1, 2, 2])
        #expect(excluding.values == [3, 4.5, 7.5, 9])
        var including = same
        including.countIncludesPadding = true
        let counted = try Hand.run(Hand.chain(input: [1, 3, 3], [Layer(name: "p", op: .avgPool2d(including))]), input)
        #expect(counted.values == [3, 2.25, 3.75, 2.25])
        // Max with all-negative input: padding must not win as a zero.
        let negative = NDArray(shape: [1, 1, 3, 3], values: (1...9).map { -Float($0) })
        let maximum = try Hand.run(Hand.chain(input: [1, 3, 3], [Layer(name: "p", op: .maxPool2d(same))]), negative)
        #expect(maximum.values == [-1, -3, -7, -9])
    }

    @Test("global pools give [N, C] or [N, C, 1, 1]")
    func globalPools() throws {
        let input = NDArray(shape: [1, 2, 2, 2], values: (0..<8).map(Float.init))
        let average = try Hand.run(Hand.chain(input: [2, 2, 2], [Layer(name: "g", op: .globalAvgPool2d(keepDims: false))]), input)
        #expect(average.shape == [1, 2])
        #expect(average.values == [1.5, 5.5])
        let maximum = try Hand.run(Hand.chain(input: [2, 2, 2], [Layer(name: "g", op: .globalMaxPool2d(keepDims: true))]), input)
        #expect(maximum.shape == [1, 2, 1, 1])
        #expect(maximum.values == [3, 7])
    }

    @Test("softmax sums to 1, is stable on large logits, and follows its axis")
    func softmax() throws {
        let model = Hand.chain(input: [3], [Layer(name: "s", op: .activation(.softmax(axis: -1)))])
        let output = try Hand.run(model, NDArray(shape: [2, 3], values: [0, 1, 2, 1000, 1001, 1002]))
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096]
        #expect(nearlyEqual(output.values, expected + expected))
        #expect(abs(output.values[0..<3].reduce(0, +) - 1) < 1e-6)
        #expect(output.values.allSatisfy { $0.isFinite })

        // Along channels (axis 1) of [1, 2, 1, 2]: each pixel's two channels sum to 1.
        let channels = Hand.chain(input: [2, 1, 2], [Layer(name: "s", op: .activation(.softmax(axis: 1)))])
        let map = try Hand.run(channels, NDArray(shape: [1, 2, 1, 2], values: [0, 5, 0, -5]))
        #expect(nearlyEqual(map.values, [0.5, 0.9999546, 0.5, 0.0000454], tolerance: 1e-4))
        #expect(abs(map.values[0] + map.values[2] - 1) < 1e-6 && abs(map.values[1] + map.values[3] - 1) < 1e-6)
    }

    @Test("every activation matches its definition", arguments: [
        (Activation.linear, Float(-2), Float(-2)),
        (.relu, -1, 0), (.relu, 2, 2), (.relu6, 7, 6), (.relu6, 3, 3),
        (.leakyRelu(alpha: 0.1), -2, -0.2),
        (.clippedRelu(maxValue: 5, negativeSlope: 0.5, threshold: 1), 0, -0.5),
        (.clippedRelu(maxValue: 5, negativeSlope: 0.5, threshold: 1), 3, 3),
        (.clippedRelu(maxValue: 5, negativeSlope: 0.5, threshold: 1), 7, 5),
        (.sigmoid, 0, 0.5), (.sigmoid, 2, 0.88079708), (.tanh, 0, 0),
        (.hardSigmoid, 1.5, 0.75), (.hardSigmoid, 4, 1), (.hardSigmoidLegacy, 1.5, 0.8), (.hardSigmoidLegacy, -3, 0),
        (.swish, 1, 0.73105858), (.hardSwish, 1, 0.6666667), (.hardSwish, -4, 0),
        (.elu(alpha: 1), -1, -0.63212056), (.elu(alpha: 1), 2, 2),
        (.selu, 1, 1.0507010), (.selu, -1, -1.1113307),
        (.gelu(approximate: false), 1, 0.84134475), (.gelu(approximate: true), 1, 0.84119199),
        (.softplus, 0, 0.69314718), (.softplus, 100, 100), (.softsign, 1, 0.5),
        (.exponential, 1, 2.7182818), (.mish, 1, 0.86509839),
    ])
    func activation(_ activation: Activation, input: Float, expected: Float) throws {
        let model = Hand.chain(input: [1], [Layer(name: "a", op: .activation(activation))])
        let output = try Hand.run(model, NDArray(shape: [1, 1], values: [input]))
        #expect(nearlyEqual(output.values, [expected], tolerance: 1e-6), "\(activation.name)(\(input))")
    }

    @Test("add, concatenate (channels and last axis), zero padding, reshape, dropout")
    func layoutOperations() throws {
        let layers = [
            Layer(name: "in", op: .input(shape: [1, 2, 2])),
            Layer(name: "pad", op: .zeroPadding2d(padding: [1, 0, 0, 1]), inbound: ["in"]),
            Layer(name: "sum", op: .add, inbound: ["in", "in"]),
            Layer(name: "chan", op: .concatenate(axis: 1), inbound: ["in", "sum"]),
            Layer(name: "last", op: .concatenate(axis: -1), inbound: ["in", "sum"]),
            Layer(name: "drop", op: .dropout(rate: 0.5), inbound: ["chan"]),
            Layer(name: "shape", op: .reshape(targetShape: [4, 2]), inbound: ["drop"]),
        ]
        let model = Model(name: "layout", inputs: ["in"], outputs: ["pad", "chan", "last", "shape"], layers: layers,
                          provenance: Provenance(sourceFormat: "test"))
        let outputs = try ReferenceInterpreter(model: model).run(inputs: ["in": NDArray(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])])
        // pad top 1 and right 1: 0 0 0 / 1 2 0 / 3 4 0.
        #expect(outputs["pad"] == NDArray(shape: [1, 1, 3, 3], values: [0, 0, 0, 1, 2, 0, 3, 4, 0]))
        #expect(outputs["chan"] == NDArray(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 2, 4, 6, 8]))
        #expect(outputs["last"] == NDArray(shape: [1, 1, 2, 4], values: [1, 2, 2, 4, 3, 4, 6, 8]))
        #expect(outputs["shape"] == NDArray(shape: [1, 4, 2], values: [1, 2, 3, 4, 2, 4, 6, 8]))
    }

    @Test("typed errors: unmapped layers, missing, unknown and misshaped inputs, bad softmax axis")
    func errors() throws {
        let unmapped = Hand.chain(input: [3], [Layer(name: "lambda", op: .unmapped(className: "Lambda", config: [:]), outputShape: [3])])
        #expect(throws: InterpreterError.unsupportedLayer(layer: "lambda", className: "Lambda")) { try ReferenceInterpreter(model: unmapped) }

        let model = Hand.chain(input: [3, 2, 2], [Layer(name: "act", op: .activation(.relu))])
        let interpreter = try ReferenceInterpreter(model: model)
        #expect(throws: InterpreterError.missingInput(name: "in")) { try interpreter.run(inputs: [:]) }
        let good = NDArray(shape: [1, 3, 2, 2], values: [Float](repeating: 1, count: 12))
        #expect(throws: InterpreterError.unknownInput(name: "other")) { try interpreter.run(inputs: ["in": good, "other": good]) }
        #expect(throws: InterpreterError.inputShape(name: "in", expected: [3, 2, 2], actual: [1, 2, 2, 3])) {
            try interpreter.run(inputs: ["in": NDArray(shape: [1, 2, 2, 3], values: good.values)])
        }
        #expect(throws: InterpreterError.valueCount(name: "in", shape: [1, 3, 2, 2], count: 11)) {
            try interpreter.run(inputs: ["in": NDArray(shape: [1, 3, 2, 2], values: Array(good.values.dropLast()))])
        }
        let wrongAxis = Hand.chain(input: [3], [Layer(name: "s", op: .activation(.softmax(axis: 2)))])
        // Shape inference refuses the axis before the interpreter gets to it (CH010 in validation).
        #expect(throws: InterpreterError.shape(.invalidAttribute(
            layer: "s", kind: "activation", field: "softmax axis",
            message: "2 is the batch axis or outside the output's 2 axes (batch included)"))) { try ReferenceInterpreter(model: wrongAxis) }
        let batchAxis = Hand.chain(input: [3], [Layer(name: "s", op: .activation(.softmax(axis: 0)))])
        #expect(throws: InterpreterError.self) { try ReferenceInterpreter(model: batchAxis) }
        let badShape = Hand.chain(input: [3], [Layer(name: "c", op: .conv2d(Conv2DConfig(filters: 1, kernelSize: [1, 1])))])
        #expect(throws: InterpreterError.shape(.inputRank(layer: "c", kind: "conv2d", expected: "a [C, H, W] feature map", shape: [3]))) {
            try ReferenceInterpreter(model: badShape)
        }

        var unlisted = Hand.chain(input: [2], [Layer(name: "act", op: .activation(.relu))])
        unlisted.layers.append(Layer(name: "other", op: .input(shape: [2])))
        #expect(throws: InterpreterError.inputEndpoint(name: "other", listed: false)) { try ReferenceInterpreter(model: unlisted) }
        var notInput = Hand.chain(input: [2], [Layer(name: "act", op: .activation(.relu))])
        notInput.inputs = ["in", "act"]
        #expect(throws: InterpreterError.inputEndpoint(name: "act", listed: true)) { try ReferenceInterpreter(model: notInput) }
        var noOutput = Hand.chain(input: [2], [Layer(name: "act", op: .activation(.relu))])
        noOutput.outputs = ["missing"]
        #expect(throws: InterpreterError.unknownOutput(name: "missing")) { try ReferenceInterpreter(model: noOutput) }
        var duplicate = Hand.chain(input: [2], [Layer(name: "act", op: .activation(.relu)), Layer(name: "act", op: .activation(.relu))])
        duplicate.outputs = ["act"]
        #expect(throws: InterpreterError.shape(.duplicateLayerName("act"))) { try ReferenceInterpreter(model: duplicate) }

        // Degenerate but valid: zero channels, and a window far larger than the data.
        let empty = Hand.chain(input: [0, 3, 3], [
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(kernelSize: [1, 1], useBias: false)),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: Hand.filled([0, 1, 1, 1]))]),
        ])
        #expect(try Hand.run(empty, NDArray(shape: [1, 0, 3, 3], values: [])) == NDArray(shape: [1, 0, 3, 3], values: []))
        let big = 1 << 40
        let vast = Hand.chain(input: [1, 1, 1], [
            Layer(name: "p", op: .avgPool2d(Pool2DConfig(poolSize: [big, big], strides: [big, big], padding: [big - 1, 0, big - 1, 0],
                                                         countIncludesPadding: true))),
        ])
        let averaged = try Hand.run(vast, NDArray(shape: [1, 1, 1, 1], values: [0x1p80]))
        #expect(averaged.shape == [1, 1, 1, 1] && averaged.values == [1])

        // A hostile model: a zero padding of 100 000 pixels on every side needs 4·10¹⁰ floats.
        let huge = Hand.chain(input: [1, 1, 1], [Layer(name: "pad", op: .zeroPadding2d(padding: [100_000, 100_000, 100_000, 100_000]))])
        // Refused when the interpreter is prepared, on the per-sample shape, before any batch.
        #expect(throws: InterpreterError.outputTooLarge(layer: "pad", shape: [1, 200_001, 200_001], limit: 1 << 30)) {
            try ReferenceInterpreter(model: huge).run(inputs: ["in": NDArray(shape: [1, 1, 1, 1], values: [1])])
        }

        let twoInputs = Model(name: "two", inputs: ["a", "b"], outputs: ["sum"], layers: [
            Layer(name: "a", op: .input(shape: [2])), Layer(name: "b", op: .input(shape: [2])),
            Layer(name: "sum", op: .add, inbound: ["a", "b"]),
        ], provenance: Provenance(sourceFormat: "test"))
        #expect(throws: InterpreterError.batchSize(name: "b", batch: 2, expected: 1)) {
            try ReferenceInterpreter(model: twoInputs).run(inputs: ["a": NDArray(shape: [1, 2], values: [1, 2]),
                                                                    "b": NDArray(shape: [2, 2], values: [1, 2, 3, 4])])
        }
    }
}
