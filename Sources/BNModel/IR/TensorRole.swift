/// What a tensor means to the layer that owns it. The raw value is the manifest's `"role"`.
public enum TensorRole: Sendable, Hashable, CustomStringConvertible {
    /// conv2d: OIHW `[outChannels, inChannels, kh, kw]`; dense: `[out, in]`.
    case kernel
    /// `[outChannels]` (or `[units]`).
    case bias
    /// Batch-norm scale; rank 4, see `BatchNormMode`.
    case gamma
    /// Batch-norm shift; rank 4.
    case beta
    /// Batch-norm moving mean; rank 4.
    case mean
    /// Batch-norm moving variance; rank 4.
    case variance
    /// Depthwise kernel `[C·M, 1, kh, kw]` (grouped-conv OIHW with groups = C).
    case depthwiseKernel
    /// Separable conv's second stage, OIHW `[filters, C·M, 1, 1]`.
    case pointwiseKernel
    /// Anything else, kept verbatim (e.g. tensors of an `unmapped` layer).
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "kernel": self = .kernel
        case "bias": self = .bias
        case "gamma": self = .gamma
        case "beta": self = .beta
        case "mean": self = .mean
        case "variance": self = .variance
        case "depthwise_kernel": self = .depthwiseKernel
        case "pointwise_kernel": self = .pointwiseKernel
        default: self = .other(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .kernel: return "kernel"
        case .bias: return "bias"
        case .gamma: return "gamma"
        case .beta: return "beta"
        case .mean: return "mean"
        case .variance: return "variance"
        case .depthwiseKernel: return "depthwise_kernel"
        case .pointwiseKernel: return "pointwise_kernel"
        case .other(let name): return name
        }
    }

    public var description: String { rawValue }

    /// `.other("kernel")` and `.kernel` are the same role.
    public static func == (lhs: TensorRole, rhs: TensorRole) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

/// A tensor together with the role it plays in its layer.
public struct NamedTensor: Sendable {
    public var role: TensorRole
    public var tensor: Tensor

    public init(role: TensorRole, tensor: Tensor) {
        self.role = role
        self.tensor = tensor
    }
}
