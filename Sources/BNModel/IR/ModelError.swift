/// A model that breaks the IR's rules (structure, native layouts, batch-norm shapes).
///
/// `Model.validate()` throws these; the `.bnm` writer refuses such a model and the reader
/// refuses a file that describes one.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Two layers share a name.
    case duplicateLayerName(String)
    /// `layer` names an inbound layer that does not come earlier in `layers`.
    case unknownInbound(layer: String, inbound: String)
    /// A name in `Model.inputs` is not an `.input` layer, or one in `outputs` is not a layer.
    case unknownEndpoint(kind: String, name: String)
    /// An attribute has the wrong number of elements or an impossible value.
    case invalidAttribute(layer: String, field: String, message: String)
    /// A layer has two tensors with the same role.
    case duplicateRole(layer: String, role: String)
    /// A tensor the layer's kind requires is missing.
    case missingTensor(layer: String, role: String)
    /// A tensor's shape or dtype does not fit the native convention for its role.
    case badTensor(layer: String, role: String, shape: [Int], dtype: DType, expected: String)

    public var description: String {
        switch self {
        case .duplicateLayerName(let name):
            return "two layers are named '\(name)'; layer names must be unique"
        case .unknownInbound(let layer, let inbound):
            return "layer '\(layer)' takes input from '\(inbound)', which is not an earlier layer (layers must be in topological order)"
        case .unknownEndpoint(let kind, let name):
            return "model \(kind) '\(name)' is not \(kind == "input" ? "an input layer" : "a layer") of the model"
        case .invalidAttribute(let layer, let field, let message):
            return "layer '\(layer)': attribute '\(field)' \(message)"
        case .duplicateRole(let layer, let role):
            return "layer '\(layer)' has two '\(role)' tensors"
        case .missingTensor(let layer, let role):
            return "layer '\(layer)' has no '\(role)' tensor, which its kind requires"
        case .badTensor(let layer, let role, let shape, let dtype, let expected):
            return "layer '\(layer)': tensor '\(role)' is \(dtype.rawValue) \(shape), expected \(expected)"
        }
    }
}
