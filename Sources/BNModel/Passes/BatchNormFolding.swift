import JSONSchema

/// Folds inference-time batch norms into the layer whose weights can absorb them, where that
/// is exact, and keeps (and says why) every one where it is not.
///
/// A batch norm is `y = s·x + t` per channel with `s = gamma / sqrt(variance + epsilon)` and
/// `t = beta − s·mean`. Folding rewrites a neighbouring layer so the model computes the same
/// function without it:
/// - **backwards** into the conv2d, depthwise, separable or dense layer that feeds it: its
///   output channel o is scaled by `s[o]` and its bias becomes `s[o]·b[o] + t[o]`. Legal when
///   that layer has no fused activation (the batch norm must see its linear output) and feeds
///   nothing but the batch norm, and the batch norm is per channel (a per-activation batch
///   norm after a convolution scales each position differently, which shared weights cannot).
/// - **forwards** into the dense layer it feeds, for a batch norm of a vector (after Flatten or
///   Dense): `W·(s∘x + t) + b = (W·diag(s))·x + (W·t + b)`. Legal when the dense layer is its only
///   consumer. Forwards into a convolution is not done: zero padding at the borders would see
///   `t` where the batch norm's output has zeros, so it is exact only without padding.
///
/// Arithmetic is in float64 from the stored values, rounded once to the weights' dtype, so a
/// folded model differs from the unfolded one by that single rounding. Only float32 and
/// float64 weights are folded (rounding twice into a 16-bit type is not "exact" in any useful
/// sense); other batch norms are kept with that reason.
public enum BatchNormFolding {
    /// What happened to one batch norm.
    public struct Outcome: Sendable, Equatable {
        /// The batch norm's layer name.
        public var batchNorm: String
        /// The layer it was folded into, or nil when it was kept.
        public var foldedInto: String?
        /// Why it was kept, or how it was folded.
        public var reason: String
    }

    /// `model` with every legal batch norm folded, and one outcome per batch norm in layer order.
    /// The model's provenance records the folds (`extra["folded_batch_norms"]`), so that
    /// `inspect` shows them and the reverse conversion refuses a model it cannot restore.
    public static func fold(_ model: Model) throws -> (model: Model, outcomes: [Outcome]) {
        var result = model
        var outcomes: [Outcome] = []
        for layer in model.layers {
            guard case .batchNorm(let config) = layer.op else { continue }
            let plan = try Plan(batchNorm: layer, config: config, in: result)
            switch plan {
            case .keep(let reason):
                outcomes.append(Outcome(batchNorm: layer.name, foldedInto: nil, reason: reason))
            case .backward(let producer, let scale, let shift):
                try foldBackward(into: producer, scale: scale, shift: shift, model: &result)
                remove(layer.name, replacingWith: producer, in: &result)
                outcomes.append(Outcome(batchNorm: layer.name, foldedInto: producer,
                                        reason: "scaled the output channels of '\(producer)' and shifted its bias"))
            case .forward(let consumer, let scale, let shift):
                try foldForward(into: consumer, scale: scale, shift: shift, model: &result)
                remove(layer.name, replacingWith: layer.inbound[0], in: &result)
                outcomes.append(Outcome(batchNorm: layer.name, foldedInto: consumer,
                                        reason: "scaled the input columns of '\(consumer)' and added the shift to its bias"))
            }
        }
        let folded = outcomes.filter { $0.foldedInto != nil }
        if !folded.isEmpty {
            result.provenance.extra["folded_batch_norms"] = .array(folded.map {
                .object(["batch_norm": .string($0.batchNorm), "into": .string($0.foldedInto ?? "")])
            })
            result.layoutNotes.append("batch norms folded into neighbouring weights: "
                + folded.map { "\($0.batchNorm) → \($0.foldedInto ?? "")" }.joined(separator: ", "))
        }
        return (result, outcomes)
    }

    /// The batch norms a model's provenance says were folded, as (batch norm, into) pairs.
    public static func recordedFolds(in model: Model) -> [(batchNorm: String, into: String)] {
        recordedFolds(in: model.provenance)
    }

