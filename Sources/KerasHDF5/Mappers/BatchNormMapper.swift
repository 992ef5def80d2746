import BNModel
import JSONSchema

/// BatchNormalization. Spatial BN on a map's channel axis or on a feature vector: parameters
/// `[1, C, 1, 1]` (reordered when the features came from a Keras flatten in another order);
/// per-activation BN (an axis list covering every non-batch axis): parameters `[1, C, H, W]`,
/// transposed from Keras' map layout. Missing γ/β (`scale=False`/`center=False`) become 1/0,
/// remembered as materialised so the reverse conversion drops them again.
struct BatchNormMapper: KerasLayerMapper {
    let classNames = ["BatchNormalization"]
    let alwaysHasWeights = true

    /// γ and β only when `scale` and `center` (Keras creates no variable for a fixed 1 or 0).
    func keras3VariableNames(_ config: JSONObject) -> [String] {
        ((config["scale"]?.boolValue ?? true) ? ["gamma"] : []) + ((config["center"]?.boolValue ?? true) ? ["beta"] : [])
            + ["moving_mean", "moving_variance"]
    }

    /// Keras' name for each batch-norm parameter (the IR calls the statistics `mean` and
    /// `variance`): findings about a batch norm name its tensors as the file does.
    static let variables: [(role: TensorRole, name: String)] = [
        (.gamma, "gamma"), (.beta, "beta"), (.mean, "moving_mean"), (.variance, "moving_variance"),
    ]
    static let variableNames: Set<String> = Set(variables.map(\.name))

    /// The Keras variable name of the IR role `role` (unchanged for a role that is not a BN parameter).
    static func kerasName(ofRole role: String) -> String {
        variables.first { $0.role.rawValue == role }?.name ?? role
    }

    /// Any parameter: spatial parameters (`[C]`) of the wrong size belong to a layer of another
    /// channel count (BN003); per-activation ones (`[1, H, W, C]`) with another channel count
    /// (the last axis) too, but with the same sizes in another order (H and W swapped) or another
    /// H×W they do not cover the activation (BN004).
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode {
        let (expected, found) = (shapes.expected, shapes.found)
        if expected.count <= 1 { return .bn003 }
        let sameDims = expected.drop(while: { $0 == 1 }).sorted() == found.drop(while: { $0 == 1 }).sorted()
        if !sameDims, expected.count == found.count, let last = expected.indices.last, shapes.onlyDiffers(last) { return .bn003 }
        return .bn004
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let spec = context.spec, reader = context.reader
        if try reader.bool("renorm", default: false) {
            throw context.unsupported("renorm=True (batch renormalisation) keeps extra training-only statistics this converter does not carry; re-save the model with renorm=False")
        }
        guard let input = context.inputs.first, let shape = input.shape, let layout = input.layout else { throw context.missingShape() }
        let rawAxes: [Int]
        if let single = spec.config["axis"]?.intValue {
            rawAxes = [Int(single)]
        } else if let list = spec.config["axis"]?.arrayValue?.compactMap(\.intValue), !list.isEmpty {
            rawAxes = list.map { Int($0) }
        } else {
            rawAxes = [-1]
        }
        let scale = try reader.bool("scale", default: true), center = try reader.bool("center", default: true)
        let epsilon = try reader.double("epsilon", default: 1e-3), momentum = try reader.double("momentum", default: 0.99)
        let parameters = try Parameters(
            axes: rawAxes, input: shape, layout: layout,
            badAxis: context.unsupported("normalising over axis \(rawAxes) is neither spatial (the channel axis) nor per-activation (every non-batch axis)"))
        let (transform, expected, matches) = (parameters.transform, parameters.kerasShape, parameters.matches)

        let mean = try context.take("moving_mean", .mean, transform, expect: expected, matches: matches)
        let variance = try context.take("moving_variance", .variance, transform, expect: expected, matches: matches)
        let gamma = scale ? try context.take("gamma", .gamma, transform, expect: expected, matches: matches) : nil
        let beta = center ? try context.take("beta", .beta, transform, expect: expected, matches: matches) : nil
        // Materialised constants take the dtype and shape of the statistics the file has; a
        // missing statistic is the file's defect (reported by the validator), not theirs.
        let like = [mean, variance, gamma, beta].compactMap { $0?.tensor }.first
        var materialized: Set<TensorRole> = []
        func constant(_ role: TensorRole, _ value: Float) throws -> NamedTensor? {
            guard let like else { return nil }
            materialized.insert(role)
            return NamedTensor(role: role, tensor: try constantTensor(value, dtype: like.dtype, shape: like.shape, layer: spec))
        }
        let tensors = [scale ? gamma : try constant(.gamma, 1), center ? beta : try constant(.beta, 0), mean, variance].compactMap { $0 }
        let config = BatchNormConfig(mode: parameters.mode, epsilon: epsilon, momentum: momentum, materialized: materialized)
        return MappedLayer(op: .batchNorm(config), tensors: tensors, layout: layout)
    }

