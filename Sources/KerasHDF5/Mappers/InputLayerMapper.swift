import BNModel

/// InputLayer: an image (H, W, C in the model's data format) becomes a native `[C, H, W]`
/// input; a vector stays as it is. Other ranks have no native layout.
struct InputLayerMapper: KerasLayerMapper {
    let classNames = ["InputLayer"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let kerasShape = try Self.inputShape(context)
        switch kerasShape.count {
        case 3:
            let axes = KerasLayout.kerasAxes(dataFormat: context.modelDataFormat)
            return MappedLayer(op: .input(shape: KerasLayout.nativeShape(kerasDims: kerasShape, kerasAxes: axes)),
                               layout: .map(kerasAxes: axes))
        case 1:
            return MappedLayer(op: .input(shape: kerasShape), layout: .vector(order: nil))
        default:
            throw context.unsupported("inputs of rank \(kerasShape.count) (per sample) are not supported; images (H, W, C) and vectors are")
        }
    }

    /// Per-sample input shape in Keras order, from `--input-shape` or the InputLayer config.
    private static func inputShape(_ context: MappingContext) throws -> [Int] {
        let spec = context.spec
        if let given = context.inputShapeOverride {
            guard given.allSatisfy({ (1...ConfigReader.largestCount).contains($0) }) else {
                throw KerasError.inputShape(detail: "--input-shape \(given) has dimensions outside 1…\(ConfigReader.largestCount)")
            }
            return given
        }
        let value = spec.config["batch_shape"] ?? spec.config["batch_input_shape"]
        guard let items = value?.arrayValue, items.count >= 2 else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has no shape; pass --input-shape H,W,C")
        }
        let dims = items.dropFirst().compactMap { $0.intValue.map { Int($0) } }
        guard dims.count == items.count - 1 else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has unknown dimensions \(items); pass --input-shape H,W,C")
        }
        guard dims.allSatisfy({ (1...ConfigReader.largestCount).contains($0) }) else {
            throw KerasError.inputShape(detail: "input layer '\(spec.name)' has dimensions \(dims) outside 1…\(ConfigReader.largestCount)")
        }
        return dims
    }
}
