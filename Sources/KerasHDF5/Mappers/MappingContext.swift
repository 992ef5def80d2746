import BNModel
import JSONSchema

/// What is known about one layer's output: its native shape and its Keras layout
/// (``KerasLayout``), which is all the mapping of the layers reading it needs. Both are nil for
/// a layer carried over unmapped, so nothing reading it can be mapped.
struct Edge {
    var shape: [Int]?
    var layout: KerasLayout?
}

/// What a mapper sees of the layer it maps, and the helpers every family shares.
///
/// It owns the layer's stored weights while the mapper runs: ``take(_:_:_:expect:matches:)``
/// removes each one it uses and records how it became a native tensor, so that whatever is
/// left afterwards is, by construction, a weight the configuration does not explain.
struct MappingContext {
    let spec: KerasLayerSpec
    let reader: ConfigReader
    /// The outputs feeding this layer, in argument order (`spec.inbound`).
    let inputs: [Edge]
    let file: KerasFile
    /// The whole graph, only to name the layers an error is about.
    let architecture: KerasArchitecture
    /// The model's data format (see `GraphBuilder.inferDataFormat`), for layers that create a
    /// map rather than keep their input's (InputLayer, Reshape).
    let modelDataFormat: String
    /// Per-sample input shape in Keras order given with `--input-shape`.
    let inputShapeOverride: [Int]?
    /// The layer's stored weights not yet taken, named by variable (`kernel`, `gamma`, …).
    private(set) var weights: [StoredWeight]
    /// How every weight taken became a native tensor, for the reverse conversion.
    private(set) var records: [KerasWeightRecord] = []
    /// What `take` found wrong with the layer's weights (see ``SourceDefect``).
    private(set) var defects: [SourceDefect] = []
    /// What the user should know about this layer beyond the conversion succeeding.
    var warnings: [String] = []
    /// The layer's dtype policy is bfloat16: its untagged 2-byte weights are bfloat16 (a Keras 3
    /// full `.h5` file carries no marker on the dataset).
    private let bfloat16Policy: Bool

    init(spec: KerasLayerSpec, source: String, inputs: [Edge], weights: [StoredWeight], file: KerasFile,
         architecture: KerasArchitecture, modelDataFormat: String, inputShapeOverride: [Int]?) {
        self.spec = spec
        reader = ConfigReader(layer: spec, source: source)
        self.inputs = inputs
        self.weights = weights
        self.file = file
        self.architecture = architecture
        self.modelDataFormat = modelDataFormat
        self.inputShapeOverride = inputShapeOverride
        bfloat16Policy = spec.config["dtype"].map { "\($0)".contains("bfloat16") } ?? false
    }

    /// Where the architecture came from, for `invalidConfig` errors.
    var source: String { reader.source }
    var kerasMajorVersion: Int { file.kerasMajorVersion }

    /// The layout of the first input: what an element-wise layer's output keeps.
    var inputLayout: KerasLayout? { inputs.first?.layout }

    func hasWeight(_ variable: String) -> Bool { weights.contains { $0.name == variable } }

    // MARK: - Errors

    /// The layer cannot be mapped, for the reason `detail` gives.
    func unsupported(_ detail: String) -> KerasError {
        .unsupportedLayer(layer: spec.name, className: spec.className, detail: detail)
    }

    /// The layer reads the output of one this converter could only carry over unmapped, so
    /// nothing downstream can be mapped: the error names that layer, the real obstacle.
    func missingShape() -> KerasError {
        let unknown = zip(spec.inbound, inputs).filter { $0.1.shape == nil }
            .map { name, _ in "'\(name)' (\(architecture.layer(named: name)?.className ?? "?"))" }
        return unsupported("its input \(unknown.joined(separator: ", ")) is a layer type this converter does not support, so its output shape is unknown")
    }

    // MARK: - Shared rules

    /// The input at `index` as an image: its native shape `[C, H, W]` and Keras axes, checked
    /// to be laid out as the layer's own `data_format` says.
    func requireMap(_ index: Int = 0) throws -> (shape: [Int], kerasAxes: [Int]) {
        if index < inputs.count, inputs[index].shape == nil { throw missingShape() }
        guard index < inputs.count, let shape = inputs[index].shape, case let .map(axes)? = inputs[index].layout, shape.count == 3 else {
            throw unsupported("expects an image (H×W×C) input")
        }
        let format = try reader.dataFormat()
        guard KerasLayout.map(dataFormat: format) == .map(kerasAxes: axes) else {
            throw unsupported("data_format \(format) differs from its input's layout")
        }
        return (shape, axes)
    }

