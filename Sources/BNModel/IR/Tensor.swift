/// An n-dimensional array of one `DType`, in the native layout of the role it plays.
///
/// Elements are stored row-major (last axis fastest) and little-endian. The storage is one of
/// three kinds so that a conversion never needs two copies of the weights in memory: bytes owned
/// in memory, a zero-copy view into a memory-mapped `.bnm`, or a lazy source (e.g. an HDF5
/// dataset) read on demand. `Tensor` is a value: copying it copies a reference, never the bytes.
///
/// The initialisers check that `dtype.byteSize × product(shape)` equals the storage's byte
/// count, with overflow checks, so every `Tensor` that exists is consistent.
public struct Tensor: Sendable {
    /// Where a tensor's bytes live.
    public enum Storage: Sendable {
        /// Bytes owned by the tensor.
        case memory([UInt8])
        /// A view into a memory-mapped file; the region keeps the mapping alive.
        case mapped(MappedRegion)
        /// Bytes produced on demand by a source, e.g. an HDF5 dataset.
        case lazy(any TensorSource)

        /// Size of the stored bytes.
        public var byteCount: Int {
            switch self {
            case .memory(let bytes): return bytes.count
            case .mapped(let region): return region.count
            case .lazy(let source): return source.byteCount
            }
        }
    }

    public let dtype: DType
    /// Dimensions, outermost first. `[]` is a scalar (one element).
    public let shape: [Int]
    public let storage: Storage
    /// Product of `shape` (1 for a scalar).
    public let elementCount: Int

    /// Size of the data in bytes: `dtype.byteSize × elementCount`.
    public var byteCount: Int { elementCount * dtype.byteSize }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Makes a tensor over existing storage; throws if the sizes do not agree.
    public init(dtype: DType, shape: [Int], storage: Storage) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(shape: shape) }
        guard let count = Checked.product(shape), let bytes = Checked.byteCount(dtype: dtype, shape: shape) else {
            throw .shapeOverflow(shape: shape, dtype: dtype)
        }
        guard bytes == storage.byteCount else { throw .byteCountMismatch(expected: bytes, actual: storage.byteCount) }
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.elementCount = count
    }

    /// A tensor owning `bytes` (little-endian elements, row-major).
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws(TensorError) {
        try self.init(dtype: dtype, shape: shape, storage: .memory(bytes))
    }

    /// A tensor whose bytes are read from `source` when needed.
    public init(dtype: DType, shape: [Int], source: any TensorSource) throws(TensorError) {
        try self.init(dtype: dtype, shape: shape, storage: .lazy(source))
    }

    /// A tensor holding `values` (row-major) with the dtype of `T`, bit for bit.
    public init<T: TensorElement>(values: [T], shape: [Int]) throws(TensorError) {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(shape: shape) }
        guard let count = Checked.product(shape), Checked.byteCount(dtype: T.dtype, shape: shape) != nil else {
            throw .shapeOverflow(shape: shape, dtype: T.dtype)
        }
        guard count == values.count else { throw .elementCountMismatch(expected: count, actual: values.count) }
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        try self.init(dtype: T.dtype, shape: shape, storage: .memory(bytes))
    }

    /// A binary32 tensor holding `float32` (row-major).
    public init(float32: [Float], shape: [Int]) throws(TensorError) {
        try self.init(values: float32, shape: shape)
    }

    /// Calls `body` with all of the tensor's bytes. Memory and mapped storage are handed over
    /// without copying; a lazy source is read whole into a temporary buffer first.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch storage {
        case .memory(let bytes):
            return try bytes.withUnsafeBytes(body)
        case .mapped(let region):
            return try region.withUnsafeBytes(body)
        case .lazy(let source):
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: source.byteCount, alignment: 64)
            defer { buffer.deallocate() }
            if buffer.count > 0 { try source.read(into: buffer, at: 0) }
            return try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Calls `body` with consecutive pieces of the tensor's bytes, in order, each at most
    /// `maxChunkBytes` long, so that a lazy source is never held whole in memory.
    /// Memory and mapped storage are handed over without copying. A `maxChunkBytes` below 1
    /// is taken as 1.
    public func forEachChunk(maxChunkBytes requested: Int = 4 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let maxChunkBytes = max(requested, 1)
        switch storage {
        case .memory, .mapped:
            try withBytes { all in
                var start = 0
                while start < all.count {
                    let end = start + min(maxChunkBytes, all.count - start)
                    try body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                    start = end
                }
            }
        case .lazy(let source):
            let total = source.byteCount
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(maxChunkBytes, max(total, 1)), alignment: 64)
            defer { buffer.deallocate() }
            var start = 0
            while start < total {
                let length = min(buffer.count, total - start)
                let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try source.read(into: piece, at: start)
                try body(UnsafeRawBufferPointer(piece))
                start += length
            }
        }
    }

    /// A copy of the bytes.
    public func bytes() throws -> [UInt8] {
        if case .memory(let bytes) = storage { return bytes }
        return try withBytes { [UInt8]($0) }
    }

    /// The same tensor with its bytes copied into memory (detached from any file or source).
    public func materialized() throws -> Tensor {
        try Tensor(dtype: dtype, shape: shape, bytes: bytes())
    }

    /// The elements as `T`, bit for bit; throws unless `T.dtype == dtype`.
    public func values<T: TensorElement>(as type: T.Type = T.self) throws -> [T] {
        guard T.dtype == dtype else { throw TensorError.dtypeMismatch(expected: [T.dtype], actual: dtype) }
        return try withBytes { raw in
            [T](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
                if elementCount > 0 {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                initialized = elementCount
            }
        }
    }

    /// The elements of a floating-point tensor as `Float`.
    ///
    /// f16, bf16 and f32 convert exactly (every value, including NaN payloads that fit, and
    /// -0.0). f64 is rounded to the nearest `Float`; use `doubles()` to keep it exact.
    public func floats() throws -> [Float] {
        switch dtype {
        case .f32: return try values(as: Float.self)
        case .f16: return try values(as: Float16.self).map { Float($0) }
        case .bf16: return try values(as: BFloat16.self).map(\.floatValue)
        case .f64: return try values(as: Double.self).map { Float($0) }
        default: throw TensorError.dtypeMismatch(expected: [.f16, .bf16, .f32, .f64], actual: dtype)
        }
    }

    /// The elements of a floating-point tensor as `Double`; exact for all four float dtypes.
    public func doubles() throws -> [Double] {
        switch dtype {
        case .f64: return try values(as: Double.self)
        default: return try floats().map { Double($0) }
        }
    }

    /// True when both tensors have the same dtype, shape and bytes (bitwise: NaN == NaN with
    /// the same payload, -0.0 != 0.0).
    public func isBitwiseEqual(to other: Tensor) throws -> Bool {
        guard dtype == other.dtype, shape == other.shape else { return false }
        return try withBytes { mine in try other.withBytes { theirs in mine.elementsEqual(theirs) } }
    }
}

