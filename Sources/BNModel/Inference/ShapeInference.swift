/// Per-sample output shapes of layers, and the check that every layer's tensors fit them.
///
/// Shapes exclude the batch and are native NCHW: `[C, H, W]` for feature maps, `[F]` for
/// vectors. The rules are those of TensorFlow/cuDNN with explicit padding; see
/// `outputShape(of:inputs:)`. Readers call `infer(_:)` after building a model so that a layout
/// mistake surfaces as a sentence naming the layer rather than as wrong numbers later.
public enum ShapeInference {
    /// The per-sample output shape of `op` given the per-sample shapes of its inputs (in inbound
    /// order). Errors name the layer kind but no layer; see `outputShape(of:named:inputs:)`.
    ///
    /// - conv2d / depthwise / separable / pooling: `floor((H + top + bottom − d·(k − 1) − 1) / s) + 1`
    ///   per spatial axis (pooling with d = 1); channels `filters`, `C·M`, `filters`, `C`.
    /// - dense: `[F]` → `[units]`. flatten: any shape → `[product]`.
    /// - reshape: `targetShape`, which may hold one `-1` resolved from the element count.
    /// - concatenate: the axis counts the batch (1 = channels), negative counts from the end.
    /// - add: all inputs equal. global pools: `[C]`, or `[C, 1, 1]` with `keepDims`.
    /// - batch_norm, activation, dropout: the input shape. zero_padding2d: H and W grow.
    /// - unmapped: always throws `.unmappedLayer` (its shape can only be recorded, not inferred).
    public static func outputShape(of op: LayerOp, inputs: [[Int]]) throws(ShapeError) -> [Int] {
        try outputShape(of: op, named: "", inputs: inputs)
    }

    /// Like `outputShape(of:inputs:)`, with `name` in every error. The kind's attribute limits
    /// are checked first, so a shape rule never sees an impossible configuration.
    public static func outputShape(of op: LayerOp, named name: String, inputs: [[Int]]) throws(ShapeError) -> [Int] {
        let definition = op.definition
        let rules = ShapeRules(layer: name, kind: op.kind)
        try rules.attribute { () throws(AttributeIssue) in try definition.checkAttributes() }
        let shape = try definition.outputShape(inputs: inputs, rules: rules)
        // A softmax runs along one axis of the output (counted with the batch): the batch axis
        // itself, or an axis the output does not have, has no meaning an engine could follow.
        if case .softmax(let axis)? = definition.outputActivation {
            let rank = shape.count + 1
            let normalised = axis < 0 ? axis + rank : axis
            guard normalised >= 1, normalised < rank else {
                throw .invalidAttribute(layer: name, kind: op.kind, field: "softmax axis",
                                        message: "\(axis) is the batch axis or outside the output's \(rank) axes (batch included)")
            }
        }
        return shape
    }

    /// A copy of `model` with every layer's `outputShape` filled in, after checking each layer.
    ///
    /// Promises, for every layer in order: its name is unique; its inbound layers come earlier;
    /// its output shape follows from its inputs by `outputShape(of:named:inputs:)` and equals
    /// any shape the reader recorded; its tensors are floating point with the native shapes their roles imply
    /// (conv OIHW `[filters, inC, kh, kw]` with inC = input channels; depthwise
    /// `[C·M, 1, kh, kw]`; separable depthwise `[C·M, 1, kh, kw]` + pointwise
    /// `[filters, C·M, 1, 1]`; dense `[out, in]`; bias `[out]`; batch norm `[1, C, 1, 1]`
    /// (spatial, C = F on a vector) or `[1, C, H, W]` (per-activation)); and it has no tensor
    /// its configuration does not use. An `unmapped` layer keeps the shape the reader recorded
    /// (and throws `.unmappedLayer` when there is none); its tensors are not checked.
    public static func infer(_ model: Model) throws(ShapeError) -> Model {
        var result = model
        var shapes: [String: [Int]] = [:]
        for index in result.layers.indices {
            let layer = result.layers[index]
            guard shapes[layer.name] == nil else { throw .duplicateLayerName(layer.name) }
            var inputs: [[Int]] = []
            for inbound in layer.inbound {
                guard let shape = shapes[inbound] else { throw .unknownInbound(layer: layer.name, inbound: inbound) }
                inputs.append(shape)
            }
            let shape: [Int]
            if case .unmapped(let className, _) = layer.op {
                guard let recorded = layer.outputShape else { throw .unmappedLayer(layer: layer.name, className: className) }
                shape = recorded
            } else {
                shape = try outputShape(of: layer.op, named: layer.name, inputs: inputs)
                if let declared = layer.outputShape, declared != shape {
                    throw .declaredShape(layer: layer.name, kind: layer.op.kind, declared: declared, inferred: shape)
                }
                try checkTensors(of: layer, inputs: inputs)
            }
            result.layers[index].outputShape = shape
            shapes[layer.name] = shape
        }
        return result
    }

    /// Checks that `layer` has exactly the tensors its kind uses, floating point, with the
    /// native shapes that its configuration and `inputs` imply (`LayerKind.tensors(inputs:)`).
    static func checkTensors(of layer: Layer, inputs: [[Int]]) throws(ShapeError) {
        let kind = layer.op.kind
        let expected = layer.op.definition.tensors(inputs: inputs)
        for spec in expected {
            guard let tensor = layer.tensor(spec.role) else {
                guard spec.required else { continue }
                throw .missingTensor(layer: layer.name, kind: kind, role: spec.role.rawValue)
            }
            if spec.verbatim { continue }
            guard tensor.dtype.isFloatingPoint else {
                throw .tensorDType(layer: layer.name, kind: kind, role: spec.role.rawValue, dtype: tensor.dtype)
            }
            guard let shape = spec.shape, tensor.shape != shape else { continue }
            // A tensor that fits the configuration but not the layer's input is told as such.
            if tensor.shape.count == shape.count {
                let differing = shape.indices.filter { tensor.shape[$0] != shape[$0] }
                if differing.count == 1, case .input(let unit, nil, _) = spec.dimensions[differing[0]].source {
                    throw .inputSizeMismatch(layer: layer.name, kind: kind, unit: unit,
                                             expected: tensor.shape[differing[0]], actual: shape[differing[0]])
                }
            }
            throw .tensorShape(layer: layer.name, kind: kind, role: spec.role.rawValue, shape: tensor.shape, expected: shape, layout: spec.layout)
        }
        for named in layer.tensors where !expected.contains(where: { $0.role == named.role }) {
            throw .unexpectedTensor(layer: layer.name, kind: kind, role: named.role.rawValue)
        }
    }
}
