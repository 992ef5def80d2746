/// The Keras classes the importer maps, as a table from class name to mapper (as pandoc keeps
/// its readers by format name). Supporting another class means writing its mapper, in the file
/// of its family, and listing it here.
enum KerasMappers {
    /// Every mapper, in families.
    static let all: [any KerasLayerMapper] = [
        InputLayerMapper(),
        Conv2DMapper(), DepthwiseConv2DMapper(), SeparableConv2DMapper(),
        DenseMapper(),
        BatchNormMapper(),
        ActivationMapper(), ReLUMapper(), LeakyReLUMapper(), SoftmaxMapper(),
        Pooling2DMapper(), GlobalPooling2DMapper(),
        FlattenMapper(), ReshapeMapper(), ZeroPadding2DMapper(), Cropping2DMapper(), UpSampling2DMapper(),
        NormalizationMapper(), RescalingMapper(), LayerNormMapper(),
        AddMapper(), MultiplyMapper(), ConcatenateMapper(),
        DropoutMapper(),
        LambdaMapper(),
    ]

    /// The mapper of each class name, built once. A class listed by two mappers is a
    /// programming error and stops the program at the first import.
    static let registry: [String: any KerasLayerMapper] = Dictionary(
        uniqueKeysWithValues: all.flatMap { mapper in mapper.classNames.map { ($0, mapper) } })

    /// Any class not in the table: carried over unmapped when it has weights (so that the
    /// reverse conversion restores it), otherwise refused as "this layer type is not supported".
    static let unsupported: any KerasLayerMapper = UnmappedMapper()

    /// The mapper for `className`: its own, or ``unsupported``.
    static func mapper(for className: String) -> any KerasLayerMapper {
        registry[className] ?? unsupported
    }
}
