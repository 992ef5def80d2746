import BNModel

/// Proves a converted model against Keras' own predictions: the batch Keras was given and
/// what its `predict` returned, both in Keras' layout (NHWC for a channels_last model), run
/// through the reference forward pass over the native tensors.
public enum KerasParity {
    /// The layout the source model's tensors had, as recorded at conversion.
    public static func isChannelsFirst(_ model: Model) -> Bool {
        model.provenance.extra["data_format"]?.stringValue == "channels_first"
    }

    /// Runs `model` on `kerasInput` and compares its single output with `kerasExpected` by
    /// numpy's `allclose` rule. Maps are moved between Keras' channels_last layout and the
    /// engine's NCHW on the way in and out; vectors are compared as they are.
    public static func compare(
        model: Model, kerasInput: NDArray, kerasExpected: NDArray, rtol: Double = 1e-4, atol: Double = 1e-5
    ) throws -> Comparison {
        guard model.inputs.count == 1, model.outputs.count == 1, let input = model.inputs.first, let output = model.outputs.first else {
            throw ParityError.notSingleInputOutput(inputs: model.inputs.count, outputs: model.outputs.count)
        }
        let channelsLast = !isChannelsFirst(model)
        // Check the batch against the shape Keras takes (what the user has), before any transpose.
        if let native = model.layer(named: input)?.outputShape {
            let kerasShape = channelsLast && native.count == 3 ? [native[1], native[2], native[0]] : native
            guard kerasInput.shape.count == kerasShape.count + 1, Array(kerasInput.shape.dropFirst()) == kerasShape else {
                throw ParityError.inputShape(input: input, expected: ["N"] + kerasShape.map(String.init), actual: kerasInput.shape)
            }
        }
        let nativeInput = channelsLast ? try kerasInput.transposedNHWCtoNCHW() : kerasInput
        let interpreter = try ReferenceInterpreter(model: model)
        guard let produced = try interpreter.run(inputs: [input: nativeInput])[output] else {
            throw ParityError.notSingleInputOutput(inputs: 1, outputs: 0)
        }
        let actual = try kerasLayout(of: produced, output: output, model: model, channelsLast: channelsLast)
        guard actual.shape == kerasExpected.shape else {
            throw ParityError.shapeMismatch(output: output, produced: actual.shape, expected: kerasExpected.shape)
        }
        return try Comparison(actual: actual, expected: kerasExpected, rtol: rtol, atol: atol)
    }
}

extension KerasParity {
    /// A native output `[N, …]` as Keras lays it out: maps go channels-last, and a flattened
    /// or reshaped map (recorded at conversion in `keras_output_layouts`) is put back in Keras'
    /// element order and shape, with the same inverse as the weights (`FlattenOrder`).
    static func kerasLayout(of produced: NDArray, output: String, model: Model, channelsLast: Bool) throws -> NDArray {
        guard let layout = model.provenance.extra["keras_output_layouts"]?[output] else {
            return channelsLast && produced.shape.count == 4 ? try produced.transposedNCHWtoNHWC() : produced
        }
        let batch = produced.shape.first ?? 0
        if let segments = VectorSegment.decode(layout["segments"]) {
            let features = produced.shape.dropFirst().reduce(1, *)
            var values: [Float] = []
            for sample in 0..<batch {
                let row = Array(produced.values[(sample * features)..<((sample + 1) * features)])
                values += try VectorSegment.reorderRows(try Tensor(float32: row, shape: [features]), segments, toNative: false).floats()
            }
            return NDArray(shape: produced.shape, values: values)
        }
        guard let kerasShape = integerList(layout["keras_shape"]), let decoded = FlattenOrder.decode(layout["flatten_order"]) else {
            throw ParityError.malformedProvenance(output: output)
        }
        var values = produced.values
        if let order = decoded {
            let moved = try Tensor(float32: values, shape: [batch] + order.mapShape).permuted([0] + order.kerasAxes.map { $0 + 1 })
            values = try moved.floats()
        }
        return NDArray(shape: [batch] + kerasShape, values: values)
    }
}

public enum ParityError: Error, Sendable, Equatable, CustomStringConvertible {
    case notSingleInputOutput(inputs: Int, outputs: Int)
    case shapeMismatch(output: String, produced: [Int], expected: [Int])
    case malformedProvenance(output: String)
    case inputShape(input: String, expected: [String], actual: [Int])

    public var description: String {
        switch self {
        case let .notSingleInputOutput(inputs, outputs):
            return "verify supports models with one input and one output (this one has \(inputs) and \(outputs))"
        case let .inputShape(input, expected, actual):
            return "the input batch has shape \(actual); model input '\(input)' takes [\(expected.joined(separator: ", "))] as Keras does (channels last for a channels_last model)"
        case let .malformedProvenance(output):
            return "the recorded Keras layout of output '\(output)' is malformed"
        case let .shapeMismatch(output, produced, expected):
            return "output '\(output)' has shape \(produced) but the expected array has \(expected)"
        }
    }
}
