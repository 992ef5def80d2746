/// What one pass over a floating-point tensor's values found, for the value rules.
///
/// Values are decoded from the tensor's bytes in chunks of at most 1 MiB through
/// `Tensor.forEachChunk`, so a lazy (HDF5) or mapped tensor is never held whole in memory and
/// is read exactly once, however many rules look at it. Each element is widened to `Double`
/// exactly (f16, bf16, f32 and f64 all fit), so no value is misjudged by a conversion.
struct ValueStats {
    private(set) var firstNonFinite: Int?
    private(set) var nonFiniteValue = 0.0
    private(set) var nonFiniteCount = 0
    /// Negative, NaN or infinite: impossible as a variance.
    private(set) var firstInvalidVariance: Int?
    private(set) var invalidVarianceValue = 0.0
    private(set) var invalidVarianceCount = 0
    /// True when every element is ±0 (vacuously true for an empty tensor).
    private(set) var allZero = true
    /// First element that differs from `constant`, when one was given.
    private(set) var firstNotConstant: Int?
    private(set) var notConstantValue = 0.0
    /// First valid variance v where `v + epsilon`, rounded to the tensor's 16-bit dtype, is 0 or
    /// infinite, when `narrowEpsilon` was given.
    private(set) var firstNarrowOverflow: Int?
    private(set) var narrowOverflowValue = 0.0

    /// Elements per chunk are whole: 1 MiB is a multiple of every element size, and the total
    /// byte count is `elementCount × byteSize`, so no element straddles two chunks.
    private static let chunkBytes = 1 << 20

    /// Scans `tensor` (floating point). Throws what reading its bytes threw.
    init(_ tensor: Tensor, constant: Double?, narrowEpsilon: Double?) throws {
        let dtype = tensor.dtype
        let size = dtype.byteSize
        var index = 0
        try tensor.forEachChunk(maxChunkBytes: Self.chunkBytes) { chunk in
            var offset = 0
            while chunk.count - offset >= size {
                let value: Double
                switch dtype {
                case .f32:
                    value = Double(Float(bitPattern: UInt32(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
                case .f64:
                    value = Double(bitPattern: UInt64(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                case .f16:
                    value = Double(Float(Float16(bitPattern: UInt16(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))))
                case .bf16:
                    value = Double(BFloat16(bitPattern: UInt16(littleEndian: chunk.loadUnaligned(fromByteOffset: offset, as: UInt16.self))).floatValue)
                default:
                    return
                }
                self.visit(index, value, constant: constant, narrowEpsilon: narrowEpsilon, dtype: dtype)
                index += 1
                offset += size
            }
        }
    }

    private mutating func visit(_ index: Int, _ value: Double, constant: Double?, narrowEpsilon: Double?, dtype: DType) {
        if !value.isFinite {
            nonFiniteCount += 1
            if firstNonFinite == nil { firstNonFinite = index; nonFiniteValue = value }
        }
        if !value.isFinite || value < 0 {
            invalidVarianceCount += 1
            if firstInvalidVariance == nil { firstInvalidVariance = index; invalidVarianceValue = value }
        }
        if value != 0 { allZero = false }
        if let constant, firstNotConstant == nil, value != constant {
            firstNotConstant = index
            notConstantValue = value
        }
        if let narrowEpsilon, firstNarrowOverflow == nil, value.isFinite, value >= 0 {
            let sum = Float(value + narrowEpsilon)
            let narrow: Float = dtype == .f16 ? Float(Float16(sum)) : BFloat16(sum).floatValue
            if narrow == 0 || !narrow.isFinite {
                firstNarrowOverflow = index
                narrowOverflowValue = Double(narrow)
            }
        }
    }
}
