#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An `Activation` with its softmax axis resolved against the data's rank.
///
/// Every element-wise function is evaluated in double on the float32 input and rounded once,
/// following the definitions in `Activation` (which are the engine's). Softmax subtracts the
/// maximum along its axis before exponentiating, so large logits cannot overflow.
struct ResolvedActivation: Sendable {
    let activation: Activation
    /// For softmax: the axis of the full array (batch included), in `0..<rank`.
    let softmaxAxis: Int

    init(activation: Activation, softmaxAxis: Int) {
        self.activation = activation
        self.softmaxAxis = softmaxAxis
    }

    /// Resolves a softmax axis (−1 = last) for data of `rank` dimensions, batch included; nil
    /// when the axis is outside `−rank..<rank`. Other activations always resolve.
    init?(_ activation: Activation, rank: Int) {
        self.activation = activation
        if case .softmax(let axis) = activation {
            let resolved = axis < 0 ? axis + rank : axis
            guard resolved >= 0, resolved < rank else { return nil }
            softmaxAxis = resolved
        } else {
            softmaxAxis = 0
        }
    }

    func apply(to array: inout NDArray) {
        switch activation {
        case .linear:
            return
        case .softmax:
            Elementwise.softmax(&array, axis: softmaxAxis)
        default:
            let function = Elementwise.function(activation)
            array.values.withUnsafeMutableBufferPointer { values in
                for index in values.indices { values[index] = Float(function(Double(values[index]))) }
            }
        }
    }
}

/// Element-wise arithmetic shared by the layers.
enum Elementwise {
    /// The SELU constants (Klambauer et al. 2017), as Keras and PyTorch use them.
    static let seluAlpha = 1.6732632423543772848170429916717
    static let seluScale = 1.0507009873554804934193349852946

    /// The scalar function of every activation except softmax (and linear, the identity).
    static func function(_ activation: Activation) -> @Sendable (Double) -> Double {
        switch activation {
        case .linear, .softmax:
            return { $0 }
        case .relu:
            return { $0 < 0 ? 0 : $0 }
        case .relu6:
            return { $0 < 0 ? 0 : ($0 > 6 ? 6 : $0) }
        case .leakyRelu(let alpha):
            return { $0 >= 0 ? $0 : alpha * $0 }
        case .clippedRelu(let maxValue, let negativeSlope, let threshold):
            return { x in
                if let maxValue, x >= maxValue { return maxValue }
                if x >= threshold { return x }
                return negativeSlope * (x - threshold)
            }
        case .sigmoid:
            return { sigmoid($0) }
        case .tanh:
            return { tanh($0) }
        case .hardSigmoid:
            return { clamp($0 / 6 + 0.5) }
        case .hardSigmoidLegacy:
            return { clamp(0.2 * $0 + 0.5) }
        case .swish:
            return { $0 * sigmoid($0) }
        case .hardSwish:
            return { x in x * Swift.min(Swift.max(x + 3, 0), 6) / 6 }
        case .elu(let alpha):
            return { $0 > 0 ? $0 : alpha * expm1($0) }
        case .selu:
            return { $0 > 0 ? seluScale * $0 : seluScale * seluAlpha * expm1($0) }
        case .gelu(let approximate):
            if approximate {
                let c = (2 / Double.pi).squareRoot()
                return { x in 0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x))) }
            }
            return { x in 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }
        case .softplus:
            return { softplus($0) }
        case .softsign:
            return { $0 / (1 + abs($0)) }
        case .exponential:
            return { exp($0) }
        case .mish:
            return { $0 * tanh(softplus($0)) }
        }
    }

    /// `1 / (1 + e^−x)`, written so that neither branch overflows.
    static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + exp(-x)) }
        let e = exp(x)
        return e / (1 + e)
    }

    /// `log(1 + eˣ)` without overflow for large x.
    static func softplus(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }

    /// Clamps to `[0, 1]`.
    static func clamp(_ x: Double) -> Double { Swift.min(Swift.max(x, 0), 1) }

    /// Softmax along `axis` of the full array (batch included): for every position of the
    /// other axes, `exp(x − max) / Σ exp(x − max)`, summed in double.
    static func softmax(_ array: inout NDArray, axis: Int) {
        let shape = array.shape
        let outer = shape[..<axis].reduce(1, *)
        let length = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        guard length > 0 else { return }
        var exponentials = [Double](repeating: 0, count: length)
        array.values.withUnsafeMutableBufferPointer { values in
            for o in 0..<outer {
                for i in 0..<inner {
                    let start = o * length * inner + i
                    var largest = -Double.infinity
                    for k in 0..<length { largest = Swift.max(largest, Double(values[start + k * inner])) }
                    var sum = 0.0
                    for k in 0..<length {
                        exponentials[k] = exp(Double(values[start + k * inner]) - largest)
                        sum += exponentials[k]
                    }
                    for k in 0..<length { values[start + k * inner] = Float(exponentials[k] / sum) }
                }
            }
        }
    }

    /// The element-wise product of arrays shaped `outputShape` (batch included), in operand
    /// order, in float32; an operand shaped `[N, C, 1, 1]` is broadcast over H and W.
    static func multiply(_ inputs: [NDArray], outputShape: [Int]) -> NDArray {
        let count = outputShape.reduce(1, *)
        var output = [Float](repeating: 1, count: count)
        let plane = outputShape.count == 4 ? outputShape[2] * outputShape[3] : 1
        for operand in inputs {
            if operand.values.count == count {
                for index in 0..<count { output[index] *= operand.values[index] }
            } else {
                // A gate: one value per (sample, channel), repeated over the H×W plane.
                for index in 0..<count { output[index] *= operand.values[index / plane] }
            }
        }
        return NDArray(shape: outputShape, values: output)
    }

    /// The element-wise sum of arrays of one shape, in operand order, in float32 (as
    /// TensorFlow's `Add` / `AddN`).
    static func add(_ inputs: [NDArray]) -> NDArray {
        var output = inputs[0]
        for operand in inputs.dropFirst() {
            output.values.withUnsafeMutableBufferPointer { sum in
                operand.values.withUnsafeBufferPointer { values in
                    for index in sum.indices { sum[index] += values[index] }
                }
            }
        }
        return output
    }
}
