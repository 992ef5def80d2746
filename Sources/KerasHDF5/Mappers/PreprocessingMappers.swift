import BNModel
import JSONSchema

// Keras preprocessing layers saved inside a model: fixed affine maps of the input.

/// Normalization: Keras computes (x − mean) / max(√variance, 1e-7) along the channel (or
/// feature) axis, with the statistics stored as weights. A stored `count` (the number of samples
/// `adapt` saw) does not enter the computation; it is carried so the reverse conversion restores it.
struct NormalizationMapper: KerasLayerMapper {
    let classNames = ["Normalization"]

    func keras3VariableNames(_ config: JSONObject) -> [String] { ["mean", "variance", "count"] }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let spec = context.spec
        guard try !context.reader.bool("invert", default: false) else { throw context.unsupported("invert=True is not supported") }
        guard (spec.config["mean"] ?? .null) == .null, (spec.config["variance"] ?? .null) == .null else {
            throw context.unsupported("mean and variance given in the configuration rather than as weights are not supported")
        }
        let (shape, inputLayout) = try context.requireChannelAxis()
        var tensors = [
            try context.take("mean", .mean, .batchNormVector(nil), expect: [shape[0]], matches: { $0.elementCount == shape[0] }),
            try context.take("variance", .variance, .batchNormVector(nil), expect: [shape[0]], matches: { $0.elementCount == shape[0] }),
        ].compactMap { $0 }
        if context.hasWeight("count") {
            if let count = try context.take("count", .other("count"), .identity, expect: [], matches: { $0.elementCount == 1 }) {
                tensors.append(count)
            }
        }
        return MappedLayer(op: .normalize(epsilon: 1e-7), tensors: tensors, layout: inputLayout)
    }
}

/// Rescaling: x · scale + offset. Keras allows per-channel lists too; only the scalar form is
/// an exact native op here.
struct RescalingMapper: KerasLayerMapper {
    let classNames = ["Rescaling"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let config = context.spec.config
        guard let scale = config["scale"]?.doubleValue, let offset = (config["offset"] ?? .double(0)).doubleValue else {
            throw context.unsupported("only scalar scale and offset are supported, found scale \(config["scale"] ?? .null)")
        }
        return MappedLayer(op: .rescale(scale: scale, offset: offset), layout: context.inputLayout)
    }
}
