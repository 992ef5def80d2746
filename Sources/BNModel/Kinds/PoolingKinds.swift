import JSONSchema

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

extension Pool2DConfig {
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(poolSize: try a.integers("pool_size"), strides: try a.integers("strides"), padding: try a.integers("padding"),
                  countIncludesPadding: try a.bool("count_includes_padding"))
    }

    var manifestAttributes: JSONObject {
        ["pool_size": .ints(poolSize), "strides": .ints(strides), "padding": .ints(padding),
         "count_includes_padding": .bool(countIncludesPadding)]
    }

    func checkAttributes() throws(AttributeIssue) {
        try Window(kernelSize: poolSize, strides: strides, padding: padding, kernelField: "pool_size").check()
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        let (height, width) = try rules.window(input, kernel: poolSize, strides: strides, dilation: [1, 1], padding: padding,
                                               kernelField: "pool_size")
        return [input[0], height, width]
    }
}

/// `max_pool2d`: the largest value of each window.
struct MaxPool2DKind: LayerKind {
    static let kind = "max_pool2d"
    var config: Pool2DConfig
    var op: LayerOp { .maxPool2d(config) }
    init(_ config: Pool2DConfig) { self.config = config }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { config = try Pool2DConfig(manifest: &a) }
    var manifestAttributes: JSONObject { config.manifestAttributes }
    func checkAttributes() throws(AttributeIssue) { try config.checkAttributes() }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] { try config.outputShape(inputs: inputs, rules: rules) }
}

/// `avg_pool2d`: the mean of each window (see `Pool2DConfig.countIncludesPadding`).
struct AvgPool2DKind: LayerKind {
    static let kind = "avg_pool2d"
    var config: Pool2DConfig
    var op: LayerOp { .avgPool2d(config) }
    init(_ config: Pool2DConfig) { self.config = config }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { config = try Pool2DConfig(manifest: &a) }
    var manifestAttributes: JSONObject { config.manifestAttributes }
    func checkAttributes() throws(AttributeIssue) { try config.checkAttributes() }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] { try config.outputShape(inputs: inputs, rules: rules) }
}

/// `global_avg_pool2d`: the mean over H and W; `[C]`, or `[C, 1, 1]` with `keepDims`.
struct GlobalAvgPool2DKind: LayerKind {
    static let kind = "global_avg_pool2d"
    var keepDims: Bool
    var op: LayerOp { .globalAvgPool2d(keepDims: keepDims) }
    init(keepDims: Bool) { self.keepDims = keepDims }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { keepDims = try a.bool("keep_dims") }
    var manifestAttributes: JSONObject { ["keep_dims": .bool(keepDims)] }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        return keepDims ? [input[0], 1, 1] : [input[0]]
    }
}

/// `global_max_pool2d`: like `global_avg_pool2d` with the maximum.
struct GlobalMaxPool2DKind: LayerKind {
    static let kind = "global_max_pool2d"
    var keepDims: Bool
    var op: LayerOp { .globalMaxPool2d(keepDims: keepDims) }
    init(keepDims: Bool) { self.keepDims = keepDims }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { keepDims = try a.bool("keep_dims") }
    var manifestAttributes: JSONObject { ["keep_dims": .bool(keepDims)] }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        return keepDims ? [input[0], 1, 1] : [input[0]]
    }
}
