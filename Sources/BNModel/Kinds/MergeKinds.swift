import JSONSchema

// Kinds that combine several inbound layers.

/// `add`: the element-wise sum of inputs of one shape.
struct AddKind: LayerKind {
    static let kind = "add"
    var op: LayerOp { .add }
    init() {}
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {}
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, atLeast: 1)
        guard inputs.allSatisfy({ $0 == inputs[0] }) else { throw .addShapes(layer: rules.layer, shapes: inputs) }
        return inputs[0]
    }
}

/// `multiply`: the element-wise product; a `[C, 1, 1]` input gates a `[C, H, W]` map.
struct MultiplyKind: LayerKind {
    static let kind = "multiply"
    var op: LayerOp { .multiply }
    init() {}
    init(manifest a: inout ManifestObject) throws(ManifestIssue) {}
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, atLeast: 1)
        // The output has the shape of the input with the most elements; every other input
        // equals it or is a [C, 1, 1] gate of that [C, H, W] map.
        let widest = inputs.max { (Checked.product($0) ?? .max) < (Checked.product($1) ?? .max) } ?? inputs[0]
        guard inputs.allSatisfy({ $0 == widest || (widest.count == 3 && $0 == [widest[0], 1, 1]) }) else {
            throw .multiplyShapes(layer: rules.layer, shapes: inputs)
        }
        return widest
    }
}

/// `concatenate`: along a native axis counted with the batch (1 = channels).
struct ConcatenateKind: LayerKind {
    static let kind = "concatenate"
    var axis: Int
    var op: LayerOp { .concatenate(axis: axis) }
    init(axis: Int) { self.axis = axis }
    init(manifest a: inout ManifestObject) throws(ManifestIssue) { axis = try a.integer("axis") }
    var manifestAttributes: JSONObject { ["axis": .integer(axis)] }
    func checkAttributes() throws(AttributeIssue) { try Limits.axis("axis", axis) }
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, atLeast: 1)
        return try rules.concatenate(inputs, axis: axis)
    }
}
