import BNModel

/// Lambda and TFOpLambda hold code, which the converter never evaluates (the architecture is
/// read strictly as data): refused, with what to do instead.
struct LambdaMapper: KerasLayerMapper {
    let classNames = ["Lambda", "TFOpLambda"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        throw context.unsupported("Lambda layers hold code, which is never evaluated; replace it with a supported layer")
    }
}

/// Every class without a mapper (``KerasMappers/unsupported``). One with weights is carried
/// over verbatim — op `unmapped` with its config, every weight as stored — so the reverse
/// conversion can restore it, though no engine can run it; one without weights is refused, as
/// carrying it would convert nothing.
struct UnmappedMapper: KerasLayerMapper {
    let classNames: [String] = []

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let spec = context.spec
        guard !context.weights.isEmpty else { throw context.unsupported("this layer type is not supported") }
        var tensors: [NamedTensor] = []
        for name in context.weights.map(\.name) {
            if let tensor = try context.take(name, TensorRole(rawValue: name), .identity, expect: [], matches: { _ in true }) {
                tensors.append(tensor)
            }
        }
        context.warnings.append("layer '\(spec.name)' (\(spec.className)) is not supported: carried over unmapped with its \(tensors.count) weight(s); an engine cannot run it")
        return MappedLayer(op: .unmapped(className: spec.className, config: .object(spec.config)), tensors: tensors, layout: nil)
    }
}
