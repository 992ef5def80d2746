import Foundation
import Testing
@testable import BNModel

/// Cross-checks the reference forward pass against Keras itself: a Python script builds small
/// Keras models with random weights and saves inputs, predictions and weights as `.npy`; each
/// test maps the weights to native layouts by hand (the same permutations a reader does) and
/// requires `allclose(ours, keras, rtol: 1e-4, atol: 1e-5)`.
///
/// Needs python3 with keras (TensorFlow backend); skipped otherwise.
@Suite("Reference forward pass agrees with Keras", .enabled(if: KerasCrossCheck.available))
struct KerasCrossCheckTests {
    @Test("conv2d 'same' stride 2 with asymmetric padding, relu, then dilated 'valid'")
    func convolution() throws {
        let c = try KerasCrossCheck.shared.case("conv")
        try c.check(input: [3, 7, 6], [
            try c.conv("conv", filters: 4, kernel: [3, 3], strides: [2, 2], padding: samePadding([7, 6], kernel: [3, 3], strides: [2, 2]),
                       activation: .relu),
            try c.conv("dil", filters: 2, kernel: [2, 2], dilation: [2, 2]),
        ])
        let even = try KerasCrossCheck.shared.case("conv_same_even")
        try even.check(input: [2, 8, 8], [
            try even.conv("conv", filters: 3, kernel: [4, 4], strides: [2, 2], padding: samePadding([8, 8], kernel: [4, 4], strides: [2, 2])),
        ])
    }

