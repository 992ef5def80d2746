import BNModel
import JSONSchema

/// Walks a Keras architecture in model order and builds native layers, tracking for every
/// layer output its native shape and its Keras layout (``KerasLayout``), which is all the
/// mapping of weights needs.
struct GraphBuilder {
    let file: KerasFile
    let architecture: KerasArchitecture
    let source: String
    let inputShapeOverride: [Int]?

    private(set) var warnings: [String] = []
    private(set) var notes: [String] = []
    private(set) var modelDataFormat = "channels_last"

    /// What is known about each layer's output.
    private struct Edge {
        var shape: [Int]?
        var layout: KerasLayout?
    }
    private var edges: [String: Edge] = [:]
    private var legacyByLayer: [String: [StoredWeight]] = [:]
    private var claimedLegacyOwners: Set<String> = []
    /// How every stored weight became a native tensor, for the reverse conversion.
    private(set) var records: [KerasWeightRecord] = []
    /// Model outputs whose Keras layout differs from the native one (flattened or reshaped maps).
    private(set) var outputLayouts = KerasOutputLayouts()

    init(file: KerasFile, architecture: KerasArchitecture, source: String, inputShapeOverride: [Int]?) {
        self.file = file
        self.architecture = architecture
        self.source = source
        self.inputShapeOverride = inputShapeOverride
    }

    mutating func build() throws -> [Layer] {
        if file.kind != .keras3Weights {
            legacyByLayer = try file.legacyWeights(layerNames: Set(architecture.layers.map(\.name)))
        }
        modelDataFormat = inferDataFormat()
        notes.append("Keras tensors are \(modelDataFormat == "channels_last" ? "NHWC (channels_last)" : "NCHW (channels_first)"); native tensors are NCHW")
        if let mixed = architecture.layers.lazy.compactMap({ spec -> String? in
            let policy = spec.config["dtype"].map { "\($0)" } ?? ""
            return ["mixed_float16", "mixed_bfloat16"].first { policy.contains($0) }
        }).first {
            warnings.append("the model computes in reduced precision (\(mixed) policy) while the reference pass computes in float32: "
                + "Keras' predictions differ from it by that rounding, so verify needs a looser tolerance (e.g. --rtol 3e-2)")
        }
        var layers: [Layer] = []
        for spec in architecture.layers {
            let layer = try map(spec)
            layers.append(layer)
        }
        // An output that is a flattened or reshaped map is in the engine's element order (C, H,
        // W) and shape, not Keras': record how Keras lays it out, so `verify` (and anyone
        // reading the output) can reorder it, and say so.
        for output in architecture.outputs {
            let kerasShape: [Int]
            let order: FlattenOrder?
            switch edges[output]?.layout {
            case let .vector(vectorOrder)?:
                guard let vectorOrder else { continue }
                (kerasShape, order) = (edges[output]?.shape ?? [], vectorOrder)
            case let .reshaped(shape, vectorOrder)?:
                (kerasShape, order) = (shape, vectorOrder)
            case let .segmentedVector(segments)?:
                outputLayouts[output] = .segmented(kerasShape: edges[output]?.shape ?? [], segments: segments)
                warnings.append("output '\(output)' concatenates flattened maps: the engine gives each part in C, H, W order, "
                    + "Keras in its own; verify reorders it, a user of the engine's output must too")
                continue
            default:
                continue
            }
            outputLayouts[output] = .flattened(kerasShape: kerasShape, order: order)
            let kerasOrder = order.map { $0.kerasAxes.map { ["C", "H", "W"][$0] }.joined(separator: ", ") } ?? "C, H, W"
            warnings.append("output '\(output)' is a flattened map: the engine gives it in C, H, W order, shaped "
                + "\(edges[output]?.shape ?? []); Keras gives it in \(kerasOrder) order, shaped \(kerasShape). "
                + "verify reorders it; a user of the engine's output must too")
        }
        let unclaimed = Set(legacyByLayer.keys).subtracting(claimedLegacyOwners)
        if let stray = unclaimed.sorted().first, let weights = legacyByLayer[stray], !weights.isEmpty {
            throw KerasError.unexpectedWeights(file: file.path, layer: stray, weights: weights.map(\.dataset.path))
        }
        return layers
    }

    /// The data format of the model: that of its spatial layers (they must agree), else
    /// Keras' default channels_last.
    private func inferDataFormat() -> String {
        let formats = architecture.layers.compactMap { $0.config["data_format"]?.stringValue }
        return formats.first ?? "channels_last"
    }

    // MARK: - One layer

