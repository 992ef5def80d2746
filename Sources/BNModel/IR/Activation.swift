import JSONSchema

/// An element-wise (or softmax) nonlinearity, fused into a layer or standing alone.
///
/// Definitions are the engine's; where Keras versions disagree the case says which one it is.
/// In the manifest an activation is an object `{"name": …, parameters…}` (see FORMAT.md).
public enum Activation: Sendable, Hashable {
    /// Identity.
    case linear
    /// `max(x, 0)`.
    case relu
    /// `min(max(x, 0), 6)`.
    case relu6
    /// `x ≥ 0 ? x : alpha·x`.
    case leakyRelu(alpha: Double)
    /// Keras' general ReLU layer: `x ≥ maxValue → maxValue` (when set), `threshold ≤ x < max →
    /// x`, `x < threshold → negativeSlope·(x − threshold)`. Readers map the plain cases to
    /// `relu`/`relu6`/`leakyRelu` when the parameters allow, and use this one otherwise.
    case clippedRelu(maxValue: Double?, negativeSlope: Double, threshold: Double)
    case sigmoid
    case tanh
    /// Softmax along `axis`, a native NCHW axis counted including the batch (1 = channels);
    /// -1 = last axis.
    case softmax(axis: Int)
    /// Keras 3 / PyTorch definition: `clip(x/6 + 0.5, 0, 1)`.
    case hardSigmoid
    /// Keras 2 / tf.keras definition: `clip(0.2·x + 0.5, 0, 1)`.
    case hardSigmoidLegacy
    /// `x · sigmoid(x)` (a.k.a. SiLU).
    case swish
    /// `x · relu6(x + 3) / 6`.
    case hardSwish
    /// `x ≥ 0 ? x : alpha·(eˣ − 1)`.
    case elu(alpha: Double)
    /// SELU with the standard constants.
    case selu
    /// GELU; `approximate` selects the tanh approximation.
    case gelu(approximate: Bool)
    /// `log(1 + eˣ)`.
    case softplus
    /// `x / (1 + |x|)`.
    case softsign
    /// `eˣ`.
    case exponential
    /// `x · tanh(softplus(x))`.
    case mish

    /// The manifest's `"name"` of this activation.
    public var name: String {
        switch self {
        case .linear: return "linear"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .leakyRelu: return "leaky_relu"
        case .clippedRelu: return "clipped_relu"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .softmax: return "softmax"
        case .hardSigmoid: return "hard_sigmoid"
        case .hardSigmoidLegacy: return "hard_sigmoid_legacy"
        case .swish: return "swish"
        case .hardSwish: return "hard_swish"
        case .elu: return "elu"
        case .selu: return "selu"
        case .gelu: return "gelu"
        case .softplus: return "softplus"
        case .softsign: return "softsign"
        case .exponential: return "exponential"
        case .mish: return "mish"
        }
    }

    /// Every `name` a manifest may use.
    public static let allNames: [String] = [
        "linear", "relu", "relu6", "leaky_relu", "clipped_relu", "sigmoid", "tanh", "softmax",
        "hard_sigmoid", "hard_sigmoid_legacy", "swish", "hard_swish", "elu", "selu", "gelu",
        "softplus", "softsign", "exponential", "mish",
    ]
}
