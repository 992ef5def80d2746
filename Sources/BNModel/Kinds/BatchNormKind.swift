import JSONSchema

/// How batch-norm statistics are shared; the raw value is the manifest's `"mode"`.
public enum BatchNormMode: String, Sendable, Hashable, CaseIterable {
    /// cuDNN `CUDNN_BATCHNORM_SPATIAL`: one set per channel, parameters `[1, C, 1, 1]`.
    /// Also the head case: a BN after Flatten or Dense is `[1, C, 1, 1]` with C = features.
    case spatial
    /// cuDNN `CUDNN_BATCHNORM_PER_ACTIVATION`: one set per activation, parameters `[1, C, H, W]`.
    case perActivation = "per_activation"
}

/// Inference-time batch normalisation `y = gamma · (x − mean) / sqrt(variance + epsilon) + beta`.
/// Tensors `gamma`, `beta`, `mean`, `variance` are all present and rank 4 (see `BatchNormMode`).
public struct BatchNormConfig: Sendable, Hashable {
    public var mode: BatchNormMode
    /// The source's epsilon, kept as a double (never rounded to float).
    public var epsilon: Double
    /// The source's momentum (training only; kept for the reverse conversion).
    public var momentum: Double
    /// Which of `.gamma` / `.beta` the source did not have (Keras `scale=False` /
    /// `center=False`); they are materialised as ones / zeros because an engine needs all four,
    /// and the reverse conversion drops them again.
    public var materialized: Set<TensorRole>

    public init(mode: BatchNormMode, epsilon: Double, momentum: Double = 0.99, materialized: Set<TensorRole> = []) {
        self.mode = mode
        self.epsilon = epsilon
        self.momentum = momentum
        self.materialized = materialized
    }
}

extension BatchNormConfig: LayerKind {
    static let kind = "batch_norm"
    var op: LayerOp { .batchNorm(self) }

    init(manifest a: inout ManifestObject) throws(ManifestIssue) {
        let modeText = try a.string("mode")
        guard let mode = BatchNormMode(rawValue: modeText) else {
            throw ManifestIssue(pointer: a.path("mode"), message: "must be 'spatial' or 'per_activation', found '\(modeText)'")
        }
        var materialized = Set<TensorRole>()
        for (index, item) in try a.array("materialized").enumerated() {
            let pointer = a.path("materialized") + "/\(index)"
            let role = try ManifestObject.string(item, pointer)
            guard role == "gamma" || role == "beta", materialized.insert(TensorRole(rawValue: role)).inserted else {
                throw ManifestIssue(pointer: pointer, message: "must be 'gamma' or 'beta', each at most once")
            }
        }
        self.init(mode: mode, epsilon: try a.double("epsilon"), momentum: try a.double("momentum"), materialized: materialized)
    }

    var manifestAttributes: JSONObject {
        let materialized = [TensorRole.gamma, .beta].filter { self.materialized.contains($0) }
        return ["mode": .string(mode.rawValue), "epsilon": .double(epsilon), "momentum": .double(momentum),
                "materialized": .array(materialized.map { .string($0.rawValue) })]
    }

    /// Epsilon is not limited here: a zero or tiny epsilon is legal to store and gets a finding
    /// (`BN006`, `BN007`) that explains what it does to an engine.
    func checkAttributes() throws(AttributeIssue) {
        guard materialized.isSubset(of: [.gamma, .beta]) else {
            throw AttributeIssue(field: "materialized", message: "may only contain gamma and beta")
        }
    }

    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int] {
        try rules.inputCount(inputs, exactly: 1)
        let input = inputs[0]
        switch mode {
        case .spatial:
            guard !input.isEmpty else {
                throw .inputRank(layer: rules.layer, kind: Self.kind, expected: "a [C, …] input with a channel axis", shape: input)
            }
        case .perActivation:
            guard input.count == 1 || input.count == 3 else {
                throw .inputRank(layer: rules.layer, kind: Self.kind, expected: "a [C, H, W] map or a [F] vector (per-activation)", shape: input)
            }
        }
        return input
    }

    /// The four parameters share one shape: `[1, C, 1, 1]` (spatial, and any batch norm of a
    /// `[F]` vector, C = F) or `[1, C, H, W]` (per-activation over a map).
    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] {
        let input = inputs?.count == 1 ? inputs?[0] : nil
        let channels = ExpectedDimension.input(input?.first, "C", unit: "channels", code: .bn003)
        let dimensions: [ExpectedDimension]
        let layout: String
        if mode == .perActivation, input == nil || input?.count == 3 {
            dimensions = [.fixed(1), channels, .input(input?[1], "H", unit: "rows", code: .bn004),
                          .input(input?[2], "W", unit: "columns", code: .bn004)]
            layout = "per-activation [1, C, H, W]"
        } else if mode == .perActivation || input?.count == 1 {
            dimensions = [.fixed(1), channels, .fixed(1), .fixed(1)]
            layout = "[1, F, 1, 1] on a [F] vector"
        } else {
            dimensions = [.fixed(1), channels, .fixed(1), .fixed(1)]
            layout = "spatial [1, C, 1, 1]"
        }
        return BatchNormConfig.parameters.map {
            ExpectedTensor(role: $0, dimensions: dimensions, layout: layout, missingCode: .bn001)
        }
    }

    /// The parameters every batch norm holds, in manifest order.
    static let parameters: [TensorRole] = [.gamma, .beta, .mean, .variance]
}
