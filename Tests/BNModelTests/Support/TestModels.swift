import Foundation
import JSONSchema
@testable import BNModel

/// A seeded generator (SplitMix64), so that every "random" model is reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A folder under the system temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bnmtests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

enum TestModels {
    /// Bit patterns every float tensor should survive: ±0, NaNs with payloads (quiet and
    /// signalling), ±∞, subnormals.
    static let specialF32: [UInt32] = [0x0000_0000, 0x8000_0000, 0x7FC0_0001, 0xFFA0_1234, 0x7F80_0001, 0x7F80_0000,
                                       0xFF80_0000, 0x0000_0001, 0x807F_FFFF]
    static let specialF16: [UInt16] = [0x0000, 0x8000, 0x7E01, 0xFD55, 0x7C01, 0x7C00, 0xFC00, 0x0001, 0x83FF]
    static let specialF64: [UInt64] = [0, 0x8000_0000_0000_0000, 0x7FF8_0000_0000_0001, 0xFFF4_0000_DEAD_BEEF,
                                       0x7FF0_0000_0000_0001, 0x7FF0_0000_0000_0000, 0x0000_0000_0000_0001]

    /// A tensor of `dtype` and `shape` with random bytes, the dtype's special bit patterns
    /// placed first.
    static func randomTensor(_ dtype: DType, _ shape: [Int], _ rng: inout SeededGenerator) -> Tensor {
        let count = shape.reduce(1, *)
        var bytes = (0..<(count * dtype.byteSize)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var specials: [UInt8] = []
        switch dtype {
        case .f32: specials = specialF32.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        case .f16, .bf16: specials = specialF16.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        case .f64: specials = specialF64.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        default: break
        }
        let n = min(specials.count, bytes.count) / dtype.byteSize * dtype.byteSize
        bytes.replaceSubrange(0..<n, with: specials[0..<n])
        return try! Tensor(dtype: dtype, shape: shape, bytes: bytes)
    }

    static func floatTensor(_ values: [Float], _ shape: [Int]) -> Tensor {
        try! Tensor(float32: values, shape: shape)
    }

    /// A small hand-made model: conv → BN (spatial) → relu → residual add → depthwise →
    /// separable → concat → global pool → dense → BN head, plus a per-activation BN and an
    /// unmapped layer.
    static func handMade() -> Model {
        var rng = SeededGenerator(seed: 7)
        let bn = { (c: Int, h: Int, w: Int) -> [NamedTensor] in
            [NamedTensor(role: .gamma, tensor: randomTensor(.f32, [1, c, h, w], &rng)),
             NamedTensor(role: .beta, tensor: floatTensor([Float](repeating: 0, count: c * h * w), [1, c, h, w])),
             NamedTensor(role: .mean, tensor: randomTensor(.f32, [1, c, h, w], &rng)),
             NamedTensor(role: .variance, tensor: floatTensor([Float](repeating: 1, count: c * h * w), [1, c, h, w]))]
        }
        let layers: [Layer] = [
            Layer(name: "image", op: .input(shape: [3, 8, 8]), outputShape: [3, 8, 8]),
            Layer(name: "conv1", op: .conv2d(Conv2DConfig(filters: 4, kernelSize: [3, 3], padding: [1, 1, 1, 1])),
                  inbound: ["image"],
                  tensors: [NamedTensor(role: .kernel, tensor: randomTensor(.f32, [4, 3, 3, 3], &rng)),
                            NamedTensor(role: .bias, tensor: randomTensor(.f32, [4], &rng))],
                  outputShape: [4, 8, 8]),
            Layer(name: "bn1", op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1.001e-5, momentum: 0.99,
                                                              materialized: [.beta])),
                  inbound: ["conv1"], tensors: bn(4, 1, 1), outputShape: [4, 8, 8]),
            Layer(name: "relu1", op: .activation(.relu), inbound: ["bn1"], outputShape: [4, 8, 8]),
            Layer(name: "residual", op: .add, inbound: ["relu1", "conv1"], outputShape: [4, 8, 8]),
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2],
                                                                          padding: [0, 1, 0, 1], activation: .relu6)),
                  inbound: ["residual"],
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: randomTensor(.f16, [8, 1, 3, 3], &rng)),
                            NamedTensor(role: .bias, tensor: randomTensor(.f16, [8], &rng))],
                  outputShape: [8, 4, 4]),
            Layer(name: "bn_pa", op: .batchNorm(BatchNormConfig(mode: .perActivation, epsilon: 0.001, momentum: 0.9)),
                  inbound: ["dw"], tensors: bn(8, 4, 4), outputShape: [8, 4, 4]),
            Layer(name: "sep", op: .separableConv2d(SeparableConv2DConfig(filters: 6, kernelSize: [3, 3], padding: [1, 1, 1, 1],
                                                                           useBias: false, activation: .leakyRelu(alpha: 0.3))),
                  inbound: ["bn_pa"],
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: randomTensor(.bf16, [8, 1, 3, 3], &rng)),
                            NamedTensor(role: .pointwiseKernel, tensor: randomTensor(.bf16, [6, 8, 1, 1], &rng))],
                  outputShape: [6, 4, 4]),
            Layer(name: "cat", op: .concatenate(axis: 1), inbound: ["bn_pa", "sep"], outputShape: [14, 4, 4]),
            Layer(name: "pool", op: .avgPool2d(Pool2DConfig(poolSize: [2, 2], strides: [1, 1], padding: [0, 1, 0, 1])),
                  inbound: ["cat"], outputShape: [14, 4, 4]),
            Layer(name: "gap", op: .globalAvgPool2d(keepDims: false), inbound: ["pool"], outputShape: [14]),
            Layer(name: "drop", op: .dropout(rate: 0.25), inbound: ["gap"], outputShape: [14]),
            Layer(name: "fc", op: .dense(DenseConfig(units: 5, activation: .clippedRelu(maxValue: nil, negativeSlope: 0.1, threshold: 0.5))),
                  inbound: ["drop"],
                  tensors: [NamedTensor(role: .kernel, tensor: randomTensor(.f64, [5, 14], &rng)),
                            NamedTensor(role: .bias, tensor: randomTensor(.f64, [5], &rng))],
                  outputShape: [5]),
            Layer(name: "bn_head", op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3, momentum: 0.99,
                                                                  materialized: [.gamma, .beta])),
                  inbound: ["fc"], tensors: bn(5, 1, 1), outputShape: [5]),
            Layer(name: "custom", op: .unmapped(className: "MyLayer", config: ["units": 3, "scale": 0.5, "tags": ["a", nil]]),
                  inbound: ["bn_head"],
                  tensors: [NamedTensor(role: .other("table"), tensor: randomTensor(.i32, [3, 2], &rng)),
                            NamedTensor(role: .other("codes"), tensor: randomTensor(.u8, [7], &rng)),
                            NamedTensor(role: .other("empty"), tensor: randomTensor(.i64, [0, 4], &rng)),
                            NamedTensor(role: .other("scalar"), tensor: randomTensor(.i8, [], &rng)),
                            NamedTensor(role: .other("small"), tensor: randomTensor(.i16, [5], &rng))],
                  outputShape: [3]),
            Layer(name: "probs", op: .activation(.softmax(axis: -1)), inbound: ["custom"], outputShape: [3]),
        ]
        return Model(name: "hand_made", inputs: ["image"], outputs: ["probs"], layers: layers,
                     provenance: Provenance(sourceFormat: "keras3-h5", sourceVersion: "3.15.1", converterVersion: "0.1.0",
                                            sourceArchitecture: #"{"class_name": "Functional", "config": {"name": "hand_made"}}"#,
                                            extra: ["original_names": ["conv1": "Conv1"], "ñ/~": 1.5]),
                     layoutNotes: ["dense kernel rows follow CHW flatten order"])
    }

    static let activations: [Activation] = [
        .linear, .relu, .relu6, .leakyRelu(alpha: 0.2), .clippedRelu(maxValue: 6, negativeSlope: 0, threshold: 0),
        .sigmoid, .tanh, .softmax(axis: 1), .hardSigmoid, .hardSigmoidLegacy, .swish, .hardSwish, .elu(alpha: 1),
        .selu, .gelu(approximate: true), .softplus, .softsign, .exponential, .mish,
    ]

    /// A random, valid model: a chain with occasional residual adds and concatenations, layers
    /// of every kind, tensors of every dtype.
    static func random(seed: UInt64) -> Model {
        var rng = SeededGenerator(seed: seed)
        var layers = [Layer(name: "in", op: .input(shape: [3, 4, 4]), outputShape: [3, 4, 4])]
        let count = Int.random(in: 1...12, using: &rng)
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
        func dtype() -> DType { pick(DType.allCases) }
        func floatType() -> DType { pick([.f16, .bf16, .f32, .f64]) }
        for index in 0..<count {
            let previous = layers[layers.count - 1].name
            let name = index % 3 == 0 ? "layer \(index)/ünï" : "l\(index)"
            let c = Int.random(in: 1...4, using: &rng)
            let activation = pick(activations)
            var layer: Layer
            switch Int.random(in: 0..<10, using: &rng) {
            case 0:
                let k = Int.random(in: 1...3, using: &rng)
                layer = Layer(name: name, op: .conv2d(Conv2DConfig(filters: c, kernelSize: [k, k], strides: [1, 2],
                                                                   padding: [0, 1, 2, 3], activation: activation)),
                              tensors: [NamedTensor(role: .kernel, tensor: randomTensor(floatType(), [c, 3, k, k], &rng)),
                                        NamedTensor(role: .bias, tensor: randomTensor(floatType(), [c], &rng))])
            case 1:
                let mode: BatchNormMode = Bool.random(using: &rng) ? .spatial : .perActivation
                let shape = mode == .spatial ? [1, c, 1, 1] : [1, c, 2, 3]
                let t = floatType()
                layer = Layer(name: name, op: .batchNorm(BatchNormConfig(mode: mode, epsilon: Double.random(in: 1e-6...1e-2, using: &rng),
                                                                         momentum: 0.99, materialized: pick([[], [.gamma], [.beta], [.gamma, .beta]]))),
                              tensors: [TensorRole.gamma, .beta, .mean, .variance].map { NamedTensor(role: $0, tensor: randomTensor(t, shape, &rng)) },
                              outputShape: mode == .spatial ? [c, 5, 5] : [c, 2, 3])
            case 2:
                layer = Layer(name: name, op: .dense(DenseConfig(units: c, useBias: false, activation: activation)),
                              tensors: [NamedTensor(role: .kernel, tensor: randomTensor(dtype(), [c, 7], &rng))], outputShape: [c])
            case 3:
                layer = Layer(name: name, op: .depthwiseConv2d(DepthwiseConv2DConfig(depthMultiplier: 2, kernelSize: [3, 1])),
                              tensors: [NamedTensor(role: .depthwiseKernel, tensor: randomTensor(dtype(), [6, 1, 3, 1], &rng))])
            case 4:
                layer = Layer(name: name, op: pick([.flatten, .add, .globalMaxPool2d(keepDims: true), .reshape(targetShape: [-1, 2]),
                                                    .zeroPadding2d(padding: [1, 0, 0, 1]), .dropout(rate: 0.5),
                                                    .maxPool2d(Pool2DConfig(poolSize: [2, 2], strides: [2, 2])),
                                                    .rescale(scale: 1.0 / 255, offset: -0.5), .multiply,
                                                    .upsample2d(size: [2, 3]), .cropping2d(cropping: [0, 1, 1, 0])]))
            case 5:
                let other = layers[Int.random(in: 0..<layers.count, using: &rng)].name
                layer = Layer(name: name, op: .concatenate(axis: 1), inbound: [previous, other])
            case 6:
                layer = Layer(name: name, op: .unmapped(className: "Custom\(index)", config: ["seed": .int(Int64(seed & 0xFFFF)), "x": [1.5, "y"]]),
                              tensors: DType.allCases.shuffled(using: &rng).prefix(4).enumerated().map { i, t in
                                  NamedTensor(role: .other("w\(i)"), tensor: randomTensor(t, [Int.random(in: 0...5, using: &rng), 3], &rng))
                              })
            case 7:
                layer = Layer(name: name, op: .separableConv2d(SeparableConv2DConfig(filters: c, kernelSize: [3, 3], dilation: [2, 2])),
                              tensors: [NamedTensor(role: .depthwiseKernel, tensor: randomTensor(.f32, [3, 1, 3, 3], &rng)),
                                        NamedTensor(role: .pointwiseKernel, tensor: randomTensor(.f32, [c, 3, 1, 1], &rng)),
                                        NamedTensor(role: .bias, tensor: randomTensor(.f32, [c], &rng))])
            case 8:
                layer = Layer(name: name, op: .avgPool2d(Pool2DConfig(poolSize: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1],
                                                                      countIncludesPadding: Bool.random(using: &rng))))
            default:
                layer = Layer(name: name, op: .activation(activation))
            }
            if layer.inbound.isEmpty { layer.inbound = [previous] }
            layers.append(layer)
        }
        return Model(name: "random-\(seed)", inputs: ["in"], outputs: [layers[layers.count - 1].name], layers: layers,
                     provenance: Provenance(sourceFormat: "test", sourceVersion: "\(seed)",
                                            sourceArchitecture: seed % 2 == 0 ? nil : "{\"seed\": \(seed)}",
                                            extra: ["seed": .int(Int64(seed & 0xFFFF))]))
    }

    /// Compares two models field by field and tensor bit by bit; returns the first difference.
    static func difference(_ a: Model, _ b: Model) throws -> String? {
        if a.name != b.name { return "name \(a.name) vs \(b.name)" }
        if a.inputs != b.inputs || a.outputs != b.outputs { return "inputs/outputs differ" }
        if a.provenance != b.provenance { return "provenance \(a.provenance) vs \(b.provenance)" }
        if a.layoutNotes != b.layoutNotes { return "layout notes differ" }
        if a.layers.count != b.layers.count { return "layer count \(a.layers.count) vs \(b.layers.count)" }
        for (x, y) in zip(a.layers, b.layers) {
            if x.name != y.name { return "layer name \(x.name) vs \(y.name)" }
            if x.op != y.op { return "layer \(x.name): op \(x.op) vs \(y.op)" }
            if x.inbound != y.inbound { return "layer \(x.name): inbound \(x.inbound) vs \(y.inbound)" }
            if x.outputShape != y.outputShape { return "layer \(x.name): output shape" }
            if x.tensors.count != y.tensors.count { return "layer \(x.name): tensor count" }
            for (s, t) in zip(x.tensors, y.tensors) {
                if s.role != t.role { return "layer \(x.name): role \(s.role) vs \(t.role)" }
                if try !s.tensor.isBitwiseEqual(to: t.tensor) {
                    return "layer \(x.name) tensor \(s.role): \(s.tensor.dtype) \(s.tensor.shape) bytes differ"
                }
            }
        }
        return nil
    }
}