    private mutating func map(_ spec: KerasLayerSpec) throws -> Layer {
        let reader = ConfigReader(layer: spec, source: source)
        guard spec.constantArguments.isEmpty else {
            throw KerasError.unsupportedLayer(
                layer: spec.name, className: spec.className,
                detail: "is a tensor operation with the constant argument(s) \(spec.constantArguments.joined(separator: ", ")) (e.g. `x + 3.0`), which the converter cannot carry; use a layer instead")
        }
        let inputs: [Edge] = try spec.inbound.map { name in
            guard let edge = edges[name] else {
                throw KerasError.invalidConfig(source: source, field: "layer '\(spec.name)'.inbound_nodes",
                                               detail: "refers to '\(name)', which is not an earlier layer")
            }
            return edge
        }
        var weights = try storedWeights(for: spec)
        let major = file.kerasMajorVersion
        var tensors: [NamedTensor] = []
        var op: LayerOp
        var layout: KerasLayout?

        /// A fused activation acts on the layer's output, laid out like its input: a softmax
        /// axis is Keras' and must become the native one (channels, not W).
        func fused(_ activation: Activation) throws -> Activation {
            try nativeAxis(of: activation, input: inputs.first, spec: spec)
        }
        func requireMap(_ index: Int = 0) throws -> (shape: [Int], kerasAxes: [Int]) {
            if index < inputs.count, inputs[index].shape == nil { throw missingShape(spec) }
            guard index < inputs.count, let shape = inputs[index].shape, case let .map(axes)? = inputs[index].layout, shape.count == 3 else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "expects an image (H×W×C) input")
            }
            let format = try reader.dataFormat()
            guard KerasLayout.map(dataFormat: format) == .map(kerasAxes: axes) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "data_format \(format) differs from its input's layout")
            }
            return (shape, axes)
        }
        func padding(_ input: [Int], kernel: [Int], strides: [Int], dilation: [Int]) throws -> [Int] {
            let mode = try reader.string("padding", default: "valid")
            switch mode {
            case "valid": return [0, 0, 0, 0]
            case "same":
                let vertical = samePadding(input: input[1], kernel: kernel[0], stride: strides[0], dilation: dilation[0])
                let horizontal = samePadding(input: input[2], kernel: kernel[1], stride: strides[1], dilation: dilation[1])
                return [vertical.before, vertical.after, horizontal.before, horizontal.after]
            default:
                throw reader.fail("padding", "unsupported padding '\(mode)'")
            }
        }
        let bfloat16Policy = spec.config["dtype"].map { "\($0)".contains("bfloat16") } ?? false
        /// Takes the stored weight `variable`, checks its Keras shape, and returns it as the
        /// native tensor for `role`, remembering how to undo that for the reverse conversion.
        func take(_ variable: String, _ role: TensorRole, _ transform: WeightTransform,
                  expect expected: [Int], matches: ((Tensor) -> Bool)? = nil) throws -> NamedTensor {
            guard let index = weights.firstIndex(where: { $0.name == variable }) else {
                throw KerasError.missingWeight(file: file.path, layer: spec.name, weight: variable)
            }
            let weight = weights.remove(at: index)
            let keras = try file.tensor(weight, assumeBFloat16: bfloat16Policy)
            guard matches?(keras) ?? (keras.shape == expected) else {
                throw KerasError.weightShape(file: file.path, layer: spec.name, weight: variable, expected: expected, found: keras.shape)
            }
            records.append(try KerasWeightRecord(layer: spec.name, role: role, weight: weight, kerasShape: keras.shape,
                                                 dtype: keras.dtype, transform: transform))
            return NamedTensor(role: role, tensor: try transform.forward(keras))
        }

        switch spec.className {
        case "InputLayer":
            let kerasShape = try inputShape(spec, reader: reader)
            switch kerasShape.count {
            case 3:
                let axes = KerasLayout.kerasAxes(dataFormat: modelDataFormat)
                op = .input(shape: KerasLayout.nativeShape(kerasDims: kerasShape, kerasAxes: axes))
                layout = .map(kerasAxes: axes)
            case 1:
                op = .input(shape: kerasShape)
                layout = .vector(order: nil)
            default:
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "inputs of rank \(kerasShape.count) (per sample) are not supported; images (H, W, C) and vectors are")
            }

        case "Conv2D":
            let (shape, axes) = try requireMap()
            guard try reader.int("groups", default: 1) == 1 else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "grouped convolution")
            }
            let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
            let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
            let filters = try reader.positiveInt("filters"), useBias = try reader.bool("use_bias", default: true)
            tensors.append(try take("kernel", .kernel, .convKernel, expect: kernelSize + [shape[0], filters]))
            if useBias { tensors.append(try take("bias", .bias, .identity, expect: [filters])) }
            op = .conv2d(Conv2DConfig(filters: filters, kernelSize: kernelSize, strides: strides, dilation: dilation,
                                      padding: try padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
                                      useBias: useBias, activation: try fused(reader.activation(kerasMajorVersion: major))))
            layout = .map(kerasAxes: axes)

        case "DepthwiseConv2D":
            let (shape, axes) = try requireMap()
            let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
            let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
            let multiplier = try reader.positiveInt("depth_multiplier", default: 1), useBias = try reader.bool("use_bias", default: true)
            let name = weights.contains { $0.name == "depthwise_kernel" } ? "depthwise_kernel" : "kernel"
            tensors.append(try take(name, .depthwiseKernel, .depthwiseKernel, expect: kernelSize + [shape[0], multiplier]))
            if useBias { tensors.append(try take("bias", .bias, .identity, expect: [shape[0] * multiplier])) }
            op = .depthwiseConv2d(DepthwiseConv2DConfig(
                depthMultiplier: multiplier, kernelSize: kernelSize, strides: strides, dilation: dilation,
                padding: try padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
                useBias: useBias, activation: try fused(reader.activation(kerasMajorVersion: major))))
            layout = .map(kerasAxes: axes)

        case "SeparableConv2D":
            let (shape, axes) = try requireMap()
            let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
            let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
            let multiplier = try reader.positiveInt("depth_multiplier", default: 1), useBias = try reader.bool("use_bias", default: true)
            let filters = try reader.positiveInt("filters")
            tensors.append(try take("depthwise_kernel", .depthwiseKernel, .depthwiseKernel, expect: kernelSize + [shape[0], multiplier]))
            tensors.append(try take("pointwise_kernel", .pointwiseKernel, .convKernel, expect: [1, 1, shape[0] * multiplier, filters]))
            if useBias { tensors.append(try take("bias", .bias, .identity, expect: [filters])) }
            op = .separableConv2d(SeparableConv2DConfig(
                filters: filters, depthMultiplier: multiplier, kernelSize: kernelSize, strides: strides, dilation: dilation,
                padding: try padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
                useBias: useBias, activation: try fused(reader.activation(kerasMajorVersion: major))))
            layout = .map(kerasAxes: axes)

        case "Dense":
            guard let shape = inputs.first?.shape, shape.count == 1,
                  let segments = VectorSegment.of(inputs.first?.layout, length: shape[0]) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "Dense on a non-flat input (apply Flatten or global pooling first)")
            }
            let units = try reader.positiveInt("units"), useBias = try reader.bool("use_bias", default: true)
            let transform: WeightTransform = segments.count == 1 ? .denseKernel(segments[0].order) : .denseKernelSegments(segments)
            tensors.append(try take("kernel", .kernel, transform, expect: [shape[0], units]))
            if useBias { tensors.append(try take("bias", .bias, .identity, expect: [units])) }
            op = .dense(DenseConfig(units: units, useBias: useBias, activation: try fused(reader.activation(kerasMajorVersion: major))))
            layout = .vector(order: nil)

        case "BatchNormalization":
            if try reader.bool("renorm", default: false) {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "renorm=True (batch renormalisation) keeps extra training-only statistics this converter does not carry; re-save the model with renorm=False")
            }
            (op, tensors, layout) = try batchNorm(spec, reader: reader, input: inputs.first, take: take)

        case "Activation":
            op = .activation(try nativeAxis(of: try reader.activation(kerasMajorVersion: major), input: inputs.first, spec: spec))
            layout = inputs.first?.layout
        case "ReLU":
            let maxValue = try reader.optionalDouble("max_value")
            let slope = try reader.double("negative_slope", default: 0), threshold = try reader.double("threshold", default: 0)
            switch (maxValue, slope, threshold) {
            case (nil, 0, 0): op = .activation(.relu)
            case (6?, 0, 0): op = .activation(.relu6)
            case (nil, _, 0): op = .activation(.leakyRelu(alpha: slope))
            default: op = .activation(.clippedRelu(maxValue: maxValue, negativeSlope: slope, threshold: threshold))
            }
            layout = inputs.first?.layout
        case "LeakyReLU":
            // Keras 3 calls the slope negative_slope (default 0.3), tf_keras alpha (default 0.3).
            let slope = try reader.optionalDouble("negative_slope") ?? reader.double("alpha", default: 0.3)
            op = .activation(.leakyRelu(alpha: slope))
            layout = inputs.first?.layout
        case "Softmax":
            let axis = spec.config["axis"]?.intValue.map { Int($0) } ?? -1
            op = .activation(.softmax(axis: try nativeAxis(axis, input: inputs.first, spec: spec)))
            layout = inputs.first?.layout

        case "MaxPooling2D", "AveragePooling2D":
            let (shape, axes) = try requireMap()
            let poolSize = try reader.positivePair("pool_size", default: [2, 2])
            let strides = try reader.positivePair("strides", default: poolSize)
            let config = Pool2DConfig(poolSize: poolSize, strides: strides,
                                      padding: try padding(shape, kernel: poolSize, strides: strides, dilation: [1, 1]),
                                      countIncludesPadding: false)
            op = spec.className == "MaxPooling2D" ? .maxPool2d(config) : .avgPool2d(config)
            layout = .map(kerasAxes: axes)
        case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
            let (_, axes) = try requireMap()
            let keepDims = try reader.bool("keepdims", default: false)
            op = spec.className == "GlobalAveragePooling2D" ? .globalAvgPool2d(keepDims: keepDims) : .globalMaxPool2d(keepDims: keepDims)
            layout = keepDims ? .map(kerasAxes: axes) : .vector(order: nil)
        case "ZeroPadding2D":
            let (_, axes) = try requireMap()
            op = .zeroPadding2d(padding: try zeroPadding(reader))
            layout = .map(kerasAxes: axes)

        case "Flatten":
            op = .flatten
            switch inputs.first?.layout {
            case let .map(axes)?:
                guard let shape = inputs.first?.shape else { throw missingShape(spec) }
                // channels_first Flatten moves Keras' axis 1 (its channels) last before flattening.
                let walked = try reader.dataFormat() == "channels_first" ? Array(axes.dropFirst()) + [axes[0]] : axes
                layout = .vector(order: FlattenOrder.make(mapShape: shape, kerasAxes: walked))
            case let .vector(order)?, let .reshaped(_, order)?:
                layout = .vector(order: order)
            case let .segmentedVector(segments)?:
                layout = .segmentedVector(segments)
            case nil:
                throw missingShape(spec)
            }
        case "Reshape":
            (op, layout) = try reshape(spec, input: inputs.first)
        case "Normalization":
            // Keras: (x − mean) / max(√variance, 1e-7) along the channel (or feature) axis.
            guard try !reader.bool("invert", default: false) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "invert=True is not supported")
            }
            guard (spec.config["mean"] ?? .null) == .null, (spec.config["variance"] ?? .null) == .null else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "mean and variance given in the configuration rather than as weights are not supported")
            }
            guard let input = inputs.first, let shape = input.shape, let inputLayout = input.layout else { throw missingShape(spec) }
            let rawAxes: [Int] = spec.config["axis"]?.intValue.map { [Int($0)] } ?? spec.config["axis"]?.arrayValue?.compactMap(\.intValue).map { Int($0) } ?? [-1]
            let axes = rawAxes.map { $0 < 0 ? $0 + shape.count + 1 : $0 }
            let channelAxis: Int? = switch inputLayout {
            case let .map(kerasAxes): kerasAxes.firstIndex(of: 0).map { $0 + 1 }
            case .vector(nil): 1
            default: nil
            }
            guard let channelAxis, axes == [channelAxis] else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "normalising over axis \(rawAxes); only the channel axis is supported")
            }
            tensors.append(try take("mean", .mean, .batchNormVector(nil), expect: [shape[0]], matches: { $0.elementCount == shape[0] }))
            tensors.append(try take("variance", .variance, .batchNormVector(nil), expect: [shape[0]], matches: { $0.elementCount == shape[0] }))
            if weights.contains(where: { $0.name == "count" }) {
                tensors.append(try take("count", .other("count"), .identity, expect: [], matches: { $0.elementCount == 1 }))
            }
            op = .normalize(epsilon: 1e-7)
            layout = inputLayout
        case "UpSampling2D":
            let (_, axes) = try requireMap()
            let interpolation = try reader.string("interpolation", default: "nearest")
            guard interpolation == "nearest" else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "interpolation '\(interpolation)' (only nearest is supported)")
            }
            op = .upsample2d(size: try reader.positivePair("size", default: [2, 2]))
            layout = .map(kerasAxes: axes)
        case "Cropping2D":
            let (_, axes) = try requireMap()
            op = .cropping2d(cropping: try zeroPadding(reader, key: "cropping"))
            layout = .map(kerasAxes: axes)
        case "Rescaling":
            // Keras allows per-channel lists too; only the scalar form is an exact native op here.
            guard let scale = spec.config["scale"]?.doubleValue, let offset = (spec.config["offset"] ?? .double(0)).doubleValue else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "only scalar scale and offset are supported, found scale \(spec.config["scale"] ?? .null)")
            }
            op = .rescale(scale: scale, offset: offset)
            layout = inputs.first?.layout
        case "Multiply":
            // Inputs share a layout, except that a [C, 1, 1] gate of a map is laid out alike in every format.
            let size = { (edge: Edge) in edge.shape.flatMap { Tensor.elementCount(of: $0) } ?? 0 }
            guard let widest = inputs.max(by: { size($0) < size($1) }),
                  inputs.allSatisfy({ $0.layout == widest.layout || $0.shape?.dropFirst().allSatisfy({ $0 == 1 }) == true }) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "its inputs \(spec.inbound) have different layouts (image vs vector, or different data formats)")
            }
            op = .multiply
            layout = widest.layout
        case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout":
            op = .dropout(rate: try reader.double("rate", default: 0))
            layout = inputs.first?.layout
        case "Add":
            guard let first = inputs.first, inputs.allSatisfy({ $0.layout == first.layout }) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "inputs have different layouts")
            }
            op = .add
            layout = first.layout
        case "Concatenate":
            let axis = spec.config["axis"]?.intValue.map { Int($0) } ?? -1
            // Vectors, one of them a flattened map: the result keeps each part's own order.
            let vectorParts = inputs.map { edge in edge.shape.flatMap { $0.count == 1 ? VectorSegment.of(edge.layout, length: $0[0]) : nil } }
            if !inputs.isEmpty, vectorParts.allSatisfy({ $0 != nil }), inputs.contains(where: { edge in
                if case .vector(nil)? = edge.layout { return false } else { return true }
            }) {
                guard axis == -1 || axis == 1 else {
                    throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "axis \(axis) of feature vectors")
                }
                op = .concatenate(axis: 1)
                layout = .segmentedVector(vectorParts.flatMap { $0 ?? [] })
                break
            }
            guard let first = inputs.first, inputs.allSatisfy({ $0.layout == first.layout }) else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "its inputs \(spec.inbound) have different layouts (image vs vector, or different data formats)")
            }
            op = .concatenate(axis: try nativeAxis(axis, input: first, spec: spec))
            layout = first.layout

        default:
            if spec.className == "Lambda" || spec.className == "TFOpLambda" {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "Lambda layers hold code, which is never evaluated; replace it with a supported layer")
            }
            guard !weights.isEmpty else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "this layer type is not supported")
            }
            // Carried over verbatim so the reverse conversion can restore it; engines cannot run it.
            for name in weights.map(\.name) {
                tensors.append(try take(name, TensorRole(rawValue: name), .identity, expect: [], matches: { _ in true }))
            }
            op = .unmapped(className: spec.className, config: .object(spec.config))
            layout = nil
            warnings.append("layer '\(spec.name)' (\(spec.className)) is not supported: carried over unmapped with its \(tensors.count) weight(s); an engine cannot run it")
        }

        if !weights.isEmpty {
            throw KerasError.unexpectedWeights(file: file.path, layer: spec.name, weights: weights.map(\.dataset.path))
        }
        var layer = Layer(name: spec.name, op: op, inbound: spec.inbound, tensors: tensors)
        if case .unmapped = op {
            layer.outputShape = nil
        } else {
            let shapes = try inputs.map { edge -> [Int] in
                guard let shape = edge.shape else { throw missingShape(spec) }
                return shape
            }
            do {
                layer.outputShape = try ShapeInference.outputShape(of: op, named: spec.name, inputs: shapes)
            } catch {
                throw KerasError.shape(layer: spec.name, className: spec.className, detail: "\(error)")
            }
        }
        edges[spec.name] = Edge(shape: layer.outputShape, layout: layout)
        return layer
    }

    /// The layer reads the output of one this converter could only carry over unmapped, so
    /// nothing downstream can be mapped: the error names that layer, the real obstacle.
    private func missingShape(_ spec: KerasLayerSpec) -> KerasError {
        let unknown = spec.inbound.filter { edges[$0]?.shape == nil }
            .map { name in "'\(name)' (\(architecture.layer(named: name)?.className ?? "?"))" }
        return .unsupportedLayer(layer: spec.name, className: spec.className,
                                 detail: "its input \(unknown.joined(separator: ", ")) is a layer type this converter does not support, so its output shape is unknown")
    }

    // MARK: - Layer families

    private typealias Take = (String, TensorRole, WeightTransform, [Int], ((Tensor) -> Bool)?) throws -> NamedTensor

    /// Spatial BN on a map's channel axis or on a feature vector: parameters `[1, C, 1, 1]`
    /// (reordered when the features came from a Keras flatten in another order); per-activation
    /// BN (an axis list covering every non-batch axis): parameters `[1, C, H, W]`, transposed
    /// from Keras' map layout. Missing γ/β (`scale=False`/`center=False`) become 1/0.
    private func batchNorm(_ spec: KerasLayerSpec, reader: ConfigReader, input: Edge?, take: Take) throws
        -> (LayerOp, [NamedTensor], KerasLayout?) {
        guard let input, let shape = input.shape, let layout = input.layout else { throw missingShape(spec) }
        let rank = shape.count + 1
        let rawAxes: [Int]
        if let single = spec.config["axis"]?.intValue {
            rawAxes = [Int(single)]
        } else if let list = spec.config["axis"]?.arrayValue?.compactMap(\.intValue), !list.isEmpty {
            rawAxes = list.map { Int($0) }
        } else {
            rawAxes = [-1]
        }
        let axes = rawAxes.map { $0 < 0 ? $0 + rank : $0 }.sorted()
        let scale = try reader.bool("scale", default: true), center = try reader.bool("center", default: true)
        let epsilon = try reader.double("epsilon", default: 1e-3), momentum = try reader.double("momentum", default: 0.99)

        let mode: BatchNormMode
        let transform: WeightTransform
        let expected: [Int]
        var matches: ((Tensor) -> Bool)?
        switch layout {
        case .reshaped:
            throw badAxis(spec, rawAxes)
        case let .vector(order):
            guard axes == [1] else { throw badAxis(spec, rawAxes) }
            (mode, transform, expected) = (.spatial, .batchNormVector(order), [shape[0]])
        case let .segmentedVector(segments):
            guard axes == [1] else { throw badAxis(spec, rawAxes) }
            (mode, transform, expected) = (.spatial, .batchNormSegments(segments), [shape[0]])
        case let .map(kerasAxes):
            guard axes.allSatisfy({ (1...3).contains($0) }) else { throw badAxis(spec, rawAxes) }
            if axes.count == 1 {
                guard kerasAxes[axes[0] - 1] == 0 else { throw badAxis(spec, rawAxes) }
                (mode, transform, expected) = (.spatial, .batchNormVector(nil), [shape[0]])
            } else if axes == [1, 2, 3] {
                // Keras stores these as H×W×C (tf_keras adds a leading 1).
                let kerasDims = kerasAxes.map { shape[$0] }
                (mode, transform, expected) = (.perActivation, .perActivation(kerasAxes: kerasAxes, nativeShape: shape), [1] + kerasDims)
                matches = { $0.shape.drop(while: { $0 == 1 }).elementsEqual(kerasDims.drop(while: { $0 == 1 })) }
            } else {
                throw badAxis(spec, rawAxes)
            }
        }
        let mean = try take("moving_mean", .mean, transform, expected, matches)
        let variance = try take("moving_variance", .variance, transform, expected, matches)
        var materialized: Set<TensorRole> = []
        func constant(_ role: TensorRole, _ value: Float) throws -> NamedTensor {
            materialized.insert(role)
            return NamedTensor(role: role, tensor: try constantTensor(value, dtype: mean.tensor.dtype, shape: mean.tensor.shape, layer: spec))
        }
        let gamma = scale ? try take("gamma", .gamma, transform, expected, matches) : try constant(.gamma, 1)
        let beta = center ? try take("beta", .beta, transform, expected, matches) : try constant(.beta, 0)
        let tensors = [gamma, beta, mean, variance]
        let config = BatchNormConfig(mode: mode, epsilon: epsilon, momentum: momentum, materialized: materialized)
        return (.batchNorm(config), tensors, layout)
    }

    private func badAxis(_ spec: KerasLayerSpec, _ axes: [Int]) -> KerasError {
        .unsupportedLayer(layer: spec.name, className: spec.className,
                          detail: "normalising over axis \(axes) is neither spatial (the channel axis) nor per-activation (every non-batch axis)")
    }

    /// Keras Reshape, where it has an exact native equivalent: vector → vector, map → vector
    /// (a flatten as the data lies), and vector → map when the map's Keras and native orders
    /// coincide (H·W = 1 or C = 1, e.g. the (1, 1, C) of squeeze-and-excitation blocks).
    private func reshape(_ spec: KerasLayerSpec, input: Edge?) throws -> (LayerOp, KerasLayout?) {
        guard let input, let shape = input.shape, let layout = input.layout else { throw missingShape(spec) }
        guard let target = spec.config["target_shape"]?.arrayValue?.compactMap(\.intValue).map({ Int($0) }) else {
            throw KerasError.invalidConfig(source: source, field: "layer '\(spec.name)'.target_shape", detail: "missing")
        }
        guard target.allSatisfy({ $0 == -1 || (1...ConfigReader.largestCount).contains($0) }), target.filter({ $0 == -1 }).count <= 1,
              let total = Tensor.elementCount(of: shape), let known = Tensor.elementCount(of: target.filter { $0 != -1 }) else {
            throw KerasError.invalidConfig(source: source, field: "layer '\(spec.name)'.target_shape",
                                           detail: "\(target) is not a shape (sizes 1…\(ConfigReader.largestCount), at most one -1)")
        }
        let resolved = target.map { $0 == -1 ? total / max(1, known) : $0 }
        let order: FlattenOrder?
        switch layout {
        case let .vector(vectorOrder), let .reshaped(_, vectorOrder): order = vectorOrder
        case let .map(axes): order = FlattenOrder.make(mapShape: shape, kerasAxes: axes)
        case .segmentedVector:
            if resolved.count == 1 { return (.reshape(targetShape: resolved), layout) }
            throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                              detail: "reshaping a concatenation of flattened maps changes the element order between Keras and the engine")
        }
        switch (layout, resolved.count) {
        case (_, 1):
            return (.reshape(targetShape: resolved), .vector(order: order))
        case (.map, 2), (.vector, 2), (.reshaped, 2), (.map, 4...), (.vector, 4...), (.reshaped, 4...):
            return (.reshape(targetShape: [total]), .reshaped(kerasShape: resolved, order: order))
        case (.vector(nil), 3):
            let axes = KerasLayout.kerasAxes(dataFormat: modelDataFormat)
            let native = KerasLayout.nativeShape(kerasDims: resolved, kerasAxes: axes)
            guard FlattenOrder.make(mapShape: native, kerasAxes: axes) == nil else { break }
            return (.reshape(targetShape: native), .map(kerasAxes: axes))
        default:
            break
        }
        throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                          detail: "reshape to \(target) changes the element order between Keras' and the engine's layout")
    }

    /// `[top, bottom, left, right]` from Keras' int, `(a, b)` or `((t, b), (l, r))` forms
    /// (ZeroPadding2D's `padding`, Cropping2D's `cropping`).
    private func zeroPadding(_ reader: ConfigReader, key: String = "padding") throws -> [Int] {
        let value = reader.config[key] ?? .int(key == "padding" ? 1 : 0)
        if let single = value.intValue { return [Int(single), Int(single), Int(single), Int(single)] }
        guard let items = value.arrayValue, items.count == 2 else { throw reader.fail(key, "unrecognised \(value)") }
        if let a = items[0].intValue, let b = items[1].intValue { return [Int(a), Int(a), Int(b), Int(b)] }
        guard let top = items[0][0]?.intValue, let bottom = items[0][1]?.intValue,
              let left = items[1][0]?.intValue, let right = items[1][1]?.intValue else {
            throw reader.fail(key, "unrecognised \(value)")
        }
        return [Int(top), Int(bottom), Int(left), Int(right)]
    }

    /// A Keras axis (counted with the batch) as a native axis.
    private func nativeAxis(_ axis: Int, input: Edge?, spec: KerasLayerSpec) throws -> Int {
        guard let input, let shape = input.shape, let layout = input.layout else { throw missingShape(spec) }
        let rank = shape.count + 1
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 1, normalized < rank else {
            throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className, detail: "axis \(axis) is out of range")
        }
        switch layout {
        case .vector, .segmentedVector: return normalized
        case let .map(axes): return axes[normalized - 1] + 1
        case .reshaped:
            throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                              detail: "acts along an axis of a reshaped tensor the engine holds flat")
        }
    }

    private func nativeAxis(of activation: Activation, input: Edge?, spec: KerasLayerSpec) throws -> Activation {
        if case let .softmax(axis) = activation { return .softmax(axis: try nativeAxis(axis, input: input, spec: spec)) }
        return activation
    }

    /// Per-sample input shape in Keras order, from `--input-shape` or the InputLayer config.
    private func inputShape(_ spec: KerasLayerSpec, reader: ConfigReader) throws -> [Int] {
        if let given = inputShapeOverride {
            guard given.allSatisfy({ (1...ConfigReader.largestCount).contains($0) }) else {
                throw KerasError.inputShape(detail: "--input-shape \(given) has dimensions outside 1…\(ConfigReader.largestCount)")
            }
            return given
        }
        let value = spec.config["batch_shape"] ?? spec.config["batch_input_shape"]
        guard let items = value?.arrayValue, items.count >= 2 else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has no shape; pass --input-shape H,W,C")
        }
        let dims = items.dropFirst().compactMap { $0.intValue.map { Int($0) } }
        guard dims.count == items.count - 1 else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has unknown dimensions \(items); pass --input-shape H,W,C")
        }
        guard dims.allSatisfy({ (1...ConfigReader.largestCount).contains($0) }) else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has dimensions \(dims) outside 1…\(ConfigReader.largestCount)")
        }
        return dims
    }

    // MARK: - Weights

    /// The weights the file holds for `spec`, named by variable (`kernel`, `gamma`, …).
    private mutating func storedWeights(for spec: KerasLayerSpec) throws -> [StoredWeight] {
        switch file.kind {
        case .legacyWeights, .fullModel:
            claimedLegacyOwners.insert(spec.name)
            // A layer that always has weights but has none at all in the file: the architecture
            // is not the one these weights were saved from (a wrong --config), not a lost weight.
            let alwaysWeighted: Set<String> = ["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense", "BatchNormalization"]
            if legacyByLayer[spec.name] == nil, alwaysWeighted.contains(spec.className), !legacyByLayer.isEmpty {
                let held = legacyByLayer.keys.sorted()
                throw KerasError.invalidConfig(
                    source: source, field: "layer '\(spec.name)' (\(spec.className))",
                    detail: "the weights file has none for this layer (it has weights for \(held.prefix(8).joined(separator: ", "))\(held.count > 8 ? ", …" : "")): this architecture does not match it")
            }
            return legacyByLayer[spec.name] ?? []
        case .keras3Weights:
            guard let (stored, recordedName) = try file.keras3Weights(key: spec.keras3Key) else { return [] }
            // Newer Keras writes the layer's name beside its variables: a cheap proof that the
            // positional walk found the right layer.
            if let recordedName, recordedName != spec.name {
                throw KerasError.invalidConfig(
                    source: source, field: "layer '\(spec.name)'",
                    detail: "the weights file keeps \(spec.keras3Key) for a layer named '\(recordedName)'; the architecture does not match this file")
            }
            let names = keras3VariableNames(spec, count: stored.count)
            return zip(stored, names).map { StoredWeight(name: $1, dataset: $0.dataset) }
        }
    }

    /// Keras 3 stores variables by position; their names follow from the class and config.
    private func keras3VariableNames(_ spec: KerasLayerSpec, count: Int) -> [String] {
        let config = spec.config
        let useBias = config["use_bias"]?.boolValue ?? true
        let names: [String]
        switch spec.className {
        case "Conv2D", "Dense", "DepthwiseConv2D": names = ["kernel"] + (useBias ? ["bias"] : [])
        case "SeparableConv2D": names = ["depthwise_kernel", "pointwise_kernel"] + (useBias ? ["bias"] : [])
        case "Normalization": names = ["mean", "variance", "count"]
        case "BatchNormalization":
            names = ((config["scale"]?.boolValue ?? true) ? ["gamma"] : []) + ((config["center"]?.boolValue ?? true) ? ["beta"] : [])
                + ["moving_mean", "moving_variance"]
        default: names = []
        }
        // Positions beyond the known names keep their index as their name (reported as unexpected).
        return (0..<count).map { $0 < names.count ? names[$0] : String($0) }
    }
}

/// A tensor filled with `value` in a float dtype: how an absent γ (1) or β (0) is materialised,
/// in the dtype of the layer's other parameters.
func constantTensor(_ value: Float, dtype: DType, shape: [Int], layer: KerasLayerSpec) throws -> Tensor {
    let count = shape.reduce(1, *)
    switch dtype {
    case .f32: return try Tensor(values: [Float](repeating: value, count: count), shape: shape)
    case .f64: return try Tensor(values: [Double](repeating: Double(value), count: count), shape: shape)
    case .f16: return try Tensor(values: [Float16](repeating: Float16(value), count: count), shape: shape)
    case .bf16: return try Tensor(values: [BFloat16](repeating: BFloat16(value), count: count), shape: shape)
    default:
        throw KerasError.unsupportedLayer(layer: layer.name, className: layer.className,
                                          detail: "batch-norm statistics stored as \(dtype.rawValue), not as floats")
    }
}

