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

    /// Like `outputShape(of:inputs:)`, with `name` in every error.
    public static func outputShape(of op: LayerOp, named name: String, inputs: [[Int]]) throws(ShapeError) -> [Int] {
        let rules = Rules(layer: name, kind: op.kind)
        let shape = try outputShapeUnchecked(of: op, named: name, inputs: inputs, rules: rules)
        // A softmax runs along one axis of the output (counted with the batch): the batch axis
        // itself, or an axis the output does not have, has no meaning an engine could follow.
        let activation: Activation? = switch op {
        case .activation(let activation): activation
        case .conv2d(let config): config.activation
        case .depthwiseConv2d(let config): config.activation
        case .separableConv2d(let config): config.activation
        case .dense(let config): config.activation
        default: nil
        }
        if case .softmax(let axis)? = activation {
            let rank = shape.count + 1
            let normalised = axis < 0 ? axis + rank : axis
            guard normalised >= 1, normalised < rank else {
                throw .invalidAttribute(layer: name, kind: op.kind, field: "softmax axis",
                                        message: "\(axis) is the batch axis or outside the output's \(rank) axes (batch included)")
            }
        }
        return shape
    }

    private static func outputShapeUnchecked(of op: LayerOp, named name: String, inputs: [[Int]], rules: Rules) throws(ShapeError) -> [Int] {
        switch op {
        case .input(let shape):
            try rules.inputCount(inputs, exactly: 0)
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidAttribute(layer: name, kind: op.kind, field: "shape", message: "must not have negative dimensions, got \(shape)")
            }
            return shape
        case .conv2d(let config):
            let input = try rules.map(inputs)
            try rules.positive("filters", config.filters)
            let (height, width) = try rules.window(input, kernel: config.kernelSize, strides: config.strides,
                                                   dilation: config.dilation, padding: config.padding)
            return [config.filters, height, width]
        case .depthwiseConv2d(let config):
            let input = try rules.map(inputs)
            try rules.positive("depth_multiplier", config.depthMultiplier)
            let (height, width) = try rules.window(input, kernel: config.kernelSize, strides: config.strides,
                                                   dilation: config.dilation, padding: config.padding)
            return [try rules.multiply(input[0], config.depthMultiplier, "channels × depth_multiplier"), height, width]
        case .separableConv2d(let config):
            let input = try rules.map(inputs)
            try rules.positive("filters", config.filters)
            try rules.positive("depth_multiplier", config.depthMultiplier)
            _ = try rules.multiply(input[0], config.depthMultiplier, "channels × depth_multiplier")
            let (height, width) = try rules.window(input, kernel: config.kernelSize, strides: config.strides,
                                                   dilation: config.dilation, padding: config.padding)
            return [config.filters, height, width]
        case .dense(let config):
            try rules.inputCount(inputs, exactly: 1)
            guard inputs[0].count == 1 else {
                throw .inputRank(layer: name, kind: op.kind, expected: "a [features] vector (flatten a feature map first)", shape: inputs[0])
            }
            try rules.positive("units", config.units)
            return [config.units]
        case .batchNorm(let config):
            try rules.inputCount(inputs, exactly: 1)
            let input = inputs[0]
            switch config.mode {
            case .spatial:
                guard !input.isEmpty else {
                    throw .inputRank(layer: name, kind: op.kind, expected: "a [C, …] input with a channel axis", shape: input)
                }
            case .perActivation:
                guard input.count == 1 || input.count == 3 else {
                    throw .inputRank(layer: name, kind: op.kind, expected: "a [C, H, W] map or a [F] vector (per-activation)", shape: input)
                }
            }
            return input
        case .activation, .dropout:
            try rules.inputCount(inputs, exactly: 1)
            return inputs[0]
        case .maxPool2d(let config), .avgPool2d(let config):
            let input = try rules.map(inputs)
            let (height, width) = try rules.window(input, kernel: config.poolSize, strides: config.strides,
                                                   dilation: [1, 1], padding: config.padding, kernelField: "pool_size")
            return [input[0], height, width]
        case .globalAvgPool2d(let keepDims), .globalMaxPool2d(let keepDims):
            let input = try rules.map(inputs)
            return keepDims ? [input[0], 1, 1] : [input[0]]
        case .flatten:
            try rules.inputCount(inputs, exactly: 1)
            return [try rules.product(inputs[0], "the input's element count")]
        case .reshape(let targetShape):
            try rules.inputCount(inputs, exactly: 1)
            return try rules.reshape(inputs[0], to: targetShape)
        case .rescale:
            try rules.inputCount(inputs, exactly: 1)
            return inputs[0]
        case .normalize:
            try rules.inputCount(inputs, exactly: 1)
            guard !inputs[0].isEmpty else {
                throw .inputRank(layer: name, kind: op.kind, expected: "a [C, …] input with a channel axis", shape: inputs[0])
            }
            return inputs[0]
        case .upsample2d(let size):
            let input = try rules.map(inputs)
            try rules.pair("size", size)
            return [input[0], try rules.multiply(input[1], size[0], "upsampled height"), try rules.multiply(input[2], size[1], "upsampled width")]
        case .cropping2d(let cropping):
            let input = try rules.map(inputs)
            try rules.padding(cropping)
            let height = input[1] - cropping[0] - cropping[1], width = input[2] - cropping[2] - cropping[3]
            guard height >= 1, width >= 1 else {
                throw .invalidAttribute(layer: name, kind: op.kind, field: "cropping",
                                        message: "\(cropping) leaves nothing of a \(input[1])×\(input[2]) input")
            }
            return [input[0], height, width]
        case .multiply:
            try rules.inputCount(inputs, atLeast: 1)
            // The output has the shape of the input with the most elements; every other input
            // equals it or is a [C, 1, 1] gate of that [C, H, W] map.
            let widest = inputs.max { (Checked.product($0) ?? .max) < (Checked.product($1) ?? .max) } ?? inputs[0]
            guard inputs.allSatisfy({ $0 == widest || (widest.count == 3 && $0 == [widest[0], 1, 1]) }) else {
                throw .multiplyShapes(layer: name, shapes: inputs)
            }
            return widest
        case .add:
            try rules.inputCount(inputs, atLeast: 1)
            guard inputs.allSatisfy({ $0 == inputs[0] }) else { throw .addShapes(layer: name, shapes: inputs) }
            return inputs[0]
        case .concatenate(let axis):
            try rules.inputCount(inputs, atLeast: 1)
            return try rules.concatenate(inputs, axis: axis)
        case .zeroPadding2d(let padding):
            let input = try rules.map(inputs)
            try rules.padding(padding)
            let height = try rules.add(rules.add(input[1], padding[0], "padded height"), padding[1], "padded height")
            let width = try rules.add(rules.add(input[2], padding[2], "padded width"), padding[3], "padded width")
            return [input[0], height, width]
        case .unmapped(let className, _):
            throw .unmappedLayer(layer: name, className: className)
        }
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
                try checkTensors(of: layer, inputs: inputs, output: shape)
            }
            result.layers[index].outputShape = shape
            shapes[layer.name] = shape
        }
        return result
    }

    /// Checks that `layer` has exactly the tensors its kind uses, floating point, with the
    /// native shapes that its configuration, `inputs` and `output` imply.
    static func checkTensors(of layer: Layer, inputs: [[Int]], output: [Int]) throws(ShapeError) {
        let kind = layer.op.kind
        var expected: [(role: TensorRole, shape: [Int], layout: String)] = []
        switch layer.op {
        case .conv2d(let config):
            let inChannels = inputs[0][0]
            if let kernel = layer.tensor(.kernel), kernel.shape.count == 4, kernel.shape[0] == config.filters,
               Array(kernel.shape[2...]) == config.kernelSize, kernel.shape[1] != inChannels {
                throw .inputSizeMismatch(layer: layer.name, kind: kind, unit: "input channels", expected: kernel.shape[1], actual: inChannels)
            }
            expected.append((.kernel, [config.filters, inChannels] + config.kernelSize, "OIHW [filters, inChannels, kh, kw]"))
            if config.useBias { expected.append((.bias, [config.filters], "[filters]")) }
        case .depthwiseConv2d(let config):
            let channels = output[0]
            expected.append((.depthwiseKernel, [channels, 1] + config.kernelSize, "[C·M, 1, kh, kw]"))
            if config.useBias { expected.append((.bias, [channels], "[C·M]")) }
        case .separableConv2d(let config):
            let middle = inputs[0][0] * config.depthMultiplier
            expected.append((.depthwiseKernel, [middle, 1] + config.kernelSize, "[C·M, 1, kh, kw]"))
            expected.append((.pointwiseKernel, [config.filters, middle, 1, 1], "OIHW [filters, C·M, 1, 1]"))
            if config.useBias { expected.append((.bias, [config.filters], "[filters]")) }
        case .dense(let config):
            let features = inputs[0][0]
            if let kernel = layer.tensor(.kernel), kernel.shape.count == 2, kernel.shape[0] == config.units,
               kernel.shape[1] != features {
                throw .inputSizeMismatch(layer: layer.name, kind: kind, unit: "input features", expected: kernel.shape[1], actual: features)
            }
            expected.append((.kernel, [config.units, features], "[out, in]"))
            if config.useBias { expected.append((.bias, [config.units], "[units]")) }
        case .batchNorm(let config):
            let input = inputs[0]
            let shape: [Int]
            let layout: String
            switch (config.mode, input.count) {
            case (.perActivation, 3):
                shape = [1] + input
                layout = "per-activation [1, C, H, W]"
            case (.spatial, 1), (.perActivation, _):
                shape = [1, input[0], 1, 1]
                layout = "[1, F, 1, 1] on a [F] vector"
            case (.spatial, _):
                shape = [1, input[0], 1, 1]
                layout = "spatial [1, C, 1, 1]"
            }
            for role in [TensorRole.gamma, .beta, .mean, .variance] { expected.append((role, shape, layout)) }
        case .normalize:
            let shape = [1, inputs[0][0], 1, 1]
            for role in [TensorRole.mean, .variance] { expected.append((role, shape, "per channel [1, C, 1, 1]")) }
        default:
            break
        }
        for (role, shape, layout) in expected {
            guard let tensor = layer.tensor(role) else { throw .missingTensor(layer: layer.name, kind: kind, role: role.rawValue) }
            guard tensor.dtype.isFloatingPoint else {
                throw .tensorDType(layer: layer.name, kind: kind, role: role.rawValue, dtype: tensor.dtype)
            }
            guard tensor.shape == shape else {
                throw .tensorShape(layer: layer.name, kind: kind, role: role.rawValue, shape: tensor.shape, expected: shape, layout: layout)
            }
        }
        for named in layer.tensors where !expected.contains(where: { $0.role == named.role }) {
            // Normalization's sample count rides along for the reverse conversion.
            if case .normalize = layer.op, named.role == .other("count") { continue }
            throw .unexpectedTensor(layer: layer.name, kind: kind, role: named.role.rawValue)
        }
    }
}

