/// Problems with a tensor's description or contents, independent of any file format.
public enum TensorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A dimension is negative.
    case negativeDimension(shape: [Int])
    /// The element count or byte count of `shape` does not fit in `Int`.
    case shapeOverflow(shape: [Int], dtype: DType)
    /// The storage holds `actual` bytes but `dtype` × `shape` needs `expected`.
    case byteCountMismatch(expected: Int, actual: Int)
    /// The values array has `actual` elements but the shape needs `expected`.
    case elementCountMismatch(expected: Int, actual: Int)
    /// `permuted(_:)` was given something that is not a permutation of `0..<rank`.
    case invalidPermutation(axes: [Int], rank: Int)
    /// A typed accessor was asked for a dtype the tensor does not have.
    case dtypeMismatch(expected: [DType], actual: DType)
    /// A lazy source was asked for bytes outside `0..<byteCount`.
    case sourceRangeOutOfBounds(offset: Int, count: Int, byteCount: Int)
    /// A value does not fit the integer dtype it was to be stored as.
    case valueOutOfRange(value: Double, dtype: DType)

    public var description: String {
        switch self {
        case .negativeDimension(let shape):
            return "shape \(shape) has a negative dimension"
        case .shapeOverflow(let shape, let dtype):
            return "shape \(shape) of \(dtype.rawValue) is too large: its byte count overflows a 64-bit integer"
        case .byteCountMismatch(let expected, let actual):
            return "tensor storage holds \(actual) bytes but dtype × shape needs \(expected)"
        case .elementCountMismatch(let expected, let actual):
            return "\(actual) values given but the shape needs \(expected)"
        case .invalidPermutation(let axes, let rank):
            return "axes \(axes) are not a permutation of 0..<\(rank)"
        case .dtypeMismatch(let expected, let actual):
            return "tensor has dtype \(actual.rawValue), expected one of \(expected.map(\.rawValue))"
        case .sourceRangeOutOfBounds(let offset, let count, let byteCount):
            return "read of \(count) bytes at offset \(offset) is outside the source's \(byteCount) bytes"
        case .valueOutOfRange(let value, let dtype):
            return "\(value) does not fit in \(dtype.rawValue)"
        }
    }
}

/// Overflow-checked size arithmetic shared by `Tensor` and the `.bnm` reader.
enum Checked {
    /// The product of `dims`, or nil when a dimension is negative or the product of the
    /// non-zero dimensions overflows. A zero dimension makes the product 0, but only when the
    /// other dimensions multiply out: an empty `[0, 2⁴⁰, 2⁴⁰]` is refused, because code that
    /// walks a shape (strides, planes, windows) multiplies those other dimensions too.
    static func product(_ dims: [Int]) -> Int? {
        guard dims.allSatisfy({ $0 >= 0 }) else { return nil }
        var result = 1
        for dim in dims where dim != 0 {
            let (value, overflow) = result.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            result = value
        }
        return dims.contains(0) ? 0 : result
    }

    /// `dtype.byteSize × product(shape)`, or nil on a negative dimension or overflow.
    static func byteCount(dtype: DType, shape: [Int]) -> Int? {
        guard let count = product(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// `a + b`, or nil on overflow.
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }

    /// `value` rounded up to a multiple of `alignment` (a power of two), or nil on overflow.
    static func alignUp(_ value: Int, to alignment: Int) -> Int? {
        guard let bumped = add(value, alignment - 1) else { return nil }
        return bumped & ~(alignment - 1)
    }
}
