import JSONSchema

/// What a layer computes, with its configuration, in native (NCHW) terms.
///
/// Spatial pairs are `[height, width]`; explicit padding is `[top, bottom, left, right]` in
/// pixels (TensorFlow's "same" padding can be asymmetric, so readers resolve it to numbers).
/// The manifest's `"kind"` of each case is given in its comment and by `kind`.
public enum LayerOp: Sendable, Hashable {
    /// `input`: a model input; `shape` is per sample (batch excluded), NCHW: `[C, H, W]` or `[F]`.
    case input(shape: [Int])
    /// `conv2d`
    case conv2d(Conv2DConfig)
    /// `depthwise_conv2d`
    case depthwiseConv2d(DepthwiseConv2DConfig)
    /// `separable_conv2d`
    case separableConv2d(SeparableConv2DConfig)
    /// `dense`
    case dense(DenseConfig)
    /// `batch_norm`
    case batchNorm(BatchNormConfig)
    /// `activation`
    case activation(Activation)
    /// `max_pool2d`
    case maxPool2d(Pool2DConfig)
    /// `avg_pool2d`
    case avgPool2d(Pool2DConfig)
    /// `global_avg_pool2d`: mean over H and W; output `[C]`, or `[C, 1, 1]` with `keepDims`.
    case globalAvgPool2d(keepDims: Bool)
    /// `global_max_pool2d`: like `globalAvgPool2d` with max.
    case globalMaxPool2d(keepDims: Bool)
    /// `flatten`: NCHW per-sample data flattened in C, H, W order (not Keras' H, W, C).
    case flatten
    /// `reshape`: to `targetShape`, native per-sample shape (batch excluded), row-major.
    case reshape(targetShape: [Int])
    /// `add`: element-wise sum of all inbound layers (residual connections).
    case add
    /// `concatenate`: along `axis`, a native axis counted including the batch (1 = channels).
    case concatenate(axis: Int)
    /// `zero_padding2d`: `[top, bottom, left, right]`.
    case zeroPadding2d(padding: [Int])
    /// `dropout`: identity at inference; `rate` kept for the reverse conversion.
    case dropout(rate: Double)
    /// `rescale`: `y = x · scale + offset`, computed in float32 (Keras' Rescaling layer).
    case rescale(scale: Double, offset: Double)
    /// `normalize`: Keras' Normalization layer, `y = (x − mean) / max(√variance, epsilon)` per
    /// channel, in float32. Tensors `mean`, `variance` `[1, C, 1, 1]`; an optional `count`
    /// (the number of samples the statistics came from) is kept for the reverse conversion.
    case normalize(epsilon: Double)
    /// `upsample2d`: nearest-neighbour upsampling by `size` `[sh, sw]`: output pixel (y, x)
    /// copies input pixel (y / sh, x / sw).
    case upsample2d(size: [Int])
    /// `cropping2d`: removes `cropping` `[top, bottom, left, right]` pixels.
    case cropping2d(cropping: [Int])
    /// `multiply`: element-wise product of all inbound layers; an input of shape `[C, 1, 1]`
    /// is broadcast over H and W (squeeze-and-excitation gates).
    case multiply
    /// `unmapped`: a source layer carried over verbatim, with its tensors, for the reverse
    /// conversion; an engine cannot run it.
    case unmapped(className: String, config: JSONValue)

    /// The manifest's `"kind"` string.
    public var kind: String {
        switch self {
        case .input: return "input"
        case .conv2d: return "conv2d"
        case .depthwiseConv2d: return "depthwise_conv2d"
        case .separableConv2d: return "separable_conv2d"
        case .dense: return "dense"
        case .batchNorm: return "batch_norm"
        case .activation: return "activation"
        case .maxPool2d: return "max_pool2d"
        case .avgPool2d: return "avg_pool2d"
        case .globalAvgPool2d: return "global_avg_pool2d"
        case .globalMaxPool2d: return "global_max_pool2d"
        case .flatten: return "flatten"
        case .reshape: return "reshape"
        case .add: return "add"
        case .concatenate: return "concatenate"
        case .zeroPadding2d: return "zero_padding2d"
        case .dropout: return "dropout"
        case .rescale: return "rescale"
        case .normalize: return "normalize"
        case .upsample2d: return "upsample2d"
        case .cropping2d: return "cropping2d"
        case .multiply: return "multiply"
        case .unmapped: return "unmapped"
        }
    }

    /// Every `kind` a v1 manifest may use.
    public static let allKinds: [String] = [
        "input", "conv2d", "depthwise_conv2d", "separable_conv2d", "dense", "batch_norm",
        "activation", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "global_max_pool2d",
        "flatten", "reshape", "add", "concatenate", "zero_padding2d", "dropout", "rescale", "multiply", "upsample2d", "cropping2d", "normalize", "unmapped",
    ]
}