    /// The folds recorded in a provenance (a `.bnm` manifest's, without reading its model).
    public static func recordedFolds(in provenance: Provenance) -> [(batchNorm: String, into: String)] {
        guard case .array(let items)? = provenance.extra["folded_batch_norms"] else { return [] }
        return items.compactMap { item in
            guard let name = item["batch_norm"]?.stringValue, let into = item["into"]?.stringValue else { return nil }
            return (name, into)
        }
    }

    // MARK: Deciding

    private enum Plan {
        case keep(String)
        case backward(producer: String, scale: [Double], shift: [Double])
        case forward(consumer: String, scale: [Double], shift: [Double])

        init(batchNorm layer: Layer, config: BatchNormConfig, in model: Model) throws {
            guard layer.inbound.count == 1, let producer = model.layer(named: layer.inbound[0]) else {
                self = .keep("its input is not a single layer")
                return
            }
            // An output keeps its name: what the engine returns, and how verify lays it out, is
            // recorded under it.
            guard !model.outputs.contains(layer.name) else {
                self = .keep("it is a model output")
                return
            }
            guard BatchNormConfig.parameters.allSatisfy({ layer.tensor($0).map { [.f32, .f64].contains($0.dtype) } ?? false }) else {
                self = .keep("only float32 and float64 parameters are folded")
                return
            }
            let (scale, shift) = try Self.scaleAndShift(layer, config)
            let isVector = layer.outputShape?.count == 1
            // Backwards: the producer's weights absorb the batch norm.
            var backwardReason: String
            switch Self.weightedActivation(of: producer) {
            case nil:
                backwardReason = "'\(producer.name)' (\(producer.op.kind)) has no weights to absorb it"
            case let activation? where activation != .linear:
                backwardReason = "it follows the activation \(activation.name) of '\(producer.name)', which cannot be folded through"
            default:
                if config.mode == .perActivation && !isVector {
                    backwardReason = "it is per-activation after a \(producer.op.kind): its scale differs by position, the weights are shared"
                } else if model.consumers(of: producer.name).count > 1 || model.outputs.contains(producer.name) {
                    backwardReason = "'\(producer.name)' also feeds other layers, which must still see the unnormalised values"
                } else if !Self.weightsFoldable(producer) {
                    backwardReason = "the weights of '\(producer.name)' are not float32 or float64"
                } else {
                    self = .backward(producer: producer.name, scale: scale, shift: shift)
                    return
                }
            }
            // Forwards: a vector batch norm into the one dense layer it feeds.
            let consumers = model.consumers(of: layer.name)
            if isVector, consumers.count == 1, !model.outputs.contains(layer.name), case .dense = consumers[0].op,
               consumers[0].inbound == [layer.name], Self.weightsFoldable(consumers[0]) {
                self = .forward(consumer: consumers[0].name, scale: scale, shift: shift)
                return
            }
            if !isVector, consumers.count == 1, consumers[0].op.definition.tensors(inputs: nil).contains(where: { $0.role == .kernel }) {
                backwardReason += "; folding forwards into a convolution is not exact where zero padding meets the shifted values"
            }
            self = .keep(backwardReason)
        }

        /// The fused activation of a layer with weights, nil for a layer without.
        static func weightedActivation(of layer: Layer) -> Activation? {
            layer.tensors.isEmpty ? nil : layer.op.definition.outputActivation
        }

        static func weightsFoldable(_ layer: Layer) -> Bool {
            !layer.tensors.isEmpty && layer.tensors.allSatisfy { [.f32, .f64].contains($0.tensor.dtype) }
        }

        /// `s = gamma / sqrt(variance + epsilon)` and `t = beta − s·mean`, per parameter.
        static func scaleAndShift(_ layer: Layer, _ config: BatchNormConfig) throws -> ([Double], [Double]) {
            func values(_ role: TensorRole) throws -> [Double] { try layer.tensor(role)?.doubles() ?? [] }
            let gamma = try values(.gamma), beta = try values(.beta), mean = try values(.mean), variance = try values(.variance)
            let scale = zip(gamma, variance).map { $0 / ($1 + config.epsilon).squareRoot() }
            let shift = (0..<scale.count).map { beta[$0] - scale[$0] * mean[$0] }
            return (scale, shift)
        }
    }

