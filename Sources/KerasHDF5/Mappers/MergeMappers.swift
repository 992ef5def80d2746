import BNModel

// Layers joining several inputs. Element-wise joins need their inputs laid out alike, or
// Keras and the engine would pair different elements.

/// Add of inputs in one layout.
struct AddMapper: KerasLayerMapper {
    let classNames = ["Add"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        guard let first = context.inputs.first, context.inputs.allSatisfy({ $0.layout == first.layout }) else {
            throw context.unsupported("inputs have different layouts")
        }
        return MappedLayer(op: .add, layout: first.layout)
    }
}

/// Multiply. Inputs share a layout, except that a [C, 1, 1] gate of a map (squeeze-and-
/// excitation) is laid out alike in every format.
struct MultiplyMapper: KerasLayerMapper {
    let classNames = ["Multiply"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let inputs = context.inputs
        let size = { (edge: Edge) in edge.shape.flatMap { Tensor.elementCount(of: $0) } ?? 0 }
        guard let widest = inputs.max(by: { size($0) < size($1) }),
              inputs.allSatisfy({ $0.layout == widest.layout || $0.shape?.dropFirst().allSatisfy({ $0 == 1 }) == true }) else {
            throw context.unsupported("its inputs \(context.spec.inbound) have different layouts (image vs vector, or different data formats)")
        }
        return MappedLayer(op: .multiply, layout: widest.layout)
    }
}

/// Concatenate along a Keras axis made native. Vectors of which one is a flattened map keep
/// each part's own order (a segmented vector), which a Dense or BN after them undoes.
struct ConcatenateMapper: KerasLayerMapper {
    let classNames = ["Concatenate"]

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let inputs = context.inputs
        let axis = context.spec.config["axis"]?.intValue.map { Int($0) } ?? -1
        let vectorParts = inputs.map { edge in edge.shape.flatMap { $0.count == 1 ? VectorSegment.of(edge.layout, length: $0[0]) : nil } }
        if !inputs.isEmpty, vectorParts.allSatisfy({ $0 != nil }), inputs.contains(where: { edge in
            if case .vector(nil)? = edge.layout { return false } else { return true }
        }) {
            guard axis == -1 || axis == 1 else { throw context.unsupported("axis \(axis) of feature vectors") }
            return MappedLayer(op: .concatenate(axis: 1), layout: .segmentedVector(vectorParts.flatMap { $0 ?? [] }))
        }
        guard let first = inputs.first, inputs.allSatisfy({ $0.layout == first.layout }) else {
            throw context.unsupported("its inputs \(context.spec.inbound) have different layouts (image vs vector, or different data formats)")
        }
        return MappedLayer(op: .concatenate(axis: try context.nativeAxis(axis, of: first)), layout: first.layout)
    }
}