    @Test("depthwise_conv2d multiplier 2, 'same' stride 2, relu6 (Keras kernel kh,kw,C,M → [C·M,1,kh,kw])")
    func depthwise() throws {
        let c = try KerasCrossCheck.shared.case("depthwise")
        let kernel = try c.weight("dw", 0)
        let native = try Tensor(float32: kernel.values, shape: [3, 3, 6, 1]).permuted([2, 3, 0, 1])
        try c.check(input: [3, 7, 6], [
            Layer(name: "dw", op: .depthwiseConv2d(DepthwiseConv2DConfig(
                depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2], padding: samePadding([7, 6], kernel: [3, 3], strides: [2, 2]),
                activation: .relu6)),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: native), NamedTensor(role: .bias, tensor: try c.tensor("dw", 1))]),
        ])
    }

    @Test("separable_conv2d multiplier 2, 'same', swish")
    func separable() throws {
        let c = try KerasCrossCheck.shared.case("separable")
        let depthwise = try Tensor(float32: try c.weight("sep", 0).values, shape: [3, 3, 6, 1]).permuted([2, 3, 0, 1])
        try c.check(input: [3, 7, 6], [
            Layer(name: "sep", op: .separableConv2d(SeparableConv2DConfig(
                filters: 5, depthMultiplier: 2, kernelSize: [3, 3], padding: [1, 1, 1, 1], activation: .swish)),
                  tensors: [NamedTensor(role: .depthwiseKernel, tensor: depthwise),
                            NamedTensor(role: .pointwiseKernel, tensor: try c.tensor("sep", 1, permutation: [3, 2, 0, 1])),
                            NamedTensor(role: .bias, tensor: try c.tensor("sep", 2))]),
        ])
    }

    @Test("average pooling 'same' excludes padding; max pooling 'same' on an odd width")
    func pooling() throws {
        let c = try KerasCrossCheck.shared.case("pool")
        try c.check(input: [3, 7, 6], [
            Layer(name: "avg", op: .avgPool2d(Pool2DConfig(poolSize: [3, 3], strides: [2, 2],
                                                           padding: samePadding([7, 6], kernel: [3, 3], strides: [2, 2])))),
            Layer(name: "max", op: .maxPool2d(Pool2DConfig(poolSize: [2, 2], strides: [2, 2],
                                                           padding: samePadding([4, 3], kernel: [2, 2], strides: [2, 2])))),
        ])
    }

    @Test("BN on a map, zero padding, flatten → dense (rows permuted H,W,C → C,H,W), BN on a vector, softmax")
    func head() throws {
        let c = try KerasCrossCheck.shared.case("head")
        // Keras flattens NHWC as (h, w, c); native flatten is (c, h, w): reorder the kernel rows.
        let kernel = try c.weight("fc", 0)
        let rowsCHW = try Tensor(float32: kernel.values, shape: [8, 9, 3, 6]).permuted([2, 0, 1, 3]).floats()
        let fcKernel = try Tensor(float32: rowsCHW, shape: [216, 6]).permuted([1, 0])
        try c.check(input: [3, 7, 6], [
            try c.batchNorm("bn", channels: 3),
            Layer(name: "pad", op: .zeroPadding2d(padding: [1, 0, 2, 1])),
            Layer(name: "flat", op: .flatten),
            Layer(name: "fc", op: .dense(DenseConfig(units: 6)),
                  tensors: [NamedTensor(role: .kernel, tensor: fcKernel), NamedTensor(role: .bias, tensor: try c.tensor("fc", 1))]),
            try c.batchNorm("bn2", channels: 6),
            try c.dense("out", units: 3, activation: .softmax(axis: -1)),
        ])
    }

    @Test("add, concatenate on channels and on vectors, global max and average pooling, sigmoid")
    func branches() throws {
        let c = try KerasCrossCheck.shared.case("branches")
        let model = Model(name: "branches", inputs: ["in"], outputs: ["out"], layers: [
            Layer(name: "in", op: .input(shape: [4, 6, 6])),
            try c.conv("a", filters: 4, kernel: [1, 1], inbound: ["in"]),
            Layer(name: "add", op: .add, inbound: ["in", "a"]),
            Layer(name: "cat", op: .concatenate(axis: 1), inbound: ["add", "in"]),
            Layer(name: "gmax", op: .globalMaxPool2d(keepDims: false), inbound: ["cat"]),
            Layer(name: "gavg", op: .globalAvgPool2d(keepDims: false), inbound: ["add"]),
            Layer(name: "join", op: .concatenate(axis: -1), inbound: ["gmax", "gavg"]),
            try c.dense("out", units: 2, activation: .sigmoid, inbound: ["join"]),
        ], provenance: Provenance(sourceFormat: "test"))
        try c.check(model)
    }

    @Test("activations match Keras 3", arguments: [
        ("elu", Activation.elu(alpha: 1)), ("selu", .selu), ("gelu", .gelu(approximate: false)),
        ("hard_sigmoid", .hardSigmoid), ("hard_swish", .hardSwish), ("softplus", .softplus), ("softsign", .softsign),
        ("mish", .mish), ("tanh", .tanh), ("sigmoid", .sigmoid), ("exponential", .exponential), ("relu6", .relu6),
        ("silu", .swish), ("leaky", .leakyRelu(alpha: 0.2)),
        ("clipped", .clippedRelu(maxValue: 5, negativeSlope: 0.5, threshold: 1)), ("softmax", .softmax(axis: -1)),
    ])
    func activation(_ name: String, _ activation: Activation) throws {
        let c = try KerasCrossCheck.shared.case("act_" + name)
        try c.check(input: [24], [Layer(name: name, op: .activation(activation))])
    }
}

/// TensorFlow's "same" padding `[top, bottom, left, right]` for `input` `[H, W]`: the total
/// `max((ceil(n/s) − 1)·s + (k − 1)·d + 1 − n, 0)`, the smaller half before.
func samePadding(_ input: [Int], kernel: [Int], strides: [Int], dilation: [Int] = [1, 1]) -> [Int] {
    (0..<2).flatMap { axis -> [Int] in
        let out = (input[axis] + strides[axis] - 1) / strides[axis]
        let total = max((out - 1) * strides[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - input[axis], 0)
        return [total / 2, total - total / 2]
    }
}

/// The Keras-generated arrays, made once per test run: the script writes them to a temporary
/// folder, they are read into memory and the folder is removed.
final class KerasCrossCheck: Sendable {
    static let available: Bool = {
        guard let result = try? Python.run(["-c", "import keras"]) else { return false }
        return result.status == 0
    }()

    static let shared = KerasCrossCheck()
    /// File name without `.npy` → array.
    let arrays: [String: NDArray]
    let failure: String?

    private init() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keras-crosscheck-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var arrays: [String: NDArray] = [:]
        var failure: String?
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let result = try Python.run(["-c", Self.script, folder])
            if result.status == 0 {
                for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".npy") {
                    arrays[String(name.dropLast(4))] = try NPY.read(folder + "/" + name)
                }
            } else {
                failure = result.stderr
            }
        } catch {
            failure = "\(error)"
        }
        self.arrays = arrays
        self.failure = failure
    }

    func `case`(_ name: String) throws -> KerasCase {
        if let failure { throw KerasCrossCheckFailure(message: "the Keras script failed: \(failure)") }
        return KerasCase(arrays: arrays, name: name)
    }

    static let script = #"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
