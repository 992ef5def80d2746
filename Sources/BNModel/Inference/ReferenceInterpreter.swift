/// A plain, unoptimised forward pass over a model's native NCHW tensors: the yardstick against
/// which a conversion is proven equal to the source framework's own predictions.
///
/// Arithmetic is float32 with double accumulation wherever many terms are summed
/// (convolutions, dense layers, softmax, averages) and double for batch normalisation, so its
/// results stay well inside `rtol = 1e-4` of TensorFlow's. Every tensor is decoded once, in
/// `init`, through `Tensor.floats()` (f16, bf16, f32 and f64 weights all work). Data carries
/// the batch: `[N, C, H, W]` for maps, `[N, F]` for vectors.
public struct ReferenceInterpreter: Sendable {
    /// The model with every layer's `outputShape` filled in by `ShapeInference.infer`.
    public let model: Model
    /// The largest number of elements any layer's output may have for a batch; `run` refuses
    /// larger ones (`.outputTooLarge`) instead of attempting an allocation that cannot succeed.
    public let maximumElementCount: Int
    private let steps: [Step]

    /// Prepares `model`: checks every shape and tensor (`ShapeInference.infer`) and decodes the
    /// weights. Throws `.unsupportedLayer` when the model has an `unmapped` layer, and
    /// `.inputEndpoint` / `.unknownOutput` when the model's input and output lists do not match
    /// its layers.
    /// `maximumElementCount` bounds each layer's output (default 2³⁰ floats, 4 GiB), so that a
    /// hostile model (say a zero padding of a million pixels) fails with a reason.
    public init(model: Model, maximumElementCount: Int = 1 << 30) throws(InterpreterError) {
        self.maximumElementCount = maximumElementCount
        for layer in model.layers {
            if case .unmapped(let className, _) = layer.op {
                throw .unsupportedLayer(layer: layer.name, className: className)
            }
        }
        let inferred: Model
        do { inferred = try ShapeInference.infer(model) } catch { throw .shape(error) }
        for layer in inferred.layers {
            if case .input = layer.op, !inferred.inputs.contains(layer.name) { throw .inputEndpoint(name: layer.name, listed: false) }
        }
        for name in inferred.inputs {
            guard case .input? = inferred.layer(named: name)?.op else { throw .inputEndpoint(name: name, listed: true) }
        }
        for name in inferred.outputs where inferred.layer(named: name) == nil { throw .unknownOutput(name: name) }
        self.model = inferred
        // Every per-sample shape must multiply out within the limit before any kernel is
        // prepared: kernels walk shapes with plain arithmetic (planes, windows, strides), which
        // is safe only once the products are known to fit.
        for layer in inferred.layers {
            let shape = layer.outputShape ?? []
            guard let count = Checked.product(shape), count <= maximumElementCount else {
                throw .outputTooLarge(layer: layer.name, shape: shape, limit: maximumElementCount)
            }
        }
        var steps: [Step] = []
        var inputShapes: [String: [Int]] = [:]
        for layer in inferred.layers {
            // `infer` has filled every output shape and proven every inbound name.
            let shape = layer.outputShape ?? []
            let inputs = layer.inbound.map { inputShapes[$0] ?? [] }
            steps.append(Step(name: layer.name, inbound: layer.inbound, outputShape: shape,
                              operation: try Operation.prepare(layer, inputShapes: inputs, outputShape: shape)))
            inputShapes[layer.name] = shape
        }
        self.steps = steps
    }

    /// Runs the model on one batch. `inputs` maps each model input's name to its array
    /// `[N] + inputShape` (native NCHW); the result maps each model output's name to
    /// `[N] + outputShape`.
    public func run(inputs: [String: NDArray]) throws(InterpreterError) -> [String: NDArray] {
        for name in inputs.keys.sorted() where !model.inputs.contains(name) { throw .unknownInput(name: name) }
        var batch: Int?
        for name in model.inputs {
            guard let array = inputs[name] else { throw .missingInput(name: name) }
            guard array.isConsistent else { throw .valueCount(name: name, shape: array.shape, count: array.values.count) }
            let expected = model.layer(named: name)?.outputShape ?? []
            guard array.shape.count == expected.count + 1, Array(array.shape.dropFirst()) == expected else {
                throw .inputShape(name: name, expected: expected, actual: array.shape)
            }
            if let batch, batch != array.shape[0] { throw .batchSize(name: name, batch: array.shape[0], expected: batch) }
            batch = array.shape[0]
        }
        let batchSize = batch ?? 0

        // Each intermediate is dropped after its last consumer, so memory stays near the
        // widest point of the graph rather than the sum of all layers.
        var remainingUses: [String: Int] = [:]
        for step in steps { for name in step.inbound { remainingUses[name, default: 0] += 1 } }
        for name in model.outputs { remainingUses[name, default: 0] += 1 }

        var values: [String: NDArray] = [:]
        for step in steps {
            let shape = [batchSize] + step.outputShape
            var produced = [shape]
            if case .separable(let depthwise, _) = step.operation, shape.count == 4 {
                produced.append([batchSize, depthwise.outChannels, shape[2], shape[3]])
            }
            for shape in produced {
                guard let count = Checked.product(shape), count <= maximumElementCount else {
                    throw .outputTooLarge(layer: step.name, shape: shape, limit: maximumElementCount)
                }
            }
            let output: NDArray
            if case .input = step.operation {
                output = inputs[step.name] ?? NDArray(shape: shape, values: [])
            } else {
                let operands = step.inbound.map { values[$0] ?? NDArray(shape: [], values: []) }
                output = step.operation.apply(to: operands, outputShape: shape)
            }
            for name in step.inbound {
                remainingUses[name, default: 1] -= 1
                if remainingUses[name] == 0 { values[name] = nil }
            }
            if remainingUses[step.name, default: 0] > 0 { values[step.name] = output }
        }
        var outputs: [String: NDArray] = [:]
        for name in model.outputs { outputs[name] = values[name] }
        return outputs
    }
}

