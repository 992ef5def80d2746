import JSONSchema

// Kinds that move or reshape values without weights: inputs, flatten, reshape, padding,
// cropping and upsampling.

/// `input`: a model input; `shape` is per sample, native: `[C, H, W]` or `[F]`.
struct InputKind: LayerKind {
    static let kind = "input"
    var shape: [Int]
    var op: LayerOp { .input(shape: shape) }
    init(shape: [Int]) { self.shape = shape }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { shape = try a.integers("shape") }
    var manifestAttributes: JSONObject { ["shape": .ints(shape)] }
    func checkAttributes() throws(AttributeIssue) { try Limits.dimensions("shape", shape) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 0)
        return shape
    }
}

/// `flatten`: per-sample values in native C, H, W order.
struct FlattenKind: LayerKind {
    static let kind = "flatten"
    var op: LayerOp { .flatten }
    init() {}
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {}
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        return [try rules.product(inputs[0], "the input's element count")]
    }
}

/// `reshape`: to a native per-sample shape that may hold one `-1`.
struct ReshapeKind: LayerKind {
    static let kind = "reshape"
    var targetShape: [Int]
    var op: LayerOp { .reshape(targetShape: targetShape) }
    init(targetShape: [Int]) { self.targetShape = targetShape }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { targetShape = try a.integers("target_shape") }
    var manifestAttributes: JSONObject { ["target_shape": .ints(targetShape)] }
    func checkAttributes() throws(AttributeIssue) {
        guard targetShape.allSatisfy({ $0 >= -1 }), targetShape.filter({ $0 == -1 }).count <= 1 else {
            throw AttributeIssue(field: "target_shape", message: "must hold sizes ≥ 0 and at most one -1, got \(targetShape)")
        }
    }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        return try rules.reshape(inputs[0], to: targetShape)
    }
}

/// `zero_padding2d`: `[top, bottom, left, right]` rows and columns of zeros.
struct ZeroPadding2DKind: LayerKind {
    static let kind = "zero_padding2d"
    var padding: [Int]
    var op: LayerOp { .zeroPadding2d(padding: padding) }
    init(padding: [Int]) { self.padding = padding }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { padding = try a.integers("padding") }
    var manifestAttributes: JSONObject { ["padding": .ints(padding)] }
    func checkAttributes() throws(AttributeIssue) { try Limits.edges("padding", padding) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        let height = try rules.add(rules.add(input[1], padding[0], "padded height"), padding[1], "padded height")
        let width = try rules.add(rules.add(input[2], padding[2], "padded width"), padding[3], "padded width")
        return [input[0], height, width]
    }
}

/// `cropping2d`: removes `[top, bottom, left, right]` rows and columns.
struct Cropping2DKind: LayerKind {
    static let kind = "cropping2d"
    var cropping: [Int]
    var op: LayerOp { .cropping2d(cropping: cropping) }
    init(cropping: [Int]) { self.cropping = cropping }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { cropping = try a.integers("cropping") }
    var manifestAttributes: JSONObject { ["cropping": .ints(cropping)] }
    func checkAttributes() throws(AttributeIssue) { try Limits.edges("cropping", cropping) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        let height = input[1] - cropping[0] - cropping[1], width = input[2] - cropping[2] - cropping[3]
        guard height >= 1, width >= 1 else {
            throw .invalidAttribute(layer: rules.layer, kind: Self.kind, field: "cropping",
                                    message: "\(cropping) leaves nothing of a \(input[1])×\(input[2]) input")
        }
        return [input[0], height, width]
    }
}

/// `upsample2d`: nearest-neighbour upsampling by `[sh, sw]`.
struct UpSample2DKind: LayerKind {
    static let kind = "upsample2d"
    var size: [Int]
    var op: LayerOp { .upsample2d(size: size) }
    init(size: [Int]) { self.size = size }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { size = try a.integers("size") }
    var manifestAttributes: JSONObject { ["size": .ints(size)] }
    func checkAttributes() throws(AttributeIssue) { try Limits.pair("size", size) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        let input = try rules.map(inputs)
        return [input[0], try rules.multiply(input[1], size[0], "upsampled height"), try rules.multiply(input[2], size[1], "upsampled width")]
    }
}
