extension Model {
    /// Checks the rules every model must keep before it is written or after it is read:
    /// unique layer names, inbound names that refer to earlier layers (topological order),
    /// inputs and outputs that exist, attribute arities (`[h, w]` pairs, 4-element padding),
    /// unique roles per layer, and the batch-norm convention: `gamma`, `beta`, `mean` and
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
        for named in layer.tensors where !roles.insert(named.role).inserted {
            throw .duplicateRole(layer: layer.name, role: named.role.rawValue)
        }
        func pair(_ field: String, _ values: [Int], minimum: Int = 1) throws(ModelError) {
            guard values.count == 2, values.allSatisfy({ $0 >= minimum }) else {
                throw .invalidAttribute(layer: layer.name, field: field, message: "must be 2 integers ≥ \(minimum), got \(values)")
            }
        }
        func padding(_ values: [Int]) throws(ModelError) {
            guard values.count == 4, values.allSatisfy({ $0 >= 0 }) else {
                throw .invalidAttribute(layer: layer.name, field: "padding", message: "must be [top, bottom, left, right] ≥ 0, got \(values)")
            }
        }
        switch layer.op {
        case .input(let shape):
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidAttribute(layer: layer.name, field: "shape", message: "must not have negative dimensions, got \(shape)")
            }
        case .conv2d(let config):
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .depthwiseConv2d(let config):
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .separableConv2d(let config):
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .maxPool2d(let config), .avgPool2d(let config):
            try pair("pool_size", config.poolSize); try pair("strides", config.strides); try padding(config.padding)
        case .zeroPadding2d(let values):
            try padding(values)
        case .batchNorm(let config):
            try validateBatchNorm(layer, config)
        default:
            break
        }
    }

    private static func validateBatchNorm(_ layer: Layer, _ config: BatchNormConfig) throws(ModelError) {
        guard config.materialized.isSubset(of: [.gamma, .beta]) else {
            throw .invalidAttribute(layer: layer.name, field: "materialized", message: "may only contain gamma and beta")
        }
        var reference: [Int]?
        for role in [TensorRole.gamma, .beta, .mean, .variance] {
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
