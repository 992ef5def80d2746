import BNModel

// Layers that move elements without computing: flattening, reshaping, padding, cropping and
// nearest upsampling. What they must get right is the layout: a flattened or reshaped map is
// in the engine's element order, not Keras', and the layout records how the two differ.

/// Flatten: the vector it gives remembers Keras' order of the map's elements (see
/// ``FlattenOrder``), which the Dense or output reading it needs.
struct FlattenMapper: KerasLayerMapper {
    let classNames = ["Flatten"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let layout: KerasLayout
        switch context.inputLayout {
        case let .map(axes)?:
            guard let shape = context.inputs.first?.shape else { throw context.missingShape() }
            // channels_first Flatten moves Keras' axis 1 (its channels) last before flattening.
            let walked = try context.reader.dataFormat() == "channels_first" ? Array(axes.dropFirst()) + [axes[0]] : axes
            layout = .vector(order: FlattenOrder.make(mapShape: shape, kerasAxes: walked))
        case let .vector(order)?, let .reshaped(_, order)?:
            layout = .vector(order: order)
        case let .segmentedVector(segments)?:
            layout = .segmentedVector(segments)
        case nil:
            throw context.missingShape()
        }
        return MappedLayer(op: .flatten, layout: layout)
    }
}

/// Keras Reshape, where it has an exact native equivalent: vector → vector, map → vector
/// (a flatten as the data lies), and vector → map when the map's Keras and native orders
/// coincide (H·W = 1 or C = 1, e.g. the (1, 1, C) of squeeze-and-excitation blocks).
struct ReshapeMapper: KerasLayerMapper {
    let classNames = ["Reshape"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let spec = context.spec
        guard let input = context.inputs.first, let shape = input.shape, let layout = input.layout else { throw context.missingShape() }
        guard let target = spec.config["target_shape"]?.arrayValue?.compactMap(\.intValue).map({ Int($0) }) else {
            throw KerasError.invalidConfig(source: context.source, field: "layer '\(spec.name)'.target_shape", detail: "missing")
        }
        guard target.allSatisfy({ $0 == -1 || (1...ConfigReader.largestCount).contains($0) }), target.filter({ $0 == -1 }).count <= 1,
              let total = Tensor.elementCount(of: shape), let known = Tensor.elementCount(of: target.filter { $0 != -1 }) else {
            throw KerasError.invalidConfig(source: context.source, field: "layer '\(spec.name)'.target_shape",
                                           detail: "\(target) is not a shape (sizes 1…\(ConfigReader.largestCount), at most one -1)")
        }
        let resolved = target.map { $0 == -1 ? total / max(1, known) : $0 }
        let order: FlattenOrder?
        switch layout {
        case let .vector(vectorOrder), let .reshaped(_, vectorOrder): order = vectorOrder
        case let .map(axes): order = FlattenOrder.make(mapShape: shape, kerasAxes: axes)
        case .segmentedVector:
            if resolved.count == 1 { return MappedLayer(op: .reshape(targetShape: resolved), layout: layout) }
            throw context.unsupported("reshaping a concatenation of flattened maps changes the element order between Keras and the engine")
        }
        switch (layout, resolved.count) {
        case (_, 1):
            return MappedLayer(op: .reshape(targetShape: resolved), layout: .vector(order: order))
        case (.map, 2), (.vector, 2), (.reshaped, 2), (.map, 4...), (.vector, 4...), (.reshaped, 4...):
            return MappedLayer(op: .reshape(targetShape: [total]), layout: .reshaped(kerasShape: resolved, order: order))
        case (.vector(nil), 3):
            let axes = KerasLayout.kerasAxes(dataFormat: context.modelDataFormat)
            let native = KerasLayout.nativeShape(kerasDims: resolved, kerasAxes: axes)
            guard FlattenOrder.make(mapShape: native, kerasAxes: axes) == nil else { break }
            return MappedLayer(op: .reshape(targetShape: native), layout: .map(kerasAxes: axes))
        default:
            break
        }
        throw context.unsupported("reshape to \(target) changes the element order between Keras' and the engine's layout")
    }
}

/// ZeroPadding2D: `[top, bottom, left, right]` zeros around an image.
struct ZeroPadding2DMapper: KerasLayerMapper {
    let classNames = ["ZeroPadding2D"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let (_, axes) = try context.requireMap()
        return MappedLayer(op: .zeroPadding2d(padding: try sides(context.reader, key: "padding", default: 1)),
                           layout: .map(kerasAxes: axes))
    }
}

/// Cropping2D: `[top, bottom, left, right]` rows and columns cut from an image.
struct Cropping2DMapper: KerasLayerMapper {
    let classNames = ["Cropping2D"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let (_, axes) = try context.requireMap()
        return MappedLayer(op: .cropping2d(cropping: try sides(context.reader, key: "cropping", default: 0)),
                           layout: .map(kerasAxes: axes))
    }
}

/// UpSampling2D by whole factors; only nearest-neighbour interpolation has a native op.
struct UpSampling2DMapper: KerasLayerMapper {
    let classNames = ["UpSampling2D"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let (_, axes) = try context.requireMap()
        let interpolation = try reader.string("interpolation", default: "nearest")
        guard interpolation == "nearest" else {
            throw context.unsupported("interpolation '\(interpolation)' (only nearest is supported)")
        }
        return MappedLayer(op: .upsample2d(size: try reader.positivePair("size", default: [2, 2])), layout: .map(kerasAxes: axes))
    }
}

/// `[top, bottom, left, right]` from Keras' int, `(a, b)` or `((t, b), (l, r))` forms
/// (ZeroPadding2D's `padding`, Cropping2D's `cropping`); `fallback` on every side when absent.
private func sides(_ reader: ConfigReader, key: String, default fallback: Int64) throws -> [Int] {
    let value = reader.config[key] ?? .int(fallback)
    if let single = value.intValue { return [Int(single), Int(single), Int(single), Int(single)] }
    guard let items = value.arrayValue, items.count == 2 else { throw reader.fail(key, "unrecognised \(value)") }
    if let a = items[0].intValue, let b = items[1].intValue { return [Int(a), Int(a), Int(b), Int(b)] }
    guard let top = items[0][0]?.intValue, let bottom = items[0][1]?.intValue,
          let left = items[1][0]?.intValue, let right = items[1][1]?.intValue else {
        throw reader.fail(key, "unrecognised \(value)")
    }
    return [Int(top), Int(bottom), Int(left), Int(right)]
}
