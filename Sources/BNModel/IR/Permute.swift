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
    ///
    /// Two output axes are walked in tiles: the last one (consecutive writes) and the one
    /// with source stride 1 (consecutive reads), so both sides touch whole cache lines — an
    /// element-by-element walk of e.g. a 25088 × 4096 transpose misses the cache on every read.
    /// Every other axis is an outer loop. When one axis is contiguous on both sides (or the
    /// source has no stride-1 axis left) the inner loop is a plain strided copy.
    private static func transpose<Element: FixedWidthInteger>(
        _: Element.Type, _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
        _ shapeIn: [Int], _ stridesIn: [Int], _ count: Int
    ) {
        guard count > 0, let from = source.baseAddress, let to = destination.baseAddress else { return }
        let input = from.assumingMemoryBound(to: Element.self)
        let output = to.assumingMemoryBound(to: Element.self)
        // Simplify first: axes of size 1 move nothing, and two output axes that are also
        // consecutive in the source are one axis (HWIO → OIHW is [H·W, I, O] → [O, I, H·W];
        // a 1×1 kernel is a plain 2-D transpose).
        var shape: [Int] = [], strides: [Int] = []
        for (extent, step) in zip(shapeIn, stridesIn) where extent > 1 {
            if let last = shape.last, strides.last! == step * extent {
                shape[shape.count - 1] = last * extent
                strides[strides.count - 1] = step
            } else {
                shape.append(extent)
                strides.append(step)
            }
        }
        if shape.isEmpty { (shape, strides) = ([1], [1]) }
        let rank = shape.count
        var outputStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { outputStrides[axis] = outputStrides[axis + 1] * shape[axis + 1] }
        let last = rank - 1
        let contiguous = strides.indices.first { strides[$0] == 1 && shape[$0] > 1 }
        let tile = 32
        // Tiled pair (read-contiguous axis, write-contiguous axis), or a strided row copy.
        let pair: (read: Int, write: Int)? = contiguous.flatMap { $0 == last ? nil : ($0, last) }
        let outer = (0..<rank).filter { $0 != last && $0 != pair?.read }
        var index = [Int](repeating: 0, count: outer.count)
        while true {
            var sourceBase = 0
            var outputBase = 0
            for (position, axis) in outer.enumerated() {
                sourceBase += index[position] * strides[axis]
                outputBase += index[position] * outputStrides[axis]
            }
            if let (read, write) = pair {
                let readLength = shape[read], writeLength = shape[write]
                let readOut = outputStrides[read], writeIn = strides[write]
                var r0 = 0
                while r0 < readLength {
                    let r1 = min(r0 + tile, readLength)
                    var w0 = 0
                    while w0 < writeLength {
                        let w1 = min(w0 + tile, writeLength)
                        for r in r0..<r1 {
                            let sourceRow = input + (sourceBase + r)
                            let outputRow = output + (outputBase + r * readOut)
                            for w in w0..<w1 { outputRow[w] = sourceRow[w * writeIn] }
                        }
                        w0 = w1
                    }
                    r0 = r1
                }
            } else {
                let length = shape[last], step = strides[last]
                let sourceRow = input + sourceBase
                let outputRow = output + outputBase
                if step == 1 {
                    outputRow.update(from: sourceRow, count: length)
                } else {
                    for w in 0..<length { outputRow[w] = sourceRow[w * step] }
                }
            }
            // Next outer index, last outer axis fastest.
            var position = outer.count - 1
            while position >= 0 {
                index[position] += 1
                if index[position] < shape[outer[position]] { break }
                index[position] = 0
                position -= 1
            }
            if position < 0 { return }
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
