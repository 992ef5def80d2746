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
        let nativeInput = channelsLast ? try kerasInput.transposedNHWCtoNCHW() : kerasInput
        let interpreter = try ReferenceInterpreter(model: model)
        guard let produced = try interpreter.run(inputs: [input: nativeInput])[output] else {
            throw ParityError.notSingleInputOutput(inputs: 1, outputs: 0)
        }
        let actual = channelsLast ? try produced.transposedNCHWtoNHWC() : produced
        guard actual.shape == kerasExpected.shape else {
            throw ParityError.shapeMismatch(output: output, produced: actual.shape, expected: kerasExpected.shape)
        }
        return try Comparison(actual: actual, expected: kerasExpected, rtol: rtol, atol: atol)
    }
}

public enum ParityError: Error, Sendable, Equatable, CustomStringConvertible {
    case notSingleInputOutput(inputs: Int, outputs: Int)
    case shapeMismatch(output: String, produced: [Int], expected: [Int])

    public var description: String {
        switch self {
        case let .notSingleInputOutput(inputs, outputs):
            return "verify supports models with one input and one output (this one has \(inputs) and \(outputs))"
        case let .shapeMismatch(output, produced, expected):
            return "output '\(output)' has shape \(produced) but the expected array has \(expected)"
        }
    }
}
