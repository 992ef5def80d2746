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
    var manifestAttributes: JSONObject {
        func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int(Int64($0)) }) }
        switch self {
        case .input(let shape):
            return ["shape": ints(shape)]
        case .conv2d(let c):
            return ["filters": .int(Int64(c.filters)), "kernel_size": ints(c.kernelSize), "strides": ints(c.strides),
                    "dilation": ints(c.dilation), "padding": ints(c.padding), "use_bias": .bool(c.useBias),
                    "activation": c.activation.manifestJSON]
        case .depthwiseConv2d(let c):
            return ["depth_multiplier": .int(Int64(c.depthMultiplier)), "kernel_size": ints(c.kernelSize),
                    "strides": ints(c.strides), "dilation": ints(c.dilation), "padding": ints(c.padding),
                    "use_bias": .bool(c.useBias), "activation": c.activation.manifestJSON]
        case .separableConv2d(let c):
            return ["filters": .int(Int64(c.filters)), "depth_multiplier": .int(Int64(c.depthMultiplier)),
                    "kernel_size": ints(c.kernelSize), "strides": ints(c.strides), "dilation": ints(c.dilation),
                    "padding": ints(c.padding), "use_bias": .bool(c.useBias), "activation": c.activation.manifestJSON]
        case .dense(let c):
            return ["units": .int(Int64(c.units)), "use_bias": .bool(c.useBias), "activation": c.activation.manifestJSON]
        case .batchNorm(let c):
            let materialized = [TensorRole.gamma, .beta].filter { c.materialized.contains($0) }
            return ["mode": .string(c.mode.rawValue), "epsilon": .double(c.epsilon), "momentum": .double(c.momentum),
                    "materialized": .array(materialized.map { .string($0.rawValue) })]
        case .activation(let activation):
            return ["activation": activation.manifestJSON]
        case .maxPool2d(let c), .avgPool2d(let c):
            return ["pool_size": ints(c.poolSize), "strides": ints(c.strides), "padding": ints(c.padding),
                    "count_includes_padding": .bool(c.countIncludesPadding)]
        case .globalAvgPool2d(let keepDims), .globalMaxPool2d(let keepDims):
            return ["keep_dims": .bool(keepDims)]
        case .flatten, .add, .multiply:
            return [:]
        case .rescale(let scale, let offset):
            return ["scale": .double(scale), "offset": .double(offset)]
        case .upsample2d(let size):
            return ["size": ints(size)]
        case .normalize(let epsilon):
            return ["epsilon": .double(epsilon)]
        case .cropping2d(let cropping):
            return ["cropping": ints(cropping)]
        case .reshape(let targetShape):
            return ["target_shape": ints(targetShape)]
        case .concatenate(let axis):
            return ["axis": .int(Int64(axis))]
        case .zeroPadding2d(let padding):
            return ["padding": ints(padding)]
        case .dropout(let rate):
            return ["rate": .double(rate)]
        case .unmapped(let className, let config):
            return ["class_name": .string(className), "config": config]
        }
    }

    /// Reads `attributes` for a layer of `kind`.
    init(kind: String, kindPointer: String, attributes a: inout ManifestObject) throws(ManifestIssue) {
        func activation(_ a: inout ManifestObject) throws(ManifestIssue) -> Activation {
            try Activation(manifest: a.value("activation"), pointer: a.path("activation"), strict: a.strict)
        }
        switch kind {
        case "input":
            self = .input(shape: try a.intArray("shape"))
        case "conv2d":
            self = .conv2d(Conv2DConfig(
                filters: try a.int("filters", minimum: 1), kernelSize: try a.intArray("kernel_size", count: 2, minimum: 1),
                strides: try a.intArray("strides", count: 2, minimum: 1), dilation: try a.intArray("dilation", count: 2, minimum: 1),
                padding: try a.intArray("padding", count: 4), useBias: try a.bool("use_bias"), activation: try activation(&a)))
        case "depthwise_conv2d":
            self = .depthwiseConv2d(DepthwiseConv2DConfig(
                depthMultiplier: try a.int("depth_multiplier", minimum: 1),
                kernelSize: try a.intArray("kernel_size", count: 2, minimum: 1),
                strides: try a.intArray("strides", count: 2, minimum: 1), dilation: try a.intArray("dilation", count: 2, minimum: 1),
                padding: try a.intArray("padding", count: 4), useBias: try a.bool("use_bias"), activation: try activation(&a)))
        case "separable_conv2d":
            self = .separableConv2d(SeparableConv2DConfig(
                filters: try a.int("filters", minimum: 1), depthMultiplier: try a.int("depth_multiplier", minimum: 1),
                kernelSize: try a.intArray("kernel_size", count: 2, minimum: 1),
                strides: try a.intArray("strides", count: 2, minimum: 1), dilation: try a.intArray("dilation", count: 2, minimum: 1),
                padding: try a.intArray("padding", count: 4), useBias: try a.bool("use_bias"), activation: try activation(&a)))
        case "dense":
            self = .dense(DenseConfig(units: try a.int("units", minimum: 1), useBias: try a.bool("use_bias"), activation: try activation(&a)))
        case "batch_norm":
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
            self = .batchNorm(BatchNormConfig(mode: mode, epsilon: try a.double("epsilon"), momentum: try a.double("momentum"),
                                              materialized: materialized))
        case "activation":
            self = .activation(try activation(&a))
        case "max_pool2d", "avg_pool2d":
            let config = Pool2DConfig(
                poolSize: try a.intArray("pool_size", count: 2, minimum: 1), strides: try a.intArray("strides", count: 2, minimum: 1),
                padding: try a.intArray("padding", count: 4), countIncludesPadding: try a.bool("count_includes_padding"))
            self = kind == "max_pool2d" ? .maxPool2d(config) : .avgPool2d(config)
        case "global_avg_pool2d":
            self = .globalAvgPool2d(keepDims: try a.bool("keep_dims"))
        case "global_max_pool2d":
            self = .globalMaxPool2d(keepDims: try a.bool("keep_dims"))
        case "flatten":
            self = .flatten
        case "reshape":
            self = .reshape(targetShape: try a.intArray("target_shape", minimum: -1))
        case "add":
            self = .add
        case "concatenate":
            self = .concatenate(axis: try a.int("axis", minimum: -8, maximum: 8))
        case "zero_padding2d":
            self = .zeroPadding2d(padding: try a.intArray("padding", count: 4))
        case "dropout":
            self = .dropout(rate: try a.double("rate"))
        case "rescale":
            self = .rescale(scale: try a.double("scale"), offset: try a.double("offset"))
        case "multiply":
            self = .multiply
        case "normalize":
            let epsilon = try a.double("epsilon")
            guard epsilon >= 0 else { throw ManifestIssue(pointer: a.path("epsilon"), message: "must be at least 0, found \(epsilon)") }
            self = .normalize(epsilon: epsilon)
        case "upsample2d":
            self = .upsample2d(size: try a.intArray("size", count: 2, minimum: 1))
        case "cropping2d":
            self = .cropping2d(cropping: try a.intArray("cropping", count: 4))
        case "unmapped":
            self = .unmapped(className: try a.string("class_name"), config: try a.value("config"))
        default:
            throw ManifestIssue(pointer: kindPointer, message: "'\(kind)' is not a known layer kind (\(LayerOp.allKinds.joined(separator: ", ")))")
        }
        try a.finish()
    }
}
