import BNModel

/// The dropout and noise family: identities at inference; the rate is kept for the record.
struct DropoutMapper: KerasLayerMapper {
    let classNames = ["Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        MappedLayer(op: .dropout(rate: try context.reader.double("rate", default: 0)), layout: context.inputLayout)
    }
}
