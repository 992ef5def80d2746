import JSONSchema

/// A 2-D convolution. Tensors: `kernel` OIHW `[filters, inChannels / groups, kh, kw]`, `bias`
/// `[filters]` when `useBias`.
///
/// With `groups` g > 1 (a grouped convolution, as in ResNeXt and RegNet), the input channels
/// and the filters are split into g equal consecutive groups and filter o reads only the input
/// channels of group `o / (filters / g)` — cuDNN's `cudnnSetConvolutionGroupCount`, PyTorch's
/// `groups` and Keras' `Conv2D(groups=…)` alike.
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
    /// Divides both the input channels and `filters`; 1 for an ordinary convolution.
    public var groups: Int

    public init(filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], dilation: [Int] = [1, 1],
                padding: [Int] = [0, 0, 0, 0], useBias: Bool = true, activation: Activation = .linear, groups: Int = 1) {
        self.groups = groups
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

extension Conv2DConfig: LayerKind {
    static let kind = "conv2d"
    var outputActivation: Activation? { activation }
    var op: LayerOp { .conv2d(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(filters: try a.integer("filters"), kernelSize: try a.integers("kernel_size"), strides: try a.integers("strides"),
                  dilation: try a.integers("dilation"), padding: try a.integers("padding"), useBias: try a.bool("use_bias"),
                  activation: try a.activation(), groups: try a.optionalValue("groups").map { v throws(ManifestIssue) in
                      try ManifestObject.int(v, a.path("groups"), minimum: -BNMHeader.maxManifestInteger)
                  } ?? 1)
    }

    /// `groups` is written only when it is not 1: files without grouped convolutions keep the
    /// bytes they had before the attribute existed, and a reader that predates it refuses a
    /// grouped kernel by its shape rather than running it as an ordinary one.
    var manifestAttributes: JSONObject {
        var attributes: JSONObject = [
            "filters": .integer(filters), "kernel_size": .ints(kernelSize), "strides": .ints(strides), "dilation": .ints(dilation),
            "padding": .ints(padding), "use_bias": .bool(useBias), "activation": activation.manifestJSON,
        ]
        if groups != 1 { attributes["groups"] = .integer(groups) }
        return attributes
    }

    func checkAttributes() throws(AttributeIssue) {
        try Limits.positive("filters", filters)
        try Limits.positive("groups", groups)
        guard filters % groups == 0 else {
            throw AttributeIssue(field: "groups", message: "must divide filters = \(filters), got \(groups)")
        }
        try Window(kernelSize: kernelSize, strides: strides, dilation: dilation, padding: padding).check()
        try Limits.activation(activation)
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        guard input[0] % groups == 0 else {
            throw .invalidAttribute(layer: rules.layer, kind: Self.kind, field: "groups",
                                    message: "\(groups) does not divide the input's \(input[0]) channels")
        }
        let (height, width) = try rules.window(input, kernel: kernelSize, strides: strides, dilation: dilation, padding: padding)
        return [filters, height, width]
    }

    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let perGroup = inputs.mapChannels.flatMap { $0 % groups == 0 ? $0 / groups : nil }
        let inChannels: ExpectedDimension = groups == 1
            ? .input(perGroup, "C", unit: "input channels")
            : .input(perGroup, "C/\(groups)", unit: "input channels per group", origin: "its input's channels / groups \(groups)")
        let kernel: [ExpectedDimension] = [.attribute("filters", filters), inChannels] + ExpectedDimension.window("kernel_size", kernelSize)
        let layout = groups == 1 ? "OIHW [filters, inChannels, kh, kw]" : "OIHW [filters, inChannels / groups, kh, kw]"
        return [ExpectedTensor(role: .kernel, dimensions: kernel, layout: layout)]
            + ExpectedTensor.bias(useBias, .attribute("filters", filters), layout: "[filters]")
    }
}

extension DepthwiseConv2DConfig: LayerKind {
    static let kind = "depthwise_conv2d"
    var outputActivation: Activation? { activation }
    var op: LayerOp { .depthwiseConv2d(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(depthMultiplier: try a.integer("depth_multiplier"), kernelSize: try a.integers("kernel_size"),
                  strides: try a.integers("strides"), dilation: try a.integers("dilation"), padding: try a.integers("padding"),
                  useBias: try a.bool("use_bias"), activation: try a.activation())
    }

    var manifestAttributes: JSONObject {
        ["depth_multiplier": .integer(depthMultiplier), "kernel_size": .ints(kernelSize), "strides": .ints(strides),
         "dilation": .ints(dilation), "padding": .ints(padding), "use_bias": .bool(useBias), "activation": activation.manifestJSON]
    }

    func checkAttributes() throws(AttributeIssue) {
        try Limits.positive("depth_multiplier", depthMultiplier)
        try Window(kernelSize: kernelSize, strides: strides, dilation: dilation, padding: padding).check()
        try Limits.activation(activation)
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        let (height, width) = try rules.window(input, kernel: kernelSize, strides: strides, dilation: dilation, padding: padding)
        return [try rules.multiply(input[0], depthMultiplier, "channels × depth_multiplier"), height, width]
    }

    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let channels = inputs.mapChannels.flatMap { checkedProduct($0, depthMultiplier) }
        let origin = "input channels × depth_multiplier \(depthMultiplier)"
        let kernel: [ExpectedDimension] = [.input(channels, "C·M", unit: "output channels", origin: origin, code: .ch004), .fixed(1)]
            + ExpectedDimension.window("kernel_size", kernelSize)
        return [ExpectedTensor(role: .depthwiseKernel, dimensions: kernel, layout: "[C·M, 1, kh, kw]")]
            + ExpectedTensor.bias(useBias, .input(channels, "C·M", unit: "channels", origin: origin, code: .ch008), layout: "[C·M]")
    }
}

extension SeparableConv2DConfig: LayerKind {
    static let kind = "separable_conv2d"
    var outputActivation: Activation? { activation }
    var op: LayerOp { .separableConv2d(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(filters: try a.integer("filters"), depthMultiplier: try a.integer("depth_multiplier"), kernelSize: try a.integers("kernel_size"),
                  strides: try a.integers("strides"), dilation: try a.integers("dilation"), padding: try a.integers("padding"),
                  useBias: try a.bool("use_bias"), activation: try a.activation())
    }

    var manifestAttributes: JSONObject {
        ["filters": .integer(filters), "depth_multiplier": .integer(depthMultiplier), "kernel_size": .ints(kernelSize),
         "strides": .ints(strides), "dilation": .ints(dilation), "padding": .ints(padding), "use_bias": .bool(useBias),
         "activation": activation.manifestJSON]
    }

    func checkAttributes() throws(AttributeIssue) {
        try Limits.positive("filters", filters)
        try Limits.positive("depth_multiplier", depthMultiplier)
        try Window(kernelSize: kernelSize, strides: strides, dilation: dilation, padding: padding).check()
        try Limits.activation(activation)
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        _ = try rules.multiply(input[0], depthMultiplier, "channels × depth_multiplier")
        let (height, width) = try rules.window(input, kernel: kernelSize, strides: strides, dilation: dilation, padding: padding)
        return [filters, height, width]
    }

    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let middle = inputs.mapChannels.flatMap { checkedProduct($0, depthMultiplier) }
        let origin = "input channels × depth_multiplier \(depthMultiplier)"
        let depthwise: [ExpectedDimension] = [.input(middle, "C·M", unit: "output channels", origin: origin, code: .ch004), .fixed(1)]
            + ExpectedDimension.window("kernel_size", kernelSize)
        let pointwise: [ExpectedDimension] = [
            .attribute("filters", filters),
            .input(middle, "C·M", unit: "input channels", origin: "the depthwise stage (\(origin))"), .fixed(1), .fixed(1),
        ]
        return [ExpectedTensor(role: .depthwiseKernel, dimensions: depthwise, layout: "[C·M, 1, kh, kw]"),
                ExpectedTensor(role: .pointwiseKernel, dimensions: pointwise, layout: "OIHW [filters, C·M, 1, 1]")]
            + ExpectedTensor.bias(useBias, .attribute("filters", filters), layout: "[filters]")
    }
}

/// The sliding window of a convolution or pooling layer.
struct Window {
    var kernelSize: [Int]
    var strides: [Int]
    var dilation: [Int] = [1, 1]
    var padding: [Int]
    var kernelField = "kernel_size"

    func check() throws(AttributeIssue) {
        try Limits.pair(kernelField, kernelSize)
        try Limits.pair("strides", strides)
        try Limits.pair("dilation", dilation)
        try Limits.edges("padding", padding)
    }
}

extension ExpectedTensor {
    /// `[length]` when the layer uses a bias, else nothing.
    static func bias(_ used: Bool, _ length: ExpectedDimension, layout: String) -> [ExpectedTensor] {
        used ? [ExpectedTensor(role: .bias, dimensions: [length], layout: layout)] : []
    }
}
