import BNModel
import JSONSchema

/// LayerNormalization over the channel axis (ConvNeXt's blocks, a normalised feature vector):
/// gamma and beta `[C]` → `[1, C, 1, 1]`, each present only with `scale` / `center`. Other
/// axes and Keras 3's `rms_scaling` have no native op.
struct LayerNormMapper: KerasLayerMapper {
    let classNames = ["LayerNormalization"]

    func keras3VariableNames(_ config: JSONObject) -> [String] {
        ((config["scale"]?.boolValue ?? true) ? ["gamma"] : []) + ((config["center"]?.boolValue ?? true) ? ["beta"] : [])
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        guard try !reader.bool("rms_scaling", default: false) else { throw context.unsupported("rms_scaling=True is not supported") }
        let (shape, layout) = try context.requireChannelAxis()
        let epsilon = try reader.double("epsilon", default: 1e-3)
        guard epsilon.isFinite, epsilon > 0 else {
            throw KerasError.invalidConfig(source: context.source, field: "layer '\(context.spec.name)'.epsilon",
                                           detail: "must be a positive number, found \(epsilon)")
        }
        var tensors: [NamedTensor] = []
        for (variable, role, used) in [("gamma", TensorRole.gamma, try reader.bool("scale", default: true)),
                                       ("beta", TensorRole.beta, try reader.bool("center", default: true))] where used {
            if let tensor = try context.take(variable, role, .batchNormVector(nil), expect: [shape[0]]) { tensors.append(tensor) }
        }
        return MappedLayer(op: .layerNorm(LayerNormConfig(epsilon: epsilon)), tensors: tensors, layout: layout)
    }
}