/// One layer, ready to run.
private struct Step: Sendable {
    let name: String
    let inbound: [String]
    /// Per sample, batch excluded.
    let outputShape: [Int]
    let operation: Operation
}

/// A layer's computation with its weights decoded to float32 and its configuration resolved.
enum Operation: Sendable {
    case input
    case convolution(Convolution)
    /// Depthwise stage (no bias, no activation), then the pointwise stage.
    case separable(depthwise: Convolution, pointwise: Convolution)
    case dense(Dense)
    case batchNorm(BatchNormalization)
    case layerNorm(LayerNormalization)
    case activation(ResolvedActivation)
    case maxPool(Pool2DConfig)
    case avgPool(Pool2DConfig)
    case globalAveragePool
    case globalMaxPool
    /// flatten, reshape and dropout: the values stay as they are (row-major), only the shape
    /// changes.
    case sameValues
    case add
    case multiply
    /// Per channel: `(x − mean[c]) / divisor[c]`, float32.
    case normalize(mean: [Float], divisor: [Float])
    case upsample([Int])
    case crop([Int])
    /// `x · scale + offset` in float32.
    case rescale(scale: Float, offset: Float)
    /// `axis` counted including the batch, resolved to be non-negative.
    case concatenate(axis: Int)
    case zeroPadding([Int])

    /// Builds the operation for `layer`, whose shapes `ShapeInference.infer` has proven.
    static func prepare(_ layer: Layer, inputShapes: [[Int]], outputShape: [Int]) throws(InterpreterError) -> Operation {
        let rank = outputShape.count + 1
        func floats(_ role: TensorRole) throws(InterpreterError) -> [Float] {
            guard let tensor = layer.tensor(role) else { return [] }
            do { return try tensor.floats() } catch {
                throw .tensorRead(layer: layer.name, role: role.rawValue, reason: "\(error)")
            }
        }
        func activation(_ activation: Activation) throws(InterpreterError) -> ResolvedActivation {
            guard let resolved = ResolvedActivation(activation, rank: rank) else {
                // Only a softmax axis outside the output's axes fails to resolve.
                var axis = 0
                if case .softmax(let value) = activation { axis = value }
                throw .softmaxAxis(layer: layer.name, axis: axis, rank: rank)
            }
            return resolved
        }
        switch layer.op {
        case .input:
            return .input
        case .conv2d(let config):
            return .convolution(Convolution(
                outChannels: config.filters, groups: config.groups, kernel: try floats(.kernel), kernelSize: config.kernelSize,
                bias: config.useBias ? try floats(.bias) : nil, strides: config.strides, dilation: config.dilation,
                padding: config.padding, activation: try activation(config.activation)))
        case .depthwiseConv2d(let config):
            return .convolution(Convolution(
                outChannels: outputShape[0], groups: inputShapes[0][0], kernel: try floats(.depthwiseKernel),
                kernelSize: config.kernelSize, bias: config.useBias ? try floats(.bias) : nil, strides: config.strides,
                dilation: config.dilation, padding: config.padding, activation: try activation(config.activation)))
        case .separableConv2d(let config):
            let channels = inputShapes[0][0]
            let depthwise = Convolution(
                outChannels: channels * config.depthMultiplier, groups: channels, kernel: try floats(.depthwiseKernel),
                kernelSize: config.kernelSize, bias: nil, strides: config.strides, dilation: config.dilation,
                padding: config.padding, activation: ResolvedActivation(activation: .linear, softmaxAxis: 0))
            let pointwise = Convolution(
                outChannels: config.filters, groups: 1, kernel: try floats(.pointwiseKernel), kernelSize: [1, 1],
                bias: config.useBias ? try floats(.bias) : nil, strides: [1, 1], dilation: [1, 1], padding: [0, 0, 0, 0],
                activation: try activation(config.activation))
            return .separable(depthwise: depthwise, pointwise: pointwise)
        case .dense(let config):
            return .dense(Dense(units: config.units, kernel: try floats(.kernel), bias: config.useBias ? try floats(.bias) : nil,
                                activation: try activation(config.activation)))
        case .batchNorm(let config):
            return .batchNorm(BatchNormalization(
                config: config, inputShape: inputShapes[0], gamma: try floats(.gamma), beta: try floats(.beta),
                mean: try floats(.mean), variance: try floats(.variance)))
        case .activation(let value):
            return .activation(try activation(value))
        case .maxPool2d(let config):
            return .maxPool(config)
        case .avgPool2d(let config):
            return .avgPool(config)
        case .globalAvgPool2d:
            return .globalAveragePool
        case .globalMaxPool2d:
            return .globalMaxPool
        case .flatten, .reshape, .dropout:
            return .sameValues
        case .add:
            return .add
        case .multiply:
            return .multiply
        case .upsample2d(let size):
            return .upsample(size)
        case .normalize(let epsilon):
            let variance = try floats(.variance)
            return .normalize(mean: try floats(.mean), divisor: variance.map { Swift.max($0.squareRoot(), Float(epsilon)) })
        case .cropping2d(let cropping):
            return .crop(cropping)
        case .rescale(let scale, let offset):
            return .rescale(scale: Float(scale), offset: Float(offset))
        case .concatenate(let axis):
            return .concatenate(axis: axis < 0 ? axis + rank : axis)
        case .zeroPadding2d(let padding):
            return .zeroPadding(padding)
        case .layerNorm(let config):
            let gamma = layer.tensor(.gamma) == nil ? nil : try floats(.gamma)
            let beta = layer.tensor(.beta) == nil ? nil : try floats(.beta)
            return .layerNorm(LayerNormalization(epsilon: config.epsilon, gamma: gamma, beta: beta))
        case .unmapped(let className, _):
            throw .unsupportedLayer(layer: layer.name, className: className)
        }
    }

