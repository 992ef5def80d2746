import JSONSchema

/// Layer normalisation over the channel axis: at each position of each sample, the C values
/// are normalised by their own mean and variance, then scaled and shifted per channel:
/// `y = (x − mean_c x) / sqrt(var_c x + epsilon) · gamma + beta`, with the variance the mean of
/// squared deviations (biased), as Keras' `LayerNormalization(axis=-1)` computes on NHWC data
/// (ConvNeXt) and on feature vectors. Tensors `gamma`, `beta` `[1, C, 1, 1]`, each optional:
/// Keras' `scale=False` / `center=False` leave them out, and then gamma is 1 and beta 0.
public struct LayerNormConfig: Sendable, Hashable {
    /// The source's epsilon, kept as a double.
    public var epsilon: Double

    public init(epsilon: Double) {
        self.epsilon = epsilon
    }
}

extension LayerNormConfig: LayerKind {
    static let kind = "layer_norm"
    var op: LayerOp { .layerNorm(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        self.init(epsilon: try a.double("epsilon"))
    }

    var manifestAttributes: JSONObject { ["epsilon": .double(epsilon)] }

    /// Unlike batch norm's stored variances, a layer's own variance is 0 wherever all channels
    /// agree (a flat region), so epsilon must be positive for the output to be defined.
    func checkAttributes() throws(AttributeIssue) {
        guard epsilon.isFinite, epsilon > 0 else {
            throw AttributeIssue(field: "epsilon", message: "must be finite and > 0, got \(epsilon)")
        }
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        guard inputs[0].count == 1 || inputs[0].count == 3 else {
            throw .inputRank(layer: rules.layer, kind: Self.kind, expected: "a [C, H, W] map or a [F] vector", shape: inputs[0])
        }
        return inputs[0]
    }

    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let channels = inputs?.count == 1 ? inputs?[0].first : nil
        let shape: [ExpectedDimension] = [.fixed(1), .input(channels, "C", unit: "channels"), .fixed(1), .fixed(1)]
        return [TensorRole.gamma, .beta].map {
            ExpectedTensor(role: $0, dimensions: shape, layout: "per channel [1, C, 1, 1]", required: false)
        }
    }
}

/// The reference interpreter's layer normalisation, in double, rounded once to float32.
struct LayerNormalization: Sendable {
    let epsilon: Double
    /// Per channel; nil means 1 (gamma) or 0 (beta).
    let gamma: [Float]?
    let beta: [Float]?

    /// `input` is `[N, C, H, W]` or `[N, C]`.
    func apply(to input: NDArray) -> NDArray {
        var output = input
        let (batch, channels) = (input.shape[0], input.shape.count > 1 ? input.shape[1] : 1)
        let plane = input.shape.dropFirst(2).reduce(1, *)
        guard channels > 0, plane > 0 else { return output }
        output.values.withUnsafeMutableBufferPointer { y in
            for n in 0..<batch {
                for position in 0..<plane {
                    let first = n * channels * plane + position
                    var mean = 0.0
                    for c in 0..<channels { mean += Double(y[first + c * plane]) }
                    mean /= Double(channels)
                    var variance = 0.0
                    for c in 0..<channels {
                        let deviation = Double(y[first + c * plane]) - mean
                        variance += deviation * deviation
                    }
                    let inverse = 1 / (variance / Double(channels) + epsilon).squareRoot()
                    for c in 0..<channels {
                        let index = first + c * plane
                        let scale = Double(gamma?[c] ?? 1), shift = Double(beta?[c] ?? 0)
                        y[index] = Float((Double(y[index]) - mean) * inverse * scale + shift)
                    }
                }
            }
        }
        return output
    }
}
