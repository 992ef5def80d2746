import BNModel

/// MaxPooling2D and AveragePooling2D over an image. Keras' average never counts padding.
struct Pooling2DMapper: KerasLayerMapper {
    let classNames = ["MaxPooling2D", "AveragePooling2D"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let (shape, axes) = try context.requireMap()
        let poolSize = try reader.positivePair("pool_size", default: [2, 2])
        let strides = try reader.positivePair("strides", default: poolSize)
        let config = Pool2DConfig(poolSize: poolSize, strides: strides,
                                  padding: try context.padding(shape, kernel: poolSize, strides: strides, dilation: [1, 1]),
                                  countIncludesPadding: false)
        let op: LayerOp = context.spec.className == "MaxPooling2D" ? .maxPool2d(config) : .avgPool2d(config)
        return MappedLayer(op: op, layout: .map(kerasAxes: axes))
    }
}

/// GlobalAveragePooling2D and GlobalMaxPooling2D: an image to a vector of its channels, or to
/// a 1×1 image with `keepdims`.
struct GlobalPooling2DMapper: KerasLayerMapper {
    let classNames = ["GlobalAveragePooling2D", "GlobalMaxPooling2D"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let (_, axes) = try context.requireMap()
        let keepDims = try context.reader.bool("keepdims", default: false)
        let op: LayerOp = context.spec.className == "GlobalAveragePooling2D"
            ? .globalAvgPool2d(keepDims: keepDims) : .globalMaxPool2d(keepDims: keepDims)
        return MappedLayer(op: op, layout: keepDims ? .map(kerasAxes: axes) : .vector(order: nil))
    }
}