/// The checks shared by the shape rules, each throwing a `ShapeError` that names the layer.
private struct Rules {
    let layer: String
    let kind: String

    func inputCount(_ inputs: [[Int]], exactly count: Int) throws(ShapeError) {
        guard inputs.count == count else {
            throw .inputCount(layer: layer, kind: kind, expected: count == 0 ? "no" : "exactly \(count)", actual: inputs.count)
        }
    }

    func inputCount(_ inputs: [[Int]], atLeast count: Int) throws(ShapeError) {
        guard inputs.count >= count else {
            throw .inputCount(layer: layer, kind: kind, expected: "at least \(count)", actual: inputs.count)
        }
    }

    /// The single `[C, H, W]` input of a spatial layer.
    func map(_ inputs: [[Int]]) throws(ShapeError) -> [Int] {
        try inputCount(inputs, exactly: 1)
        guard inputs[0].count == 3 else {
            throw .inputRank(layer: layer, kind: kind, expected: "a [C, H, W] feature map", shape: inputs[0])
        }
        return inputs[0]
    }

    func positive(_ field: String, _ value: Int) throws(ShapeError) {
        guard value >= 1 else { throw .invalidAttribute(layer: layer, kind: kind, field: field, message: "must be ≥ 1, got \(value)") }
    }

