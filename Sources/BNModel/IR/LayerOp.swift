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
    /// `layer_norm`: normalisation over the channels at each position; see `LayerNormConfig`.
    case layerNorm(LayerNormConfig)
    /// `unmapped`: a source layer carried over verbatim, with its tensors, for the reverse
    /// conversion; an engine cannot run it.
    case unmapped(className: String, config: JSONValue)

    /// The manifest's `"kind"` string.
    public var kind: String { type(of: definition).kind }

    /// Every `kind` a v1 manifest may use.
    public static let allKinds: [String] = kinds.map { $0.kind }

    /// The description of this layer's kind: its attributes, limits, shape rule and tensors.
    /// The one switch over the cases; every rule reads from what it returns.
    var definition: any LayerKind {
        switch self {
        case .input(let shape): InputKind(shape: shape)
        case .conv2d(let config): config
        case .depthwiseConv2d(let config): config
        case .separableConv2d(let config): config
        case .dense(let config): config
        case .batchNorm(let config): config
        case .activation(let function): ActivationKind(function)
        case .maxPool2d(let config): MaxPool2DKind(config)
        case .avgPool2d(let config): AvgPool2DKind(config)
        case .globalAvgPool2d(let keepDims): GlobalAvgPool2DKind(keepDims: keepDims)
        case .globalMaxPool2d(let keepDims): GlobalMaxPool2DKind(keepDims: keepDims)
        case .flatten: FlattenKind()
        case .reshape(let targetShape): ReshapeKind(targetShape: targetShape)
        case .add: AddKind()
        case .concatenate(let axis): ConcatenateKind(axis: axis)
        case .zeroPadding2d(let padding): ZeroPadding2DKind(padding: padding)
        case .dropout(let rate): DropoutKind(rate: rate)
        case .rescale(let scale, let offset): RescaleKind(scale: scale, offset: offset)
        case .normalize(let epsilon): NormalizeKind(epsilon: epsilon)
        case .upsample2d(let size): UpSample2DKind(size: size)
        case .cropping2d(let cropping): Cropping2DKind(cropping: cropping)
        case .multiply: MultiplyKind()
        case .layerNorm(let config): config
        case .unmapped(let className, let config): UnmappedKind(className: className, config: config)
        }
    }

    static let kindsByName: [String: any LayerKind.Type] = Dictionary(uniqueKeysWithValues: kinds.map { ($0.kind, $0) })

    /// Every kind, in the order the manifest documentation lists them; the decoder looks names up here.
    static let kinds: [any LayerKind.Type] = [
        InputKind.self, Conv2DConfig.self, DepthwiseConv2DConfig.self, SeparableConv2DConfig.self, DenseConfig.self,
        BatchNormConfig.self, ActivationKind.self, MaxPool2DKind.self, AvgPool2DKind.self, GlobalAvgPool2DKind.self,
        GlobalMaxPool2DKind.self, FlattenKind.self, ReshapeKind.self, AddKind.self, ConcatenateKind.self,
        ZeroPadding2DKind.self, DropoutKind.self, RescaleKind.self, MultiplyKind.self, UpSample2DKind.self,
        Cropping2DKind.self, NormalizeKind.self, LayerNormConfig.self, UnmappedKind.self,
    ]
}

