import BNModel
import HDF5

/// What can go wrong turning a Keras file into the IR, with where: the file, the layer, and the
/// path inside the file or the config field.
public enum KerasError: Error, Sendable, Equatable {
    /// The HDF5 file has none of the three Keras layouts (legacy weights, full model, Keras 3 weights).
    case unknownLayout(file: String, detail: String)
    /// A weights-only file was given without an architecture (`--config`).
    case architectureRequired(file: String)
    /// The architecture JSON is malformed or lacks a field the conversion needs.
    case invalidConfig(source: String, field: String, detail: String)
    /// A layer the converter cannot map, with the reason (Lambda layers are never evaluated).
    case unsupportedLayer(layer: String, className: String, detail: String)
    /// A weight the layer needs is missing from the file.
    case missingWeight(file: String, layer: String, weight: String)
    /// The file holds weights the architecture does not explain.
    case unexpectedWeights(file: String, layer: String, weights: [String])
    /// A weight's shape does not fit the layer's configuration and input.
    case weightShape(file: String, layer: String, weight: String, expected: [Int], found: [Int])
    /// The model read from `file` has defects that leave it without a native form (a weight
    /// missing or misshapen), so not even `--force` can write it.
    case defective(file: String, detail: String)
    /// The `.bnm` had batch norms folded into their neighbours' weights (`--fold-bn`): the
    /// Keras model it came from cannot be rebuilt from it.
    case foldedModel(file: String, batchNorms: [String])
    /// A weight's element type has no IR dtype.
    case unsupportedDType(file: String, path: String, type: String)
    /// The input shape is unknown or contradicts itself.
    case inputShape(detail: String)
    /// A layer's output shape cannot be computed from its inputs (e.g. a pooling window larger
    /// than its input, Add of different shapes); `detail` is shape inference's message.
    case shape(layer: String, className: String, detail: String)
    /// An HDF5 error underneath, unchanged.
    case hdf5(HDF5Error)
    /// The reverse conversion's output name is one Keras would not load the layout from:
    /// Keras picks its reader by the file's suffix (`.weights.h5` for Keras 3's layout).
    case outputName(file: String, layout: String, suggested: String)
}

extension KerasError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .unknownLayout(file, detail):
            return "\(file): not a Keras weights file: \(detail)"
        case let .architectureRequired(file):
            return "\(file): holds weights only; pass the architecture with --config model.json (what model.to_json() writes)"
        case let .invalidConfig(source, field, detail):
            return "\(source): \(field): \(detail)"
        case let .unsupportedLayer(layer, className, detail):
            return "layer '\(layer)' (\(className)): \(detail)"
        case let .missingWeight(file, layer, weight):
            return "\(file): layer '\(layer)' has no weight '\(weight)'"
        case let .unexpectedWeights(file, layer, weights):
            return "\(file): layer '\(layer)' has weights its configuration does not explain: \(weights.joined(separator: ", "))"
        case let .weightShape(file, layer, weight, expected, found):
            return "\(file): layer '\(layer)' weight '\(weight)' has shape \(found), expected \(expected)"
        case let .foldedModel(file, batchNorms):
            let shown = batchNorms.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (batchNorms.count > 5 ? ", …" : "")
            return "\(file): its batch norms \(shown) were folded into their neighbours' weights (--fold-bn), so the Keras model cannot be rebuilt from it; convert the original Keras file to .bnm again without --fold-bn"
        case let .defective(file, detail):
            return "\(file): the model cannot be written even with --force, as its weights do not fit it: \(detail)"
        case let .unsupportedDType(file, path, type):
            return "\(file): \(path) has element type \(type), which .bnm does not store"
        case let .inputShape(detail):
            return "input shape: \(detail)"
        case let .shape(layer, className, detail):
            return "layer '\(layer)' (\(className)): \(detail)"
        case let .hdf5(error):
            return error.description
        case let .outputName(file, layout, suggested):
            return "\(file): Keras would not load the \(layout) layout from a file of this name (it chooses its reader by the suffix); name it \(suggested)"
        }
    }
}

/// Runs `body`, passing Keras errors through and wrapping HDF5 errors.
func keras<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as HDF5Error { throw KerasError.hdf5(error) }
}
