import BNModel
import JSONSchema

/// Dense on a feature vector: kernel `[in, units]` → `[units, in]`, its input rows put in the
/// engine's order when the vector is a flattened map (or a concatenation of them), which Keras
/// flattens in its own order.
struct DenseMapper: KerasLayerMapper {
    let classNames = ["Dense"]
    let alwaysHasWeights = true

    func keras3VariableNames(_ config: JSONObject) -> [String] { ["kernel"] + (usesBias(config) ? ["bias"] : []) }

    /// A kernel whose input features alone differ was trained for another (flattened) input (CH003).
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode {
        guard weight == "kernel" else { return .ch008 }
        return shapes.onlyDiffers(0) ? .ch003 : .ch008
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        guard let shape = context.inputs.first?.shape, shape.count == 1,
              let segments = VectorSegment.of(context.inputLayout, length: shape[0]) else {
            throw context.unsupported("Dense on a non-flat input (apply Flatten or global pooling first)")
        }
        let units = try reader.positiveInt("units"), useBias = try reader.bool("use_bias", default: true)
        let transform: WeightTransform = segments.count == 1 ? .denseKernel(segments[0].order) : .denseKernelSegments(segments)
        var tensors = [try context.take("kernel", .kernel, transform, expect: [shape[0], units])].compactMap { $0 }
        if useBias, let bias = try context.take("bias", .bias, .identity, expect: [units]) { tensors.append(bias) }
        let op = LayerOp.dense(DenseConfig(units: units, useBias: useBias, activation: try context.activation()))
        return MappedLayer(op: op, tensors: tensors, layout: .vector(order: nil))
    }
}
