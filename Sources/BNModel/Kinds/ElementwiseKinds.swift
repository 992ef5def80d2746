import JSONSchema

// Kinds that map each value on its own (given per-channel constants at most) and keep the shape.

/// `activation`: a stand-alone activation function.
struct ActivationKind: LayerKind {
    static let kind = "activation"
    var function: Activation
    var op: LayerOp { .activation(function) }
    var outputActivation: Activation? { function }
    init(_ function: Activation) { self.function = function }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { function = try a.activation() }
    var manifestAttributes: JSONObject { ["activation": function.manifestJSON] }
    func checkAttributes() throws(AttributeIssue) { try Limits.activation(function) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        return inputs[0]
    }
}

/// `dropout`: the identity at inference; the rate is kept for the reverse conversion.
struct DropoutKind: LayerKind {
    static let kind = "dropout"
    var rate: Double
    var op: LayerOp { .dropout(rate: rate) }
    init(rate: Double) { self.rate = rate }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { rate = try a.double("rate") }
    var manifestAttributes: JSONObject { ["rate": .double(rate)] }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        return inputs[0]
    }
}

/// `rescale`: `y = x · scale + offset` in float32.
struct RescaleKind: LayerKind {
    static let kind = "rescale"
    var scale: Double
    var offset: Double
    var op: LayerOp { .rescale(scale: scale, offset: offset) }
    init(scale: Double, offset: Double) { self.scale = scale; self.offset = offset }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        scale = try a.double("scale")
        offset = try a.double("offset")
    }
    var manifestAttributes: JSONObject { ["scale": .double(scale), "offset": .double(offset)] }
    func checkAttributes() throws(AttributeIssue) {
        guard scale.isFinite, offset.isFinite else {
            throw AttributeIssue(field: "scale", message: "scale and offset must be finite, got \(scale) and \(offset)")
        }
    }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        return inputs[0]
    }
}

/// `normalize`: Keras' Normalization, `(x − mean) / max(√variance, epsilon)` per channel.
struct NormalizeKind: LayerKind {
    static let kind = "normalize"
    var epsilon: Double
    var op: LayerOp { .normalize(epsilon: epsilon) }
    init(epsilon: Double) { self.epsilon = epsilon }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { epsilon = try a.double("epsilon") }
    var manifestAttributes: JSONObject { ["epsilon": .double(epsilon)] }
    func checkAttributes() throws(AttributeIssue) {
        guard epsilon.isFinite, epsilon >= 0 else {
            throw AttributeIssue(field: "epsilon", message: "must be finite and ≥ 0, got \(epsilon)")
        }
    }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        guard !inputs[0].isEmpty else {
            throw .inputRank(layer: rules.layer, kind: Self.kind, expected: "a [C, …] input with a channel axis", shape: inputs[0])
        }
        return inputs[0]
    }

    /// `mean` and `variance` per channel; the sample count the statistics came from rides along
    /// for the reverse conversion, in whatever dtype the source gave it.
    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let channels = inputs?.count == 1 ? inputs?[0].first : nil
        let shape: [ExpectedDimension] = [.fixed(1), .input(channels, "C", unit: "channels"), .fixed(1), .fixed(1)]
        return [TensorRole.mean, .variance].map { ExpectedTensor(role: $0, dimensions: shape, layout: "per channel [1, C, 1, 1]") }
            + [ExpectedTensor(role: .other("count"), dimensions: [], layout: "kept verbatim", required: false, verbatim: true)]
    }
}

/// `unmapped`: a source layer carried over verbatim; only its recorded output shape is known.
struct UnmappedKind: LayerKind {
    static let kind = "unmapped"
    var className: String
    var config: JSONValue
    var op: LayerOp { .unmapped(className: className, config: config) }
    init(className: String, config: JSONValue) { self.className = className; self.config = config }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        className = try a.string("class_name")
        config = try a.value("config")
    }
    var manifestAttributes: JSONObject { ["class_name": .string(className), "config": config] }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        throw .unmappedLayer(layer: rules.layer, className: className)
    }
}