    // MARK: Rewriting

    /// Scales output channel o of `name` by `scale[o]` and makes its bias `scale·b + shift`.
    private static func foldBackward(into name: String, scale: [Double], shift: [Double], model: inout Model) throws {
        guard let index = model.layers.firstIndex(where: { $0.name == name }) else { return }
        var layer = model.layers[index]
        let kernelRole: TensorRole
        switch layer.op {
        case .conv2d(var config):
            kernelRole = .kernel
            config.useBias = true
            layer.op = .conv2d(config)
        case .depthwiseConv2d(var config):
            kernelRole = .depthwiseKernel
            config.useBias = true
            layer.op = .depthwiseConv2d(config)
        case .separableConv2d(var config):
            kernelRole = .pointwiseKernel
            config.useBias = true
            layer.op = .separableConv2d(config)
        case .dense(var config):
            kernelRole = .kernel
            config.useBias = true
            layer.op = .dense(config)
        default:
            return
        }
        guard let kernel = layer.tensor(kernelRole) else { return }
        // Every kind above keeps its output channel as the kernel's first axis.
        var weights = try kernel.doubles()
        let rowLength = scale.isEmpty ? 0 : weights.count / scale.count
        for row in scale.indices {
            for column in 0..<rowLength { weights[row * rowLength + column] *= scale[row] }
        }
        let oldBias = try layer.tensor(.bias)?.doubles() ?? [Double](repeating: 0, count: scale.count)
        let bias = scale.indices.map { scale[$0] * oldBias[$0] + shift[$0] }
        try replace(kernelRole, in: &layer, with: weights, like: kernel)
        try replace(.bias, in: &layer, with: bias, like: kernel, shape: [scale.count])
        model.layers[index] = layer
    }

    /// Scales input column i of dense `name` by `scale[i]` and adds `W·shift` to its bias.
    private static func foldForward(into name: String, scale: [Double], shift: [Double], model: inout Model) throws {
        guard let index = model.layers.firstIndex(where: { $0.name == name }), case .dense(var config) = model.layers[index].op,
              let kernel = model.layers[index].tensor(.kernel) else { return }
        var layer = model.layers[index]
        var weights = try kernel.doubles()
        let units = config.units, features = scale.count
        var bias = try layer.tensor(.bias)?.doubles() ?? [Double](repeating: 0, count: units)
        for unit in 0..<units {
            var added = 0.0
            for feature in 0..<features {
                added += weights[unit * features + feature] * shift[feature]
                weights[unit * features + feature] *= scale[feature]
            }
            bias[unit] += added
        }
        config.useBias = true
        layer.op = .dense(config)
        try replace(.kernel, in: &layer, with: weights, like: kernel)
        try replace(.bias, in: &layer, with: bias, like: kernel, shape: [units])
        model.layers[index] = layer
    }

    /// Puts `values`, rounded once to `like`'s dtype, in place of (or after) the tensor `role`.
    private static func replace(_ role: TensorRole, in layer: inout Layer, with values: [Double], like: Tensor, shape: [Int]? = nil) throws {
        let tensor: Tensor = like.dtype == .f64
            ? try Tensor(values: values, shape: shape ?? like.shape)
            : try Tensor(float32: values.map { Float($0) }, shape: shape ?? like.shape)
        if let position = layer.tensors.firstIndex(where: { $0.role == role }) {
            layer.tensors[position].tensor = tensor
        } else {
            layer.tensors.append(NamedTensor(role: role, tensor: tensor))
        }
    }

    /// Drops layer `name` and points its consumers (and the model's outputs) at `replacement`.
    private static func remove(_ name: String, replacingWith replacement: String, in model: inout Model) {
        model.layers.removeAll { $0.name == name }
        for index in model.layers.indices {
            model.layers[index].inbound = model.layers[index].inbound.map { $0 == name ? replacement : $0 }
        }
        model.outputs = model.outputs.map { $0 == name ? replacement : $0 }
    }
}
