extension Tensor {
    /// The N-d transpose of this tensor: result axis `i` is this tensor's axis `axes[i]`
    /// (numpy's `transpose(axes)`), for any dtype, moving raw elements bit for bit.
    ///
    /// Every layout change in the converter goes through here, in both directions: e.g. a Keras
    /// conv kernel HWIO → OIHW is `permuted([3, 2, 0, 1])` and the way back is
    /// `permuted([2, 3, 1, 0])`. The identity permutation returns `self` unchanged (no copy,
    /// lazy storage stays lazy); any other permutation reads the bytes once and returns a tensor
    /// in memory.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let rank = shape.count
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError.invalidPermutation(axes: axes, rank: rank)
        }
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        if elementCount == 0 { return try Tensor(dtype: dtype, shape: newShape, bytes: []) }
        var sourceStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1]
        }
        let strides = axes.map { sourceStrides[$0] }
        var output = [UInt8](repeating: 0, count: byteCount)
        let count = elementCount
        try withBytes { source in
            output.withUnsafeMutableBytes { destination in
                switch dtype.byteSize {
                case 1: Self.transpose(UInt8.self, source, destination, newShape, strides, count)
                case 2: Self.transpose(UInt16.self, source, destination, newShape, strides, count)
                case 4: Self.transpose(UInt32.self, source, destination, newShape, strides, count)
                default: Self.transpose(UInt64.self, source, destination, newShape, strides, count)
                }
            }
        }
        return try Tensor(dtype: dtype, shape: newShape, bytes: output)
    }

    /// Writes the elements of `source` to `destination` in output order. `strides[i]` is the
    /// source stride (in elements) of output axis `i`. Rank ≥ 1.
    private static func transpose<Element: FixedWidthInteger>(
        _: Element.Type, _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
        _ shape: [Int], _ strides: [Int], _ count: Int
    ) {
        guard count > 0 else { return }
        let size = MemoryLayout<Element>.size
        let rank = shape.count
        let innerCount = shape[rank - 1]
        let innerStride = strides[rank - 1] * size
        var index = [Int](repeating: 0, count: rank)
        var sourceOffset = 0
        var outputOffset = 0
        let end = count * size
        while outputOffset < end {
            var from = sourceOffset
            for _ in 0..<innerCount {
                let element = source.loadUnaligned(fromByteOffset: from, as: Element.self)
                destination.storeBytes(of: element, toByteOffset: outputOffset, as: Element.self)
                from += innerStride
                outputOffset += size
            }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += strides[axis] * size
                if index[axis] < shape[axis] { break }
                sourceOffset -= strides[axis] * size * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

extension Tensor {
    /// The same elements with a new shape of the same element count (row-major order kept).
    /// Never copies: the storage, whatever its kind, is shared.
    ///
    /// With `permuted(_:)` this expresses every layout change, e.g. a Keras dense kernel after a
    /// flatten, `[H·W·C, out]` → `reshaped([H, W, C, out])` → `permuted([3, 2, 0, 1])` →
    /// `reshaped([out, C·H·W])`.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        guard newShape.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(shape: newShape) }
        guard let count = Checked.product(newShape) else { throw .shapeOverflow(shape: newShape, dtype: dtype) }
        guard count == elementCount else { throw .elementCountMismatch(expected: elementCount, actual: count) }
        return try Tensor(dtype: dtype, shape: newShape, storage: storage)
    }

    /// A tensor of `shape` with every element `value`, converted to `dtype` (rounded to nearest
    /// for the float types, truncated toward zero for the integers, throwing `valueOutOfRange` when it does not fit).
    /// Used e.g. to materialise the ones and zeros of a batch norm whose source lacked γ or β.
    public static func filled(with value: Double, dtype: DType, shape: [Int]) throws(TensorError) -> Tensor {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(shape: shape) }
        guard let count = Checked.product(shape), Checked.byteCount(dtype: dtype, shape: shape) != nil else {
            throw .shapeOverflow(shape: shape, dtype: dtype)
        }
        func integer<T: FixedWidthInteger>(_: T.Type) throws(TensorError) -> T {
            guard let result = T(exactly: value.rounded(.towardZero)) else { throw .valueOutOfRange(value: value, dtype: dtype) }
            return result
        }
        func repeated<T: TensorElement>(_ element: T) throws(TensorError) -> Tensor {
            try Tensor(values: [T](repeating: element, count: count), shape: shape)
        }
        switch dtype {
        case .f16: return try repeated(Float16(value))
        case .bf16: return try repeated(BFloat16(Float(value)))
        case .f32: return try repeated(Float(value))
        case .f64: return try repeated(value)
        case .i8: return try repeated(integer(Int8.self))
        case .i16: return try repeated(integer(Int16.self))
        case .i32: return try repeated(integer(Int32.self))
        case .i64: return try repeated(integer(Int64.self))
        case .u8: return try repeated(integer(UInt8.self))
        }
    }
}

extension Tensor {
    /// The number of elements of `shape`, or nil when a dimension is negative or the product
    /// (of the non-zero dimensions) overflows: the one overflow-checked count readers use.
    public static func elementCount(of shape: [Int]) -> Int? { Checked.product(shape) }
}
