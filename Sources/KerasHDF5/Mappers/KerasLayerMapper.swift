import BNModel
import JSONSchema

/// How the Keras layers of one or more classes become native layers: the importer's rule for
/// those classes, kept in one place with the other facts about them, so that supporting a
/// class, or changing how it maps, touches one file. Mappers are listed by class name in
/// ``KerasMappers``; `GraphBuilder` walks the graph and asks the mapper of each layer's class.
protocol KerasLayerMapper: Sendable {
    /// The Keras class names (`class_name` in the architecture) this mapper handles.
    var classNames: [String] { get }

    /// Whether every layer of these classes has weights. A tf_keras file holding none at all
    /// for such a layer was saved from another architecture (a wrong `--config`), which is the
    /// error to give rather than a missing weight.
    var alwaysHasWeights: Bool { get }

    /// The names of the variables a Keras 3 `.weights.h5` stores for a layer with `config`, in
    /// the order it stores them: it keeps them by position only, so their names follow from the
    /// class and the config.
    func keras3VariableNames(_ config: JSONObject) -> [String]

    /// The native layer for `context.spec`. The mapper takes from the context every stored
    /// weight the configuration uses (any left over is reported as unexpected) and says how
    /// Keras lays out the layer's output, which the layers reading it need.
    func map(_ context: inout MappingContext) throws -> MappedLayer
}

extension KerasLayerMapper {
    var alwaysHasWeights: Bool { false }
    func keras3VariableNames(_ config: JSONObject) -> [String] { [] }
}

/// Whether a layer with `config` has a bias: `use_bias`, true unless it says otherwise.
func usesBias(_ config: JSONObject) -> Bool {
    config["use_bias"]?.boolValue ?? true
}

/// A mapper's result: the native op with its tensors, and the Keras layout of its output
/// (nil when it is unknown, after a layer carried over unmapped).
struct MappedLayer {
    var op: LayerOp
    var tensors: [NamedTensor] = []
    var layout: KerasLayout?
}