    /// Computes the output, `outputShape` including the batch, from the inbound arrays.
    func apply(to inputs: [NDArray], outputShape: [Int]) -> NDArray {
        switch self {
        case .input:
            // `run` hands each input layer its array directly; this is never reached.
            return inputs.first ?? NDArray(shape: outputShape, values: [])
        case .convolution(let convolution):
            return convolution.apply(to: inputs[0], outputShape: outputShape)
        case .separable(let depthwise, let pointwise):
            let middleShape = [outputShape[0], depthwise.outChannels, outputShape[2], outputShape[3]]
            let middle = depthwise.apply(to: inputs[0], outputShape: middleShape)
            return pointwise.apply(to: middle, outputShape: outputShape)
        case .dense(let dense):
            return dense.apply(to: inputs[0], outputShape: outputShape)
        case .batchNorm(let normalization):
            return normalization.apply(to: inputs[0])
        case .layerNorm(let normalization):
            return normalization.apply(to: inputs[0])
        case .activation(let activation):
            var output = inputs[0]
            activation.apply(to: &output)
            return output
        case .maxPool(let config):
            return Pooling.max(inputs[0], config: config, outputShape: outputShape)
        case .avgPool(let config):
            return Pooling.average(inputs[0], config: config, outputShape: outputShape)
        case .globalAveragePool:
            return Pooling.globalAverage(inputs[0], outputShape: outputShape)
        case .globalMaxPool:
            return Pooling.globalMax(inputs[0], outputShape: outputShape)
        case .sameValues:
            return NDArray(shape: outputShape, values: inputs[0].values)
        case .add:
            return Elementwise.add(inputs)
        case .multiply:
            return Elementwise.multiply(inputs, outputShape: outputShape)
        case .upsample(let size):
            return Layout.upsample(inputs[0], size: size, outputShape: outputShape)
        case .normalize(let mean, let divisor):
            var output = inputs[0]
            let channels = mean.count
            let plane = channels == 0 ? 1 : Swift.max(outputShape.dropFirst(2).reduce(1, *), 1)
            for index in output.values.indices {
                let channel = (index / plane) % Swift.max(channels, 1)
                output.values[index] = (output.values[index] - mean[channel]) / divisor[channel]
            }
            return output
        case .crop(let cropping):
            return Layout.crop(inputs[0], cropping: cropping, outputShape: outputShape)
        case .rescale(let scale, let offset):
            var output = inputs[0]
            for index in output.values.indices { output.values[index] = output.values[index] * scale + offset }
            return output
        case .concatenate(let axis):
            return Layout.concatenate(inputs, axis: axis, outputShape: outputShape)
        case .zeroPadding(let padding):
            return Layout.zeroPad(inputs[0], padding: padding, outputShape: outputShape)
        }
    }
}
