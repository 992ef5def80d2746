import BNModel
import JSONSchema

/// How the Keras layers of one or more classes become native layers: the importer's rule for
/// those classes, kept in one place with the other facts about them, so that supporting a
/// class, or changing how it maps, touches one file. Mappers are listed by class name in
/// ``KerasMappers``; `GraphBuilder` walks the graph and asks the mapper of each layer's class.
protocol KerasLayerMapper: Sendable {
    /// The Keras class names (`class_name` in the architecture) this mapper handles.
    var classNames: [String] { get }

    /// The native layer for `context.spec`. The mapper takes from the context every stored
    /// weight the configuration uses (any left over is reported as unexpected) and says how
    /// Keras lays out the layer's output, which the layers reading it need.
    func map(_ context: inout MappingContext) throws -> MappedLayer
}

/// A mapper's result: the native op with its tensors, and the Keras layout of its output
/// (nil when it is unknown, after a layer carried over unmapped).
struct MappedLayer {
    var op: LayerOp
    var tensors: [NamedTensor] = []
    var layout: KerasLayout?
}
