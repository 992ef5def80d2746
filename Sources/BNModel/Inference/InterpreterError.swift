/// Why the reference forward pass cannot be built for a model or run on some inputs.
public enum InterpreterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model has an `unmapped` layer: its computation was carried over verbatim from the
    /// source and has no definition here (nor in an engine).
    case unsupportedLayer(layer: String, className: String)
    /// The model's shapes do not fit together (see `ShapeInference.infer`).
    case shape(ShapeError)
    /// A softmax axis (native, counted including the batch) is outside an output of `rank`
    /// dimensions including the batch.
    case softmaxAxis(layer: String, axis: Int, rank: Int)
    /// A layer's tensor could not be decoded to float32 (e.g. its lazy source failed).
    case tensorRead(layer: String, role: String, reason: String)
    /// The model's list of inputs and its `.input` layers disagree: `name` is listed but is not
    /// an input layer, or is an input layer that is not listed.
    case inputEndpoint(name: String, listed: Bool)
    /// A name in the model's outputs is not a layer of the model.
    case unknownOutput(name: String)
    /// `run` was not given an array for the model input `name`.
    case missingInput(name: String)
    /// `run` was given an array for `name`, which is not an input of the model.
    case unknownInput(name: String)
    /// The array for input `name` has `shape`; the model expects `[N] + expected`.
    case inputShape(name: String, expected: [Int], actual: [Int])
    /// The array for input `name` holds `count` values, not the product of its `shape`.
    case valueCount(name: String, shape: [Int], count: Int)
    /// The inputs disagree on the batch size: `name` has `batch`, an earlier one `expected`.
    case batchSize(name: String, batch: Int, expected: Int)
    /// A layer's output for this batch (`shape`, batch included) would have more elements than
    /// `limit` (`ReferenceInterpreter.maximumElementCount`) or than fit in `Int`.
    case outputTooLarge(layer: String, shape: [Int], limit: Int)

    public var description: String {
        switch self {
        case .unsupportedLayer(let layer, let className):
            return "layer '\(layer)' is an unmapped \(className) layer; the reference forward pass cannot run it"
        case .shape(let error):
            return error.description
        case .softmaxAxis(let layer, let axis, let rank):
            return "layer '\(layer)': softmax axis \(axis) is outside its output's \(rank) axes (batch included)"
        case .tensorRead(let layer, let role, let reason):
            return "layer '\(layer)': tensor '\(role)' could not be read as float32: \(reason)"
        case .inputEndpoint(let name, let listed):
            return listed ? "model input '\(name)' is not an input layer"
                          : "input layer '\(name)' is not listed among the model's inputs, so no data can reach it"
        case .unknownOutput(let name):
            return "model output '\(name)' is not a layer of the model"
        case .missingInput(let name):
            return "no array was given for model input '\(name)'"
        case .unknownInput(let name):
            return "an array was given for '\(name)', which is not an input of the model"
        case .inputShape(let name, let expected, let actual):
            return "input '\(name)' has shape \(actual), the model expects [N] + \(expected) (native NCHW; convert Keras NHWC data first)"
        case .valueCount(let name, let shape, let count):
            return "input '\(name)' has shape \(shape) but holds \(count) values"
        case .batchSize(let name, let batch, let expected):
            return "input '\(name)' has batch size \(batch), another input has \(expected)"
        case .outputTooLarge(let layer, let shape, let limit):
            return "layer '\(layer)': an output of shape \(shape) has more than \(limit) elements"
        }
    }
}
