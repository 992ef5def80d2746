import JSONSchema

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

extension DenseConfig: LayerKind {
    static let kind = "dense"
    var outputActivation: Activation? { activation }
    var op: LayerOp { .dense(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(units: try a.integer("units"), useBias: try a.bool("use_bias"), activation: try a.activation())
    }

    var manifestAttributes: JSONObject {
        ["units": .integer(units), "use_bias": .bool(useBias), "activation": activation.manifestJSON]
    }

    func checkAttributes() throws(AttributeIssue) {
        try Limits.positive("units", units)
        try Limits.activation(activation)
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        guard inputs[0].count == 1 else {
            throw .inputRank(layer: rules.layer, kind: Self.kind, expected: "a [features] vector (flatten a feature map first)", shape: inputs[0])
        }
        return [units]
    }

    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let kernel: [ExpectedDimension] = [.attribute("units", units), .input(inputs.features, "F", unit: "input features", code: .ch003)]
        return [ExpectedTensor(role: .kernel, dimensions: kernel, layout: "[out, in]")]
            + ExpectedTensor.bias(useBias, .attribute("units", units), layout: "[units]")
    }
}
