extension Model {
    /// Checks the rules every model must keep before it is written or after it is read:
    /// unique layer names, inbound names that refer to earlier layers (topological order),
    /// inputs and outputs that exist, every attribute within its kind's limits
    /// (`LayerKind.checkAttributes()`), non-empty unique roles per layer, and the batch-norm convention: `gamma`, `beta`, `mean` and
    /// `variance` all present, floating point, rank 4 and `[1, C, 1, 1]` (spatial) or
    /// `[1, C, H, W]` (per-activation), agreeing with `outputShape` when it is known.
    public func validate() throws(ModelError) {
        var seen = Set<String>()
        for layer in layers {
            for inbound in layer.inbound where !seen.contains(inbound) {
                throw .unknownInbound(layer: layer.name, inbound: inbound)
            }
            guard seen.insert(layer.name).inserted else { throw .duplicateLayerName(layer.name) }
            try Self.validate(layer)
        }
        for input in inputs {
            guard case .input? = layer(named: input)?.op else { throw .unknownEndpoint(kind: "input", name: input) }
        }
        for output in outputs where !seen.contains(output) {
            throw .unknownEndpoint(kind: "output", name: output)
        }
    }

    private static func validate(_ layer: Layer) throws(ModelError) {
        var roles = Set<TensorRole>()
        for named in layer.tensors {
            guard !named.role.rawValue.isEmpty else {
                throw .invalidAttribute(layer: layer.name, field: "tensors", message: "has a tensor with an empty role")
            }
            guard roles.insert(named.role).inserted else { throw .duplicateRole(layer: layer.name, role: named.role.rawValue) }
        }
        if let shape = layer.outputShape, !shape.allSatisfy({ $0 >= 0 }) {
            throw .invalidAttribute(layer: layer.name, field: "output_shape", message: "must not have negative dimensions, got \(shape)")
        }
        do throws(AttributeIssue) {
            try layer.op.definition.checkAttributes()
        } catch {
            throw .invalidAttribute(layer: layer.name, field: error.field, message: error.message)
        }
        if case .batchNorm(let config) = layer.op { try validateBatchNorm(layer, config) }
    }

    /// Batch norm's parameters are checked even without shapes: they are the product's point,
    /// and a `.bnm` whose four parameters disagree must never be written or read.
    private static func validateBatchNorm(_ layer: Layer, _ config: BatchNormConfig) throws(ModelError) {
        var reference: [Int]?
        for role in BatchNormConfig.parameters {
            guard let tensor = layer.tensor(role) else { throw .missingTensor(layer: layer.name, role: role.rawValue) }
            let shape = tensor.shape
            let expected: String
            switch config.mode {
            case .spatial: expected = "floating point [1, C, 1, 1] (spatial)"
            case .perActivation: expected = "floating point [1, C, H, W] (per-activation)"
            }
            var ok = tensor.dtype.isFloatingPoint && shape.count == 4 && shape[0] == 1
            if ok, config.mode == .spatial { ok = shape[2] == 1 && shape[3] == 1 }
            if ok, let reference { ok = shape == reference }
            if ok, let output = layer.outputShape {
                switch (config.mode, output.count) {
                case (.spatial, _): ok = output.first == shape[1]
                case (.perActivation, 3): ok = Array(shape[1...]) == output
                case (.perActivation, _): ok = [output.first ?? -1, 1, 1] == Array(shape[1...])
                }
            }
            guard ok else {
                throw .badTensor(layer: layer.name, role: role.rawValue, shape: shape, dtype: tensor.dtype,
                                 expected: expected + (layer.outputShape.map { " matching output shape \($0)" } ?? "")
                                     + (reference.map { " like the other parameters \($0)" } ?? ""))
            }
            reference = shape
        }
    }
}