extension Tensor {
    /// Rows `range` of the outermost axis, as a tensor of the same dtype and inner shape. A
    /// mapped tensor's rows are a view of the same mapping (no copy); in-memory rows are copied;
    /// lazy rows stay lazy, read from the same source at their offset. This is how a large
    /// tensor is moved a block at a time.
    public func rows(_ range: Range<Int>) throws -> Tensor {
        guard let outer = shape.first, range.lowerBound >= 0, range.upperBound <= outer else {
            throw TensorError.invalidPermutation(axes: [range.lowerBound, range.upperBound], rank: rank)
        }
        let rowBytes = outer == 0 ? 0 : byteCount / outer
        let newShape = [range.count] + shape.dropFirst()
        let start = range.lowerBound * rowBytes, count = range.count * rowBytes
        switch storage {
        case .memory(let bytes):
            return try Tensor(dtype: dtype, shape: newShape, bytes: Array(bytes[start..<(start + count)]))
        case .mapped(let region):
            guard let part = MappedRegion(file: region.file, offset: region.offset + start, count: count) else {
                throw TensorError.byteCountMismatch(expected: start + count, actual: region.count)
            }
            return try Tensor(dtype: dtype, shape: newShape, storage: .mapped(part))
        case .lazy(let source):
            return try Tensor(dtype: dtype, shape: newShape, source: OffsetSource(base: source, offset: start, byteCount: count))
        }
    }

    /// Lets the kernel drop a mapped tensor's pages from this process's resident set once they
    /// have been used (see `MappedFile.release`); nothing for other storage.
    public func releasePages() {
        if case .mapped(let region) = storage { region.file.release(region.offset..<(region.offset + region.count)) }
    }
}

/// A window of another source.
struct OffsetSource: TensorSource {
    let base: any TensorSource
    let offset: Int
    let byteCount: Int

    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
        try base.read(into: buffer, at: offset + byteOffset)
    }
}
