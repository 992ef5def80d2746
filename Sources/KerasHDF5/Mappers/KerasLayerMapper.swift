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

    /// The rule (finding code) a stored `weight` whose shape does not fit breaks, judged by
    /// which dimensions differ: `validate` reports the importer's shape error under it. CH008
    /// (the shape does not fit the configuration) when nothing more specific fits.
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode

    /// The native layer for `context.spec`. The mapper takes from the context every stored
    /// weight the configuration uses (any left over is reported as unexpected) and says how
    /// Keras lays out the layer's output, which the layers reading it need.
    func map(_ context: inout MappingContext) throws -> MappedLayer
}

extension KerasLayerMapper {
    var alwaysHasWeights: Bool { false }
    func keras3VariableNames(_ config: JSONObject) -> [String] { [] }
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode { .ch008 }
}

/// A stored weight's shape against the one the layer's configuration needs, both in Keras'
/// layout (conv HWIO `[kh, kw, in, out]`, depthwise `[kh, kw, C, M]`, dense `[in, out]`,
/// spatial BN `[C]`, per-activation BN `[1, H, W, C]`).
struct WeightShapeMismatch {
    var expected: [Int]
    var found: [Int]

    /// Same rank, and `axis` differs (other axes may too).
    func differs(_ axis: Int) -> Bool {
        expected.count == found.count && expected.indices.contains(axis) && expected[axis] != found[axis]
    }

    /// Same rank, and every axis but `axis` agrees.
    func onlyDiffers(_ axis: Int) -> Bool {
        expected.count == found.count && expected.indices.allSatisfy { $0 == axis ? expected[$0] != found[$0] : expected[$0] == found[$0] }
    }
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
