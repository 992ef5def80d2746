/// Why a layer's output shape cannot be computed, or why a layer's tensors do not fit the
/// shapes flowing into it.
///
/// Every case names the layer (`layer`; empty when `ShapeInference.outputShape(of:inputs:)` was
/// called without one) and its manifest kind (`kind`, e.g. `"dense"`), so that a message reads
/// like "dense 'fc1' expects 48 input features, its input has 40". Shapes are per sample (batch
/// excluded), native NCHW.
public enum ShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The layer has `actual` inbound layers; its kind takes `expected` (e.g. `"exactly 1"`).
    case inputCount(layer: String, kind: String, expected: String, actual: Int)
    /// An input has a rank the kind cannot take, e.g. a conv2d on a `[F]` vector.
    case inputRank(layer: String, kind: String, expected: String, shape: [Int])
    /// A configuration value is impossible, e.g. a zero stride or a padding that is not four
    /// numbers.
    case invalidAttribute(layer: String, kind: String, field: String, message: String)
    /// The (dilated) window is larger than the padded input along `axis` (`"height"` or
    /// `"width"`), so there would be no output position.
    case windowLargerThanInput(layer: String, kind: String, axis: String, paddedInput: Int, window: Int)
    /// A tensor expects `expected` input channels (conv) or features (dense), but the layer's
    /// input has `actual`. `unit` is `"input channels"` or `"input features"`.
    case inputSizeMismatch(layer: String, kind: String, unit: String, expected: Int, actual: Int)
    /// A reshape's target does not hold the same number of elements as its input.
    case reshapeElementCount(layer: String, targetShape: [Int], inputShape: [Int])
    /// The inputs of an `add` do not all have the same shape.
    case addShapes(layer: String, shapes: [[Int]])
    /// Multiply's inputs neither share one shape nor are `[C, 1, 1]` gates of a `[C, H, W]` map.
    case multiplyShapes(layer: String, shapes: [[Int]])
    /// A concatenate axis (native, counted including the batch) is the batch axis or outside
    /// the inputs' rank.
    case concatenateAxis(layer: String, axis: Int, rank: Int)
    /// The inputs of a concatenate differ in rank or in a dimension other than the axis.
    case concatenateShapes(layer: String, axis: Int, shapes: [[Int]])
    /// A size computed from the layer's numbers does not fit in `Int`.
    case overflow(layer: String, kind: String, what: String)
    /// An `unmapped` layer carries no rule for its output; its shape must be recorded by the
    /// reader (`Layer.outputShape`) for inference to continue past it.
    case unmappedLayer(layer: String, className: String)
    /// A layer names an inbound layer that is not an earlier layer of the model.
    case unknownInbound(layer: String, inbound: String)
    /// Two layers share a name, so inbound references would be ambiguous.
    case duplicateLayerName(String)
    /// A tensor that the layer's kind and configuration require is absent.
    case missingTensor(layer: String, kind: String, role: String)
    /// The layer has a tensor its kind and configuration do not use (e.g. a bias with
    /// `useBias == false`); a runtime would silently ignore it, so it is refused.
    case unexpectedTensor(layer: String, kind: String, role: String)
    /// A tensor is not floating point, so no forward pass can read it.
    case tensorDType(layer: String, kind: String, role: String, dtype: DType)
    /// A tensor's shape is not the native one the layer's configuration and input imply.
    case tensorShape(layer: String, kind: String, role: String, shape: [Int], expected: [Int], layout: String)
    /// The layer's recorded `outputShape` disagrees with the one its input and configuration
    /// imply.
    case declaredShape(layer: String, kind: String, declared: [Int], inferred: [Int])

    /// `"dense 'fc1'"`, or just `"dense"` when the layer has no name.
    private static func subject(_ kind: String, _ layer: String) -> String {
        layer.isEmpty ? kind : "\(kind) '\(layer)'"
    }

    public var description: String {
        switch self {
        case .inputCount(let layer, let kind, let expected, let actual):
            return "\(Self.subject(kind, layer)) takes \(expected) input\(expected == "exactly 1" ? "" : "s"), it has \(actual)"
        case .inputRank(let layer, let kind, let expected, let shape):
            return "\(Self.subject(kind, layer)) expects \(expected), its input has shape \(shape)"
        case .invalidAttribute(let layer, let kind, let field, let message):
            return "\(Self.subject(kind, layer)): \(field) \(message)"
        case .windowLargerThanInput(let layer, let kind, let axis, let paddedInput, let window):
            return "\(Self.subject(kind, layer)): the window spans \(window) pixels in \(axis) but the padded input has only \(paddedInput)"
        case .inputSizeMismatch(let layer, let kind, let unit, let expected, let actual):
            return "\(Self.subject(kind, layer)) expects \(expected) \(unit), its input has \(actual)"
        case .reshapeElementCount(let layer, let targetShape, let inputShape):
            return "\(Self.subject("reshape", layer)) cannot make \(targetShape) from \(inputShape): the element counts differ"
        case .multiplyShapes(let layer, let shapes):
            return "\(Self.subject("multiply", layer)) needs inputs of one shape, or [C, 1, 1] gates of a [C, H, W] map, got \(shapes.map { "\($0)" }.joined(separator: ", "))"
        case .addShapes(let layer, let shapes):
            return "\(Self.subject("add", layer)) needs inputs of one shape, got \(shapes.map { "\($0)" }.joined(separator: ", "))"
        case .concatenateAxis(let layer, let axis, let rank):
            return "\(Self.subject("concatenate", layer)): axis \(axis) is not a non-batch axis of inputs with \(rank) per-sample dimensions (1…\(rank), or −\(rank)…−1)"
        case .concatenateShapes(let layer, let axis, let shapes):
            return "\(Self.subject("concatenate", layer)) along axis \(axis) needs inputs that agree on every other axis, got \(shapes.map { "\($0)" }.joined(separator: ", "))"
        case .overflow(let layer, let kind, let what):
            return "\(Self.subject(kind, layer)): \(what) does not fit in a 64-bit integer"
        case .unmappedLayer(let layer, let className):
            return "\(Self.subject("unmapped", layer)) (source class \(className)) has no recorded output shape, so shapes cannot be inferred past it"
        case .unknownInbound(let layer, let inbound):
            return "layer '\(layer)' takes input from '\(inbound)', which is not an earlier layer"
        case .duplicateLayerName(let name):
            return "two layers are named '\(name)'; layer names must be unique"
        case .missingTensor(let layer, let kind, let role):
            return "\(Self.subject(kind, layer)) has no '\(role)' tensor, which its configuration requires"
        case .unexpectedTensor(let layer, let kind, let role):
            return "\(Self.subject(kind, layer)) has a '\(role)' tensor that its configuration does not use"
        case .tensorDType(let layer, let kind, let role, let dtype):
            return "\(Self.subject(kind, layer)): tensor '\(role)' is \(dtype.rawValue), expected a floating-point type"
        case .tensorShape(let layer, let kind, let role, let shape, let expected, let layout):
            return "\(Self.subject(kind, layer)): tensor '\(role)' has shape \(shape), expected \(expected) (\(layout))"
        case .declaredShape(let layer, let kind, let declared, let inferred):
            return "\(Self.subject(kind, layer)) records output shape \(declared), but its input and configuration give \(inferred)"
        }
    }
}