from keras import layers
out = sys.argv[1]
rng = np.random.default_rng(7)

def randomize(model):
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights: continue
        if isinstance(layer, layers.BatchNormalization):
            g, b, m, v = weights
            layer.set_weights([rng.uniform(0.5, 1.5, g.shape), rng.normal(0, 0.5, b.shape),
                               rng.normal(0, 0.5, m.shape), rng.uniform(0.5, 2.0, v.shape)])
        else:
            layer.set_weights([rng.normal(0, 0.4, w.shape) for w in weights])

def save(name, model, x):
    randomize(model)
    y = model.predict(x, verbose=0)
    np.save(f"{out}/{name}.input.npy", x.astype(np.float32))
    np.save(f"{out}/{name}.expected.npy", np.asarray(y, dtype=np.float32))
    for layer in model.layers:
        for i, w in enumerate(layer.get_weights()):
            np.save(f"{out}/{name}.{layer.name}.{i}.npy", np.asarray(w, dtype=np.float32))

def image(h, w, c):
    return rng.normal(0, 1, (2, h, w, c)).astype(np.float32)

save("conv", keras.Sequential([keras.Input((7, 6, 3)),
    layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv"),
    layers.Conv2D(2, (2, 2), dilation_rate=2, padding="valid", name="dil")]), image(7, 6, 3))
save("conv_same_even", keras.Sequential([keras.Input((8, 8, 2)),
    layers.Conv2D(3, 4, strides=2, padding="same", name="conv")]), image(8, 8, 2))
save("depthwise", keras.Sequential([keras.Input((7, 6, 3)),
    layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, activation="relu6", name="dw")]), image(7, 6, 3))
save("separable", keras.Sequential([keras.Input((7, 6, 3)),
    layers.SeparableConv2D(5, 3, padding="same", depth_multiplier=2, activation="swish", name="sep")]), image(7, 6, 3))
save("pool", keras.Sequential([keras.Input((7, 6, 3)),
    layers.AveragePooling2D(3, strides=2, padding="same", name="avg"),
    layers.MaxPooling2D(2, padding="same", name="max")]), image(7, 6, 3))
save("head", keras.Sequential([keras.Input((7, 6, 3)),
    layers.BatchNormalization(name="bn"),
    layers.ZeroPadding2D(((1, 0), (2, 1)), name="pad"),
    layers.Flatten(name="flat"),
    layers.Dense(6, name="fc"),
    layers.BatchNormalization(name="bn2"),
    layers.Dense(3, activation="softmax", name="out")]), image(7, 6, 3))
x = keras.Input((6, 6, 4))
a = layers.Conv2D(4, 1, name="a")(x)
s = layers.Add(name="add")([x, a])
c = layers.Concatenate(name="cat")([s, x])
g = layers.GlobalMaxPooling2D(name="gmax")(c)
h = layers.GlobalAveragePooling2D(name="gavg")(s)
j = layers.Concatenate(name="join")([g, h])
save("branches", keras.Model(x, layers.Dense(2, activation="sigmoid", name="out")(j)), image(6, 6, 4))

v = rng.normal(0, 3, (2, 24)).astype(np.float32)
for name, layer in [("elu", layers.Activation("elu")), ("selu", layers.Activation("selu")),
                    ("gelu", layers.Activation("gelu")), ("hard_sigmoid", layers.Activation("hard_sigmoid")),
                    ("hard_swish", layers.Activation("hard_swish")), ("softplus", layers.Activation("softplus")),
                    ("softsign", layers.Activation("softsign")), ("mish", layers.Activation("mish")),
                    ("tanh", layers.Activation("tanh")), ("sigmoid", layers.Activation("sigmoid")),
                    ("exponential", layers.Activation("exponential")), ("relu6", layers.Activation("relu6")),
                    ("silu", layers.Activation("silu")), ("leaky", layers.LeakyReLU(negative_slope=0.2)),
                    ("clipped", layers.ReLU(max_value=5.0, negative_slope=0.5, threshold=1.0)),
                    ("softmax", layers.Softmax())]:
    save("act_" + name, keras.Sequential([keras.Input((24,)), layer]), v)