    /// The single input's native shape and layout, after checking that the layer's `axis`
    /// (an int or a list, counted with the batch, negative from the end) names exactly the
    /// channel axis of that input in Keras' order — the one axis the native per-channel
    /// normalisations (`normalize`, `layer_norm`) run along. A `[F]` vector's channel is F.
    func requireChannelAxis(_ key: String = "axis") throws -> (shape: [Int], layout: KerasLayout) {
        guard let input = inputs.first, let shape = input.shape, let layout = input.layout else { throw missingShape() }
        let rawAxes: [Int] = spec.config[key]?.intValue.map { [Int($0)] }
            ?? spec.config[key]?.arrayValue?.compactMap(\.intValue).map { Int($0) } ?? [-1]
        let axes = rawAxes.map { $0 < 0 ? $0 + shape.count + 1 : $0 }
        let channelAxis: Int? = switch layout {
        case let .map(kerasAxes): kerasAxes.firstIndex(of: 0).map { $0 + 1 }
        case .vector(nil): 1
        default: nil
        }
        guard let channelAxis, axes == [channelAxis] else {
            throw unsupported("normalising over axis \(rawAxes); only the channel axis is supported")
        }
        return (shape, layout)
    }

    /// `[top, bottom, left, right]` for the layer's `padding` (`valid` or `same`) over a
    /// native `[C, H, W]` input.
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

    /// A Keras axis (counted with the batch) of `input` as the native axis.
    func nativeAxis(_ axis: Int, of input: Edge?) throws -> Int {
        guard let input, let shape = input.shape, let layout = input.layout else { throw missingShape() }
        let rank = shape.count + 1
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 1, normalized < rank else { throw unsupported("axis \(axis) is out of range") }
        switch layout {
        case .vector, .segmentedVector: return normalized
        case let .map(axes): return axes[normalized - 1] + 1
        case .reshaped: throw unsupported("acts along an axis of a reshaped tensor the engine holds flat")
        }
    }

    /// The layer's `activation` (fused, or an Activation layer's own). It acts on the output,
    /// laid out like the first input: a softmax axis is Keras' and must become the native one
    /// (channels, not W).
    func activation() throws -> Activation {
        let activation = try reader.activation(kerasMajorVersion: kerasMajorVersion)
        if case let .softmax(axis) = activation { return .softmax(axis: try nativeAxis(axis, of: inputs.first)) }
        return activation
    }

    // MARK: - Weights

    /// Takes the stored weight `variable`, checks its Keras shape (`expected`, or `matches`
    /// when the shape may vary), and returns it as the native tensor for `role`, remembering
    /// how to undo that for the reverse conversion.
    ///
    /// A defect of the file is recorded, not thrown, so that one validation reports them all:
    /// an absent weight returns nil (the layer then lacks the tensor, which the validator
    /// reports from the layer kind's description); a weight whose shape does not fit, or whose
    /// element type has no IR dtype, is recorded as a ``SourceDefect`` and also returns nil.
    /// A misfit is never moved into the native layout: a layout change built for one shape
    /// can turn another shape with as many elements into the expected one, scrambled.
    mutating func take(_ variable: String, _ role: TensorRole, _ transform: WeightTransform,
                       expect expected: [Int], matches: ((Tensor) -> Bool)? = nil) throws -> NamedTensor? {
        guard let index = weights.firstIndex(where: { $0.name == variable }) else { return nil }
        let weight = weights.remove(at: index)
        let keras: Tensor
        do {
            keras = try file.tensor(weight, assumeBFloat16: bfloat16Policy)
        } catch KerasError.unsupportedDType(_, let path, let type) {
            defects.append(SourceDefect(code: .ch011, layer: spec.name, tensor: variable, role: role,
                                        message: "weight '\(variable)' (\(path)) has element type \(type), which is not a number type an engine can compute with",
                                        hint: "store the weight as float32 (or float16/bfloat16/float64)"))
            return nil
        }
        guard matches?(keras) ?? (keras.shape == expected) else {
            defects.append(KerasValidation.shapeDefect(layer: spec.name, className: spec.className, weight: variable, role: role,
                                                       expected: expected, found: keras.shape))
            return nil
        }
        records.append(try KerasWeightRecord(layer: spec.name, role: role, weight: weight, kerasShape: keras.shape,
                                             dtype: keras.dtype, transform: transform))
        return NamedTensor(role: role, tensor: try transform.forward(keras))
    }
}
