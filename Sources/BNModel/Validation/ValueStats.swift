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

    let dtype: DType
    let constant: Double?
    let narrowEpsilon: Double?
    /// Whether negative values matter (a batch norm's variance): everywhere else they are
    /// ordinary, and the fast scan must not fall back to decoding for them.
    let isVariance: Bool
    /// Elements seen so far: the index of the next one.
    private var index = 0
    /// The first bytes of an element split between two chunks.
    private var carry: [UInt8] = []

    private static let chunkBytes = 1 << 20

    /// What the value rules expect of a tensor beyond finiteness: the constant a materialised
    /// batch-norm γ (1) or β (0) must hold, and the ε to add to a 16-bit variance to check
    /// that it stays a positive finite number in that dtype.
    static func expectations(for role: TensorRole, dtype: DType, in layer: Layer)
        -> (constant: Double?, narrowEpsilon: Double?, isVariance: Bool) {
        guard case .batchNorm(let config) = layer.op else { return (nil, nil, false) }
        let constant: Double? = config.materialized.contains(role) ? (role == .gamma ? 1 : 0) : nil
        let narrow = role == .variance && (dtype == .f16 || dtype == .bf16) ? config.epsilon : nil
        return (constant, narrow, role == .variance)
    }

    /// Ready to be fed a floating-point tensor's bytes, in order, through `add(_:)`.
    init(dtype: DType, constant: Double?, narrowEpsilon: Double?, isVariance: Bool) {
        self.dtype = dtype
        self.constant = constant
        self.narrowEpsilon = narrowEpsilon
        self.isVariance = isVariance
    }

    /// Scans `tensor` (floating point). Throws what reading its bytes threw.
    init(_ tensor: Tensor, constant: Double?, narrowEpsilon: Double?, isVariance: Bool) throws {
        self.init(dtype: tensor.dtype, constant: constant, narrowEpsilon: narrowEpsilon, isVariance: isVariance)
        try tensor.forEachChunk(maxChunkBytes: Self.chunkBytes) { add($0) }
    }

    /// Feeds the next bytes of the tensor (any length: an element may straddle two calls).
    mutating func add(_ chunk: UnsafeRawBufferPointer) {
        let size = dtype.byteSize
        guard dtype.isFloatingPoint, chunk.count > 0 else { return }
        var start = 0
        if !carry.isEmpty {
            let needed = min(size - carry.count, chunk.count)
            carry += chunk[0..<needed]
            start = needed
            guard carry.count == size else { return }
            carry.withUnsafeBytes { visitAll($0) }
            carry.removeAll(keepingCapacity: true)
        }
        let whole = (chunk.count - start) / size * size
        visitAll(UnsafeRawBufferPointer(rebasing: chunk[start..<(start + whole)]))
        if start + whole < chunk.count { carry += chunk[(start + whole)...] }
    }

    /// Whole elements. float32 without a constant or a narrow dtype to check — almost every
    /// weight — is first scanned as bits: when nothing is non-finite or negative, only
    /// "all zero" can change, and no element needs decoding.
    private mutating func visitAll(_ bytes: UnsafeRawBufferPointer) {
        let size = dtype.byteSize
        let count = bytes.count / size
        if dtype == .f32, constant == nil, narrowEpsilon == nil,
           let base = bytes.baseAddress, Int(bitPattern: base) % 4 == 0 {
            let words = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt32.self), count: count)
            var magnitudes: UInt32 = 0
            var nonFinite: UInt32 = 0
            var negative: UInt32 = 0
            for word in words {
                let bits = UInt32(littleEndian: word)
                magnitudes |= bits & 0x7FFF_FFFF
                // Exponent all ones: ±inf or NaN. Sign set on a non-zero magnitude: below zero.
                nonFinite |= ((bits & 0x7F80_0000) &+ 0x0080_0000) & 0x8000_0000
                negative |= bits > 0x8000_0000 ? 1 : 0
            }
            if nonFinite == 0, !isVariance || negative == 0 {
                if magnitudes != 0 { allZero = false }
                index += count
                return
            }
        }
        for position in 0..<count {
            let offset = position * size
            let value: Double
            switch dtype {
            case .f32:
                value = Double(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
            case .f64:
                value = Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            case .f16:
                value = Double(Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))))
            case .bf16:
                value = Double(BFloat16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))).floatValue)
            default:
                return
            }
            visit(index, value, constant: constant, narrowEpsilon: narrowEpsilon, dtype: dtype)
            index += 1
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

/// Value statistics gathered while a model's tensors stream past once — the `.bnm` writer's
/// pass — so that validation need not read every weight a second time. Feed each tensor's
/// bytes in order with `add(_:role:layer:)`, then pass the scan to `Validator.validate`.
public struct ValueScan: Sendable {
    var stats: [TensorKey: ValueStats] = [:]

    public init() {}

    /// The next bytes of tensor `role` of `layer` (non-floating-point tensors are ignored).
    public mutating func add(_ bytes: UnsafeRawBufferPointer, role: TensorRole, layer: Layer) {
        guard let tensor = layer.tensor(role), tensor.dtype.isFloatingPoint else { return }
        let key = TensorKey(layer: layer.name, role: role.rawValue)
        if stats[key] == nil {
            let (constant, narrow, isVariance) = ValueStats.expectations(for: role, dtype: tensor.dtype, in: layer)
            stats[key] = ValueStats(dtype: tensor.dtype, constant: constant, narrowEpsilon: narrow, isVariance: isVariance)
        }
        stats[key]!.add(bytes)
    }
}