print("ok")
"""#
}

struct KerasCrossCheckFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// One Keras model's arrays: `<name>.input`, `<name>.expected`, `<name>.<layer>.<i>` (weights in
/// `layer.get_weights()` order).
struct KerasCase {
    let arrays: [String: NDArray]
    let name: String

    func array(_ suffix: String) throws -> NDArray {
        guard let array = arrays["\(name).\(suffix)"] else {
            throw KerasCrossCheckFailure(message: "the Keras script wrote no \(name).\(suffix).npy")
        }
        return array
    }
    func weight(_ layer: String, _ index: Int) throws -> NDArray { try array("\(layer).\(index)") }

    /// A Keras weight as a tensor, optionally permuted to its native layout.
    func tensor(_ layer: String, _ index: Int, shape: [Int]? = nil, permutation: [Int]? = nil) throws -> Tensor {
        let weight = try weight(layer, index)
        let tensor = try Tensor(float32: weight.values, shape: shape ?? weight.shape)
        return try permutation.map { try tensor.permuted($0) } ?? tensor
    }

    /// A Keras Conv2D: kernel HWIO → OIHW, bias as is.
    func conv(_ layer: String, filters: Int, kernel: [Int], strides: [Int] = [1, 1], dilation: [Int] = [1, 1],
              padding: [Int] = [0, 0, 0, 0], activation: Activation = .linear, inbound: [String] = []) throws -> Layer {
        Layer(name: layer, op: .conv2d(Conv2DConfig(filters: filters, kernelSize: kernel, strides: strides, dilation: dilation,
                                                    padding: padding, activation: activation)),
              inbound: inbound,
              tensors: [NamedTensor(role: .kernel, tensor: try tensor(layer, 0, permutation: [3, 2, 0, 1])),
                        NamedTensor(role: .bias, tensor: try tensor(layer, 1))])
    }

    /// A Keras Dense: kernel (in, out) → [out, in].
    func dense(_ layer: String, units: Int, activation: Activation = .linear, inbound: [String] = []) throws -> Layer {
        Layer(name: layer, op: .dense(DenseConfig(units: units, activation: activation)), inbound: inbound,
              tensors: [NamedTensor(role: .kernel, tensor: try tensor(layer, 0, permutation: [1, 0])),
                        NamedTensor(role: .bias, tensor: try tensor(layer, 1))])
    }

    /// A Keras BatchNormalization (gamma, beta, moving mean, moving variance; epsilon 1e-3) as
    /// spatial `[1, C, 1, 1]` parameters.
    func batchNorm(_ layer: String, channels: Int) throws -> Layer {
        let roles: [TensorRole] = [.gamma, .beta, .mean, .variance]
        return Layer(name: layer, op: .batchNorm(BatchNormConfig(mode: .spatial, epsilon: 1e-3)),
                     tensors: try roles.enumerated().map { NamedTensor(role: $1, tensor: try tensor(layer, $0, shape: [1, channels, 1, 1])) })
    }

    /// Runs `layers` chained after an input of native `shape` and compares with Keras.
    func check(input shape: [Int], _ layers: [Layer]) throws {
        try check(Hand.chain(input: shape, layers))
    }

    /// Runs `model` on the Keras input (NHWC → NCHW) and requires Keras' prediction within
    /// `rtol 1e-4, atol 1e-5`, after moving a map output back to NHWC.
    func check(_ model: Model) throws {
        let input = try array("input").transposedNHWCtoNCHW()
        let expected = try array("expected")
        let output = try ReferenceInterpreter(model: model).run(inputs: [model.inputs[0]: input])[model.outputs[0]]
        let ours = try #require(output).transposedNCHWtoNHWC()
        let comparison = try Comparison(actual: ours, expected: expected)
        #expect(comparison.passed, "\(name): \(comparison)")
    }
}
