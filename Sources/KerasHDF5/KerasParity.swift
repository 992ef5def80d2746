import BNModel

/// Proves a converted model against Keras' own predictions: the batch Keras was given and
/// what its `predict` returned, both in Keras' layout (NHWC for a channels_last model), run
/// through the reference forward pass over the native tensors.
public enum KerasParity {
    /// The layout the source model's tensors had, as recorded at conversion.
    public static func isChannelsFirst(_ model: Model) -> Bool {
        KerasProvenance.dataFormat(in: model.provenance) == "channels_first"
    }

    /// Runs `model` on `kerasInputs` (one batch per model input, in the model's input order)
    /// and compares every output with `kerasExpected` (one per model output, in output order)
    /// by numpy's `allclose` rule. Maps move between Keras' channels_last layout and the
    /// engine's NCHW on the way in and out; flattened outputs are put back in Keras' order.
    public static func compare(
        model: Model, kerasInputs: [NDArray], kerasExpected: [NDArray], rtol: Double = 1e-4, atol: Double = 1e-5
    ) throws -> [(output: String, comparison: Comparison)] {
        guard kerasInputs.count == model.inputs.count, kerasExpected.count == model.outputs.count else {
            throw ParityError.arrayCount(inputs: model.inputs, outputs: model.outputs,
                                         givenInputs: kerasInputs.count, givenOutputs: kerasExpected.count)
        }
        let channelsLast = !isChannelsFirst(model)
        var nativeInputs: [String: NDArray] = [:]
        for (input, kerasInput) in zip(model.inputs, kerasInputs) {
            // Check the batch against the shape Keras takes (what the user has), before any transpose.
            if let native = model.layer(named: input)?.outputShape {
                let kerasShape = channelsLast && native.count == 3 ? [native[1], native[2], native[0]] : native
                guard kerasInput.shape.count == kerasShape.count + 1, Array(kerasInput.shape.dropFirst()) == kerasShape else {
                    throw ParityError.inputShape(input: input, expected: ["N"] + kerasShape.map(String.init), actual: kerasInput.shape)
                }
            }
            nativeInputs[input] = channelsLast ? try kerasInput.transposedNHWCtoNCHW() : kerasInput
        }
        let produced = try ReferenceInterpreter(model: model).run(inputs: nativeInputs)
        return try zip(model.outputs, kerasExpected).map { output, expected in
            guard let values = produced[output] else { throw ParityError.arrayCount(inputs: model.inputs, outputs: model.outputs, givenInputs: 0, givenOutputs: 0) }
            let actual = try kerasLayout(of: values, output: output, model: model, channelsLast: channelsLast)
            guard actual.shape == expected.shape else {
                throw ParityError.shapeMismatch(output: output, produced: actual.shape, expected: expected.shape)
            }
            return (output, try Comparison(actual: actual, expected: expected, rtol: rtol, atol: atol))
        }
    }

    /// The single-input, single-output case of ``compare(model:kerasInputs:kerasExpected:rtol:atol:)``.
    public static func compare(
        model: Model, kerasInput: NDArray, kerasExpected: NDArray, rtol: Double = 1e-4, atol: Double = 1e-5
    ) throws -> Comparison {
        try compare(model: model, kerasInputs: [kerasInput], kerasExpected: [kerasExpected], rtol: rtol, atol: atol)[0].comparison
    }
}

extension KerasParity {
    /// A native output `[N, …]` as Keras lays it out: maps go channels-last, and a flattened
    /// or reshaped map (its ``KerasOutputLayout``, recorded at conversion) is put back in Keras'
    /// element order and shape, with the same inverse as the weights (`FlattenOrder`).
    static func kerasLayout(of produced: NDArray, output: String, model: Model, channelsLast: Bool) throws -> NDArray {
        let recorded: KerasOutputLayout?
        do throws(KerasError) {
            recorded = try KerasProvenance.outputLayout(of: output, in: model.provenance)
        } catch {
            throw ParityError.malformedProvenance(output: output)
        }
        guard let layout = recorded else {
            return channelsLast && produced.shape.count == 4 ? try produced.transposedNCHWtoNHWC() : produced
        }
        let batch = produced.shape.first ?? 0
        switch layout {
        case let .segmented(_, segments):
            let features = produced.shape.dropFirst().reduce(1, *)
            var values: [Float] = []
            for sample in 0..<batch {
                let row = Array(produced.values[(sample * features)..<((sample + 1) * features)])
                values += try VectorSegment.reorderRows(try Tensor(float32: row, shape: [features]), segments, toNative: false).floats()
            }
            return NDArray(shape: produced.shape, values: values)
        case let .flattened(kerasShape, flattenOrder):
            var values = produced.values
            if let order = flattenOrder {
                let moved = try Tensor(float32: values, shape: [batch] + order.mapShape).permuted([0] + order.kerasAxes.map { $0 + 1 })
                values = try moved.floats()
            }
            return NDArray(shape: [batch] + kerasShape, values: values)
        }
    }
}

public enum ParityError: Error, Sendable, Equatable, CustomStringConvertible {
    case arrayCount(inputs: [String], outputs: [String], givenInputs: Int, givenOutputs: Int)
    case shapeMismatch(output: String, produced: [Int], expected: [Int])
    case malformedProvenance(output: String)
    case inputShape(input: String, expected: [String], actual: [Int])

    public var description: String {
        switch self {
        case let .arrayCount(inputs, outputs, givenInputs, givenOutputs):
            return "the model takes \(inputs.count) input(s) (\(inputs.joined(separator: ", "))) and gives \(outputs.count) output(s) "
                + "(\(outputs.joined(separator: ", "))); \(givenInputs) --input and \(givenOutputs) --expect array(s) were given, one each in that order"
        case let .inputShape(input, expected, actual):
            return "the input batch has shape \(actual); model input '\(input)' takes [\(expected.joined(separator: ", "))] as Keras does (channels last for a channels_last model)"
        case let .malformedProvenance(output):
            return "the recorded Keras layout of output '\(output)' is malformed"
        case let .shapeMismatch(output, produced, expected):
            return "output '\(output)' has shape \(produced) but the expected array has \(expected)"
        }
    }
}
