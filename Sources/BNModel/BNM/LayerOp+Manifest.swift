import JSONSchema

// The manifest form of layer attributes and activations: one place that knows both directions.

extension Activation {
    /// `{"name": …, parameters…}`.
    var manifestJSON: JSONValue {
        var object: JSONObject = ["name": .string(name)]
        switch self {
        case .leakyRelu(let alpha), .elu(let alpha):
            object["alpha"] = .double(alpha)
        case .clippedRelu(let maxValue, let negativeSlope, let threshold):
            object["max_value"] = maxValue.map(JSONValue.double) ?? .null
            object["negative_slope"] = .double(negativeSlope)
            object["threshold"] = .double(threshold)
        case .softmax(let axis):
            object["axis"] = .int(Int64(axis))
        case .gelu(let approximate):
            object["approximate"] = .bool(approximate)
        default:
            break
        }
        return .object(object)
    }

    init(manifest value: JSONValue, pointer: String, strict: Bool) throws(ManifestIssue) {
        var object = try ManifestObject(value, pointer: pointer, strict: strict)
        let name = try object.string("name")
        switch name {
        case "linear": self = .linear
        case "relu": self = .relu
        case "relu6": self = .relu6
        case "leaky_relu": self = .leakyRelu(alpha: try object.double("alpha"))
        case "clipped_relu":
            let maxValue = try object.value("max_value")
            self = .clippedRelu(
                maxValue: maxValue.isNull ? nil : try ManifestObject.double(maxValue, object.path("max_value")),
                negativeSlope: try object.double("negative_slope"), threshold: try object.double("threshold"))
        case "sigmoid": self = .sigmoid
        case "tanh": self = .tanh
        case "softmax": self = .softmax(axis: try object.int("axis", minimum: -8, maximum: 8))
        case "hard_sigmoid": self = .hardSigmoid
        case "hard_sigmoid_legacy": self = .hardSigmoidLegacy
        case "swish": self = .swish
        case "hard_swish": self = .hardSwish
        case "elu": self = .elu(alpha: try object.double("alpha"))
        case "selu": self = .selu
        case "gelu": self = .gelu(approximate: try object.bool("approximate"))
        case "softplus": self = .softplus
        case "softsign": self = .softsign
        case "exponential": self = .exponential
        case "mish": self = .mish
        default:
            throw ManifestIssue(pointer: object.path("name"), message: "'\(name)' is not a known activation (\(Activation.allNames.joined(separator: ", ")))")
        }
        try object.finish()
    }
}

extension LayerOp {
    /// The `"attributes"` object of this op.
    var manifestAttributes: JSONObject { definition.manifestAttributes }

    /// Reads `attributes` for a layer of `kind`, then checks the kind's limits on them.
    init(kind: String, kindPointer: String, attributes a: inout ManifestObject) throws(ManifestIssue) {
        guard let type = LayerOp.kindsByName[kind] else {
            throw ManifestIssue(pointer: kindPointer, message: "'\(kind)' is not a known layer kind (\(LayerOp.allKinds.joined(separator: ", ")))")
        }
        let definition = try type.init(manifest: &a)
        do throws(AttributeIssue) {
            try definition.checkAttributes()
        } catch {
            throw ManifestIssue(pointer: error.pointer(in: a), message: error.message)
        }
        self = definition.op
        try a.finish()
    }
}
