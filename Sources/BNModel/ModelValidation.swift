extension Model {
    /// Checks the rules every model must keep before it is written or after it is read:
    /// unique layer names, inbound names that refer to earlier layers (topological order),
    /// inputs and outputs that exist, attribute values (`[h, w]` pairs ≥ 1, 4-element padding ≥ 0,
    /// counts ≥ 1, axes in -8...8, one -1 at most in a reshape), non-empty unique roles per layer, and the batch-norm convention: `gamma`, `beta`, `mean` and
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
        func positive(_ field: String, _ value: Int) throws(ModelError) {
            guard value >= 1 else { throw .invalidAttribute(layer: layer.name, field: field, message: "must be at least 1, got \(value)") }
        }
        func axis(_ field: String, _ value: Int) throws(ModelError) {
            guard (-8...8).contains(value) else {
                throw .invalidAttribute(layer: layer.name, field: field, message: "must be a native axis in -8...8, got \(value)")
            }
        }
        func activation(_ value: Activation) throws(ModelError) {
            if case .softmax(let softmaxAxis) = value { try axis("activation.axis", softmaxAxis) }
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
            try positive("filters", config.filters); try activation(config.activation)
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .depthwiseConv2d(let config):
            try positive("depth_multiplier", config.depthMultiplier); try activation(config.activation)
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .separableConv2d(let config):
            try positive("filters", config.filters); try positive("depth_multiplier", config.depthMultiplier)
            try activation(config.activation)
            try pair("kernel_size", config.kernelSize); try pair("strides", config.strides)
            try pair("dilation", config.dilation); try padding(config.padding)
        case .maxPool2d(let config), .avgPool2d(let config):
            try pair("pool_size", config.poolSize); try pair("strides", config.strides); try padding(config.padding)
        case .zeroPadding2d(let values):
            try padding(values)
        case .upsample2d(let size):
            try pair("size", size)
        case .normalize(let epsilon):
            guard epsilon.isFinite, epsilon >= 0 else {
                throw .invalidAttribute(layer: layer.name, field: "epsilon", message: "must be finite and ≥ 0, got \(epsilon)")
            }
        case .cropping2d(let values):
            try padding(values)
        case .rescale(let scale, let offset):
            guard scale.isFinite, offset.isFinite else {
                throw .invalidAttribute(layer: layer.name, field: "scale", message: "scale and offset must be finite, got \(scale) and \(offset)")
            }
        case .dense(let config):
            try positive("units", config.units); try activation(config.activation)
        case .activation(let value):
            try activation(value)
        case .concatenate(let value):
            try axis("axis", value)
        case .reshape(let targetShape):
            guard targetShape.allSatisfy({ $0 >= -1 }), targetShape.filter({ $0 == -1 }).count <= 1 else {
                throw .invalidAttribute(layer: layer.name, field: "target_shape", message: "must be dimensions ≥ 0 with at most one -1, got \(targetShape)")
            }
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