/// A 2-D convolution. Tensors: `kernel` OIHW `[filters, inChannels, kh, kw]`, `bias`
/// `[filters]` when `useBias`.
public struct Conv2DConfig: Sendable, Hashable {
    public var filters: Int
    /// `[kh, kw]`
    public var kernelSize: [Int]
    /// `[sh, sw]`
    public var strides: [Int]
    /// `[dh, dw]`
    public var dilation: [Int]
    /// `[top, bottom, left, right]`
    public var padding: [Int]
    public var useBias: Bool
    public var activation: Activation

    public init(filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], dilation: [Int] = [1, 1],
                padding: [Int] = [0, 0, 0, 0], useBias: Bool = true, activation: Activation = .linear) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
    }
}

/// A depthwise 2-D convolution: each input channel c is convolved with `depthMultiplier`
/// filters, giving output channel `c·depthMultiplier + m` (TensorFlow's order).
///
/// Native kernel (`depthwiseKernel`): `[C·M, 1, kh, kw]`, i.e. the OIHW filter of a grouped
/// convolution with `groups = C` — what cuDNN (`cudnnSetConvolutionGroupCount`) and PyTorch
/// expect. `bias` `[C·M]` when `useBias`.
public struct DepthwiseConv2DConfig: Sendable, Hashable {
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilation: [Int]
    public var padding: [Int]
    public var useBias: Bool
    public var activation: Activation

    public init(depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int] = [1, 1], dilation: [Int] = [1, 1],
                padding: [Int] = [0, 0, 0, 0], useBias: Bool = true, activation: Activation = .linear) {
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
    }
}

/// A depthwise convolution followed by a 1×1 convolution. Tensors: `depthwiseKernel`
/// `[C·M, 1, kh, kw]`, `pointwiseKernel` `[filters, C·M, 1, 1]`, `bias` `[filters]` when
/// `useBias`. Stride, dilation and padding apply to the depthwise stage.
public struct SeparableConv2DConfig: Sendable, Hashable {
    public var filters: Int
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilation: [Int]
    public var padding: [Int]
    public var useBias: Bool
    public var activation: Activation

    public init(filters: Int, depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int] = [1, 1],
                dilation: [Int] = [1, 1], padding: [Int] = [0, 0, 0, 0], useBias: Bool = true,
                activation: Activation = .linear) {
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilation = dilation
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
    }
}

/// A fully connected layer. Tensors: `kernel` `[units, inFeatures]` (out, in), `bias`
/// `[units]` when `useBias`. When the input is a flattened NCHW map, `inFeatures` is in
/// C, H, W order.
public struct DenseConfig: Sendable, Hashable {
    public var units: Int
    public var useBias: Bool
    public var activation: Activation

    public init(units: Int, useBias: Bool = true, activation: Activation = .linear) {
        self.units = units
        self.useBias = useBias
        self.activation = activation
    }
}

/// How batch-norm statistics are shared; the raw value is the manifest's `"mode"`.
public enum BatchNormMode: String, Sendable, Hashable, CaseIterable {
    /// cuDNN `CUDNN_BATCHNORM_SPATIAL`: one set per channel, parameters `[1, C, 1, 1]`.
    /// Also the head case: a BN after Flatten or Dense is `[1, C, 1, 1]` with C = features.
    case spatial
    /// cuDNN `CUDNN_BATCHNORM_PER_ACTIVATION`: one set per activation, parameters `[1, C, H, W]`.
    case perActivation = "per_activation"
}

/// Inference-time batch normalisation `y = gamma · (x − mean) / sqrt(variance + epsilon) + beta`.
/// Tensors `gamma`, `beta`, `mean`, `variance` are all present and rank 4 (see `BatchNormMode`).
public struct BatchNormConfig: Sendable, Hashable {
    public var mode: BatchNormMode
    /// The source's epsilon, kept as a double (never rounded to float).
    public var epsilon: Double
    /// The source's momentum (training only; kept for the reverse conversion).
    public var momentum: Double
    /// Which of `.gamma` / `.beta` the source did not have (Keras `scale=False` /
    /// `center=False`); they are materialised as ones / zeros because an engine needs all four,
    /// and the reverse conversion drops them again.
    public var materialized: Set<TensorRole>

    public init(mode: BatchNormMode, epsilon: Double, momentum: Double = 0.99, materialized: Set<TensorRole> = []) {
        self.mode = mode
        self.epsilon = epsilon
        self.momentum = momentum
        self.materialized = materialized
    }
}

/// Max or average pooling over windows of `poolSize`.
public struct Pool2DConfig: Sendable, Hashable {
    /// `[ph, pw]`
    public var poolSize: [Int]
    /// `[sh, sw]`
    public var strides: [Int]
    /// `[top, bottom, left, right]`
    public var padding: [Int]
    /// Average pooling only: whether padded cells count in the divisor. TensorFlow's "same"
    /// average pooling excludes them (`false`, cuDNN
    /// `CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING`). Ignored by max pooling.
    public var countIncludesPadding: Bool

    public init(poolSize: [Int], strides: [Int], padding: [Int] = [0, 0, 0, 0], countIncludesPadding: Bool = false) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
        self.countIncludesPadding = countIncludesPadding
    }
}