    func pair(_ field: String, _ values: [Int]) throws(ShapeError) {
        guard values.count == 2, values.allSatisfy({ $0 >= 1 }) else {
            throw .invalidAttribute(layer: layer, kind: kind, field: field, message: "must be 2 integers ≥ 1, got \(values)")
        }
    }

    func padding(_ values: [Int]) throws(ShapeError) {
        guard values.count == 4, values.allSatisfy({ $0 >= 0 }) else {
            throw .invalidAttribute(layer: layer, kind: kind, field: "padding", message: "must be [top, bottom, left, right] ≥ 0, got \(values)")
        }
    }

    func add(_ a: Int, _ b: Int, _ what: String) throws(ShapeError) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .overflow(layer: layer, kind: kind, what: what) }
        return sum
    }

    func multiply(_ a: Int, _ b: Int, _ what: String) throws(ShapeError) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw .overflow(layer: layer, kind: kind, what: what) }
        return product
    }

    func product(_ dims: [Int], _ what: String) throws(ShapeError) -> Int {
        var result = 1
        for dim in dims { result = try multiply(result, dim, what) }
        return result
    }

    /// Output height and width of a sliding window: `floor((n + before + after − d·(k − 1) − 1) / s) + 1`.
    func window(_ input: [Int], kernel: [Int], strides: [Int], dilation: [Int], padding: [Int],
                kernelField: String = "kernel_size") throws(ShapeError) -> (Int, Int) {
        try pair(kernelField, kernel)
        try pair("strides", strides)
        try pair("dilation", dilation)
        try self.padding(padding)
        var sizes: [Int] = []
        for (axis, name) in ["height", "width"].enumerated() {
            let padded = try add(add(input[1 + axis], padding[2 * axis], "padded \(name)"), padding[2 * axis + 1], "padded \(name)")
            let span = try add(multiply(dilation[axis], kernel[axis] - 1, "dilated \(name) window"), 1, "dilated \(name) window")
            guard padded >= span else {
                throw .windowLargerThanInput(layer: layer, kind: kind, axis: name, paddedInput: padded, window: span)
            }
            sizes.append((padded - span) / strides[axis] + 1)
        }
        return (sizes[0], sizes[1])
    }

    func reshape(_ input: [Int], to target: [Int]) throws(ShapeError) -> [Int] {
        let count = try product(input, "the input's element count")
        let unknown = target.indices.filter { target[$0] == -1 }
        guard unknown.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw .invalidAttribute(layer: layer, kind: kind, field: "target_shape",
                                    message: "must hold sizes ≥ 0 and at most one -1, got \(target)")
        }
        guard let free = unknown.first else {
            guard try product(target, "the target's element count") == count else {
                throw .reshapeElementCount(layer: layer, targetShape: target, inputShape: input)
            }
            return target
        }
        var known = target
        known.remove(at: free)
        let knownCount = try product(known, "the target's element count")
        guard knownCount > 0, count % knownCount == 0 else {
            throw .reshapeElementCount(layer: layer, targetShape: target, inputShape: input)
        }
        var resolved = target
        resolved[free] = count / knownCount
        return resolved
    }

    func concatenate(_ inputs: [[Int]], axis: Int) throws(ShapeError) -> [Int] {
        let rank = inputs[0].count
        // `axis` counts the batch: per-sample axis = axis − 1, or rank + axis when negative.
        let sampleAxis = axis < 0 ? rank + axis : axis - 1
        guard rank > 0, sampleAxis >= 0, sampleAxis < rank else {
            throw .concatenateAxis(layer: layer, axis: axis, rank: rank)
        }
        var output = inputs[0]
        for shape in inputs.dropFirst() {
            guard shape.count == rank,
                  shape.indices.allSatisfy({ $0 == sampleAxis || shape[$0] == inputs[0][$0] }) else {
                throw .concatenateShapes(layer: layer, axis: axis, shapes: inputs)
            }
            output[sampleAxis] = try add(output[sampleAxis], shape[sampleAxis], "the concatenated size")
        }
        return output
    }
}
