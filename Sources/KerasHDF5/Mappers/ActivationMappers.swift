import BNModel

// Activation layers act element by element (softmax along one axis): their output keeps the
// input's layout.

/// Activation: the named function of its `activation` (see `ConfigReader.activation`).
struct ActivationMapper: KerasLayerMapper {
    let classNames = ["Activation"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        MappedLayer(op: .activation(try context.activation()), layout: context.inputLayout)
    }
}

/// ReLU with its options: plain, ReLU6, leaky, or the general clipped form.
struct ReLUMapper: KerasLayerMapper {
    let classNames = ["ReLU"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let maxValue = try reader.optionalDouble("max_value")
        let slope = try reader.double("negative_slope", default: 0), threshold = try reader.double("threshold", default: 0)
        let activation: Activation
        switch (maxValue, slope, threshold) {
        case (nil, 0, 0): activation = .relu
        case (6?, 0, 0): activation = .relu6
        case (nil, _, 0): activation = .leakyRelu(alpha: slope)
        default: activation = .clippedRelu(maxValue: maxValue, negativeSlope: slope, threshold: threshold)
        }
        return MappedLayer(op: .activation(activation), layout: context.inputLayout)
    }
}

/// LeakyReLU. Keras 3 calls the slope negative_slope (default 0.3), tf_keras alpha (default 0.3).
struct LeakyReLUMapper: KerasLayerMapper {
    let classNames = ["LeakyReLU"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let slope = try reader.optionalDouble("negative_slope") ?? reader.double("alpha", default: 0.3)
        return MappedLayer(op: .activation(.leakyRelu(alpha: slope)), layout: context.inputLayout)
    }
}

/// Softmax along its `axis`, a Keras axis made native.
struct SoftmaxMapper: KerasLayerMapper {
    let classNames = ["Softmax"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let axis = context.spec.config["axis"]?.intValue.map { Int($0) } ?? -1
        let op = LayerOp.activation(.softmax(axis: try context.nativeAxis(axis, of: context.inputs.first)))
        return MappedLayer(op: op, layout: context.inputLayout)
    }
}