    /// How the four parameters are laid out, which follows from the axes normalised over and
    /// the layout of the input.
    private struct Parameters {
        var mode: BatchNormMode
        /// How each parameter goes from Keras' layout to the native one.
        var transform: WeightTransform
        /// Each parameter's shape in the file.
        var kerasShape: [Int]
        /// When the file's shape may vary (per-activation: tf_keras adds a leading 1), what it
        /// must match instead of `kerasShape`.
        var matches: ((Tensor) -> Bool)?

        /// `axes` as Keras gives them (counted with the batch, possibly negative); `input` the
        /// native shape.
        init(axes rawAxes: [Int], input shape: [Int], layout: KerasLayout, badAxis: KerasError) throws {
            let rank = shape.count + 1
            let axes = rawAxes.map { $0 < 0 ? $0 + rank : $0 }.sorted()
            switch layout {
            case .reshaped:
                throw badAxis
            case let .vector(order):
                guard axes == [1] else { throw badAxis }
                (mode, transform, kerasShape) = (.spatial, .batchNormVector(order), [shape[0]])
            case let .segmentedVector(segments):
                guard axes == [1] else { throw badAxis }
                (mode, transform, kerasShape) = (.spatial, .batchNormSegments(segments), [shape[0]])
            case let .map(kerasAxes):
                guard axes.allSatisfy({ (1...3).contains($0) }) else { throw badAxis }
                if axes.count == 1 {
                    guard kerasAxes[axes[0] - 1] == 0 else { throw badAxis }
                    (mode, transform, kerasShape) = (.spatial, .batchNormVector(nil), [shape[0]])
                } else if axes == [1, 2, 3] {
                    // Keras stores these as H×W×C (tf_keras adds a leading 1).
                    let kerasDims = kerasAxes.map { shape[$0] }
                    (mode, transform, kerasShape) = (.perActivation, .perActivation(kerasAxes: kerasAxes, nativeShape: shape), [1] + kerasDims)
                    matches = { $0.shape.drop(while: { $0 == 1 }).elementsEqual(kerasDims.drop(while: { $0 == 1 })) }
                } else {
                    throw badAxis
                }
            }
        }
    }
}

/// A tensor filled with `value` in a float dtype: how an absent γ (1) or β (0) is materialised,
/// in the dtype of the layer's other parameters.
func constantTensor(_ value: Float, dtype: DType, shape: [Int], layer: KerasLayerSpec) throws -> Tensor {
    let count = shape.reduce(1, *)
    switch dtype {
    case .f32: return try Tensor(values: [Float](repeating: value, count: count), shape: shape)
    case .f64: return try Tensor(values: [Double](repeating: Double(value), count: count), shape: shape)
    case .f16: return try Tensor(values: [Float16](repeating: Float16(value), count: count), shape: shape)
    case .bf16: return try Tensor(values: [BFloat16](repeating: BFloat16(value), count: count), shape: shape)
    default:
        throw KerasError.unsupportedLayer(layer: layer.name, className: layer.className,
                                          detail: "batch-norm statistics stored as \(dtype.rawValue), not as floats")
    }
}
