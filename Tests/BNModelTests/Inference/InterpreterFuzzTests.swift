import Testing
@testable import BNModel

/// Random single-layer models with hostile numbers (zero, negative, 2⁴⁰, `Int.max` in every
/// configuration field and dimension) must either run or fail with a typed error: a trap would
/// end the test process, so finishing is the proof.
@Suite("Reference forward pass never traps")
struct InterpreterFuzzTests {
    /// SplitMix64, so that a failure is reproducible from its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let numbers = [0, 1, 1, 2, 2, 3, 3, 4, 5, -1, 1 << 40, Int.max, Int.min]

    @Test("5000 random layers run or throw", arguments: 0..<5)
    func randomLayers(seed: UInt64) throws {
        var random = Generator(state: seed)
        var outcomes = (ran: 0, refused: 0)
        for _ in 0..<1000 {
            func number() -> Int { Self.numbers.randomElement(using: &random)! }
            func small() -> Int { Int.random(in: 0...4, using: &random) }
            func pair() -> [Int] { random.next() % 8 == 0 ? [number()] : [number(), number()] }
            func padding() -> [Int] { random.next() % 8 == 0 ? [number(), number()] : [number(), number(), number(), number()] }
            func activation() -> Activation {
                [.linear, .relu, .softmax(axis: number()), .softmax(axis: -1), .gelu(approximate: true),
                 .clippedRelu(maxValue: nil, negativeSlope: 0.1, threshold: -1)].randomElement(using: &random)!
            }
            let inputShape = random.next() % 3 == 0 ? [small()] : [small(), small(), small()]
            let channels = inputShape[0]
            /// A tensor of the shape the layer should have (usually) or a wrong small one.
            func tensor(_ shape: [Int]) -> Tensor {
                let right = random.next() % 5 != 0 && shape.allSatisfy { $0 >= 0 && $0 <= 64 }
                let chosen = right ? shape : (0..<Int.random(in: 1...4, using: &random)).map { _ in small() }
                return Hand.filled(chosen, 0.5)
            }
            let kernelSize = pair(), filters = number(), multiplier = number(), useBias = random.next() % 2 == 0
            func kernelTensors(_ role: TensorRole, _ shape: [Int], bias: Int) -> [NamedTensor] {
                [NamedTensor(role: role, tensor: tensor(shape))] + (useBias ? [NamedTensor(role: .bias, tensor: tensor([bias]))] : [])
            }
            let spatial = kernelSize.count == 2 ? kernelSize : [1, 1]
            let layer: Layer
            switch random.next() % 16 {
            case 0:
                layer = Layer(name: "l", op: .conv2d(Conv2DConfig(filters: filters, kernelSize: kernelSize, strides: pair(), dilation: pair(),
                                                                  padding: padding(), useBias: useBias, activation: activation())),
                              tensors: kernelTensors(.kernel, [filters, channels] + spatial, bias: filters))
            case 1:
                layer = Layer(name: "l", op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: multiplier, kernelSize: kernelSize,
                                                                                    strides: pair(), dilation: pair(), padding: padding(),
                                                                                    useBias: useBias, activation: activation())),
                              tensors: kernelTensors(.depthwiseKernel, [channels &* multiplier, 1] + spatial, bias: channels &* multiplier))
            case 2:
                layer = Layer(name: "l", op: .separableConv2d(SeparableConv2DConfig(filters: filters, depthMultiplier: multiplier,
                                                                                    kernelSize: kernelSize, strides: pair(), dilation: pair(),
                                                                                    padding: padding(), useBias: useBias, activation: activation())),
                              tensors: [NamedTensor(role: .depthwiseKernel, tensor: tensor([channels &* multiplier, 1] + spatial)),
                                        NamedTensor(role: .pointwiseKernel, tensor: tensor([filters, channels &* multiplier, 1, 1]))]
                                  + (useBias ? [NamedTensor(role: .bias, tensor: tensor([filters]))] : []))
            case 3:
                layer = Layer(name: "l", op: .dense(DenseConfig(units: filters, useBias: useBias, activation: activation())),
                              tensors: kernelTensors(.kernel, [filters, channels], bias: filters))
            case 4:
                let mode: BatchNormMode = random.next() % 2 == 0 ? .spatial : .perActivation
                let shape = mode == .perActivation && inputShape.count == 3 ? [1] + inputShape : [1, channels, 1, 1]
                layer = Layer(name: "l", op: .batchNorm(BatchNormConfig(mode: mode, epsilon: 1e-3)),
                              tensors: [TensorRole.gamma, .beta, .mean, .variance].map { NamedTensor(role: $0, tensor: tensor(shape)) })
            case 5:
                layer = Layer(name: "l", op: .maxPool2d(Pool2DConfig(poolSize: pair(), strides: pair(), padding: padding())))
            case 6:
                layer = Layer(name: "l", op: .avgPool2d(Pool2DConfig(poolSize: pair(), strides: pair(), padding: padding(),
                                                                     countIncludesPadding: random.next() % 2 == 0)))
            case 7:
                layer = Layer(name: "l", op: .globalAvgPool2d(keepDims: random.next() % 2 == 0))
            case 8:
                layer = Layer(name: "l", op: .globalMaxPool2d(keepDims: random.next() % 2 == 0))
            case 9:
                layer = Layer(name: "l", op: .flatten)
            case 10:
                layer = Layer(name: "l", op: .reshape(targetShape: (0..<Int.random(in: 0...3, using: &random)).map { _ in number() }))
            case 11:
                layer = Layer(name: "l", op: .add, inbound: Array(repeating: "in", count: small()))
            case 12:
                layer = Layer(name: "l", op: .concatenate(axis: number()), inbound: Array(repeating: "in", count: small()))
            case 13:
                layer = Layer(name: "l", op: .zeroPadding2d(padding: padding()))
            case 14:
                layer = Layer(name: "l", op: .activation(activation()))
            default:
                layer = Layer(name: "l", op: .dropout(rate: 0.5))
            }
            let model = Hand.chain(input: inputShape, [layer])
            let count = inputShape.reduce(2, *)
            let input = NDArray(shape: [2] + inputShape, values: (0..<count).map { Float($0) - 3 })
            do {
                let interpreter = try ReferenceInterpreter(model: model, maximumElementCount: 1 << 16)
                let output = try interpreter.run(inputs: ["in": input])["l"]
                #expect(output?.isConsistent == true, "\(layer.op)")
                outcomes.ran += 1
            } catch {
                #expect(!error.description.isEmpty)
                outcomes.refused += 1
            }
        }
        // Both paths must be exercised, or the generator is not testing anything.
        #expect(outcomes.ran > 50 && outcomes.refused > 50, "ran \(outcomes.ran), refused \(outcomes.refused)")
    }
}
