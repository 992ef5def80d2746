import Foundation
import BNModel

/// How a Keras tensor's elements are ordered relative to the native (NCHW) tensor that
/// carries the same values. Every layout permutation of the converter is derived from this,
/// so forward mapping, weight permutation and the reverse conversion agree by construction.
enum KerasLayout: Equatable {
    /// A per-sample map, native `[C, H, W]`. `kerasAxes[i]` is the native axis Keras stores
    /// as its i-th non-batch axis: channels_last is `[1, 2, 0]` (H, W, C), channels_first `[0, 1, 2]`.
    case map(kerasAxes: [Int])
    /// A feature vector. `order == nil` means Keras and the engine number features the same
    /// way. Otherwise the vector came from flattening a native `[C, H, W]` map whose Keras
    /// flattening walked `kerasAxes` in row-major order (H, W, C for channels_last), while the
    /// engine's Flatten walks C, H, W.
    case vector(order: FlattenOrder?)
    /// A feature vector made by concatenating vectors of which at least one came from a
    /// flattened map: Keras' order differs from the engine's segment by segment.
    case segmentedVector([VectorSegment])
    /// What a Keras Reshape made that is neither an image nor a flat vector (e.g. `(9, 6)`):
    /// the engine holds it flat, in Keras' element order when `order` is nil. Only
    /// element-wise layers, Flatten and further Reshapes may consume it; anything that acts
    /// along an axis is refused rather than guessed.
    case reshaped(kerasShape: [Int], order: FlattenOrder?)

    /// Native axes in Keras' order for a data format: H, W, C (channels_last) or C, H, W.
    static func kerasAxes(dataFormat: String?) -> [Int] {
        dataFormat == "channels_first" ? [0, 1, 2] : [1, 2, 0]
    }

    static func map(dataFormat: String?) -> KerasLayout {
        .map(kerasAxes: kerasAxes(dataFormat: dataFormat))
    }

    /// The native `[C, H, W]` of a map Keras shapes as `kerasDims` along `kerasAxes`.
    static func nativeShape(kerasDims: [Int], kerasAxes: [Int]) -> [Int] {
        var native = [0, 0, 0]
        for (kerasIndex, nativeAxis) in kerasAxes.enumerated() { native[nativeAxis] = kerasDims[kerasIndex] }
        return native
    }
}

/// A run of consecutive features of a concatenated vector, with its own Keras order (nil:
/// the same as the engine's).
struct VectorSegment: Equatable {
    var length: Int
    var order: FlattenOrder?

    /// Segments of a vector input of `length` features laid out as `layout`, for concatenation.
    static func of(_ layout: KerasLayout?, length: Int) -> [VectorSegment]? {
        switch layout {
        case let .vector(order)?: return [VectorSegment(length: length, order: order)]
        case let .segmentedVector(segments)?: return segments
        default: return nil
        }
    }

    /// Moves whole rows (the first axis) of `tensor` between Keras' and the engine's feature
    /// order, segment by segment, each with `FlattenOrder`'s one permutation.
    static func reorderRows(_ tensor: Tensor, _ segments: [VectorSegment], toNative: Bool) throws -> Tensor {
        // The segments may come from a file's provenance: every number is checked before use.
        let rest = Array(tensor.shape.dropFirst())
        let rows = tensor.shape.first ?? 0
        let rowBytes = tensor.rank == 0 ? 0 : tensor.byteCount / max(rows, 1)
        let mismatch = TensorError.elementCountMismatch(expected: rows, actual: segments.reduce(0) { $0 &+ $1.length })
        var total = 0
        for segment in segments {
            guard case let (sum, false) = total.addingReportingOverflow(segment.length), sum <= rows else { throw mismatch }
            if let order = segment.order, productIfRepresentable(order.mapShape) != segment.length { throw mismatch }
            total = sum
        }
        guard total == rows else { throw mismatch }
        let bytes = try tensor.bytes()
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var row = 0
        for segment in segments {
            let slice = Array(bytes[(row * rowBytes)..<((row + segment.length) * rowBytes)])
            if let order = segment.order {
                let part = try Tensor(dtype: tensor.dtype, shape: [segment.length] + rest, bytes: slice)
                let trailing = Array(3..<(3 + rest.count))
                let moved = toNative
                    ? try part.reshaped(order.kerasDims + rest).permuted(order.toNative + trailing)
                    : try part.reshaped(order.mapShape + rest).permuted(order.kerasAxes + trailing)
                output += try moved.bytes()
            } else {
                output += slice
            }
            row += segment.length
        }
        return try Tensor(dtype: tensor.dtype, shape: tensor.shape, bytes: output)
    }
}

/// The product of `dims`, or nil when a dimension is negative or the product overflows.
func productIfRepresentable(_ dims: [Int]) -> Int? {
    var product = 1
    for dim in dims {
        guard dim >= 0, case let (next, false) = product.multipliedReportingOverflow(by: dim) else { return nil }
        product = next
    }
    return product
}

/// The order a Keras Flatten produced, relative to the engine's C, H, W flattening.
struct FlattenOrder: Equatable {
    /// The native map shape `[C, H, W]` that was flattened.
    var mapShape: [Int]
    /// Native axes in the order Keras walked them (outermost first).
    var kerasAxes: [Int]

    /// `mapShape` as Keras laid it out: the dims a Keras-ordered feature vector reshapes to.
    var kerasDims: [Int] { kerasAxes.map { mapShape[$0] } }

    /// The permutation taking a tensor shaped `kerasDims` to native `[C, H, W]`.
    var toNative: [Int] { inversePermutation(kerasAxes) }

    /// Nil when the two flattenings agree (nothing to permute).
    static func make(mapShape: [Int], kerasAxes: [Int]) -> FlattenOrder? {
        // Axes of size 1 do not change the order; drop them from the comparison.
        let significant = kerasAxes.filter { mapShape[$0] != 1 }
        return significant == significant.sorted() ? nil : FlattenOrder(mapShape: mapShape, kerasAxes: kerasAxes)
    }
}

/// How one Keras weight becomes one native tensor, and back: every layout permutation of the
/// converter, each written once and used by the forward conversion (Keras → `.bnm`) and the
/// reverse one (`.bnm` → Keras) alike. All moves go through the IR's one N-d transpose,
/// `Tensor.permuted`.
enum WeightTransform: Equatable {
    /// Biases and anything carried over verbatim: same elements, native shape as stored.
    case identity
    /// Conv2D and pointwise kernels: Keras HWIO `[kh, kw, in, out]` ↔ native OIHW `[out, in, kh, kw]`.
    case convKernel
    /// Keras depthwise `[kh, kw, C, M]` ↔ native `[C·M, 1, kh, kw]`: output channel `c·M + m`
    /// reads input channel `c`, as in TensorFlow and cuDNN grouped convolution.
    case depthwiseKernel
    /// Dense `[in, out]` ↔ native `[out, in]`; when the input features came from a Keras flatten
    /// in another order, the `in` axis is also reordered to the engine's C, H, W.
    case denseKernel(FlattenOrder?)
    /// Spatial BN parameters `[F]` ↔ native `[1, F, 1, 1]`, reordered like a Dense input when
    /// the BN follows a Flatten directly.
    case batchNormVector(FlattenOrder?)
    /// Per-activation BN parameters in Keras' map layout (`H×W×C`, maybe with leading 1s) ↔
    /// native `[1, C, H, W]`. `nativeShape` is `[C, H, W]`.
    case perActivation(kerasAxes: [Int], nativeShape: [Int])
    /// Dense `[in, out]` ↔ `[out, in]` behind a concatenation of flattened maps: the `in` rows
    /// reordered segment by segment.
    case denseKernelSegments([VectorSegment])
    /// Spatial BN parameters `[F]` ↔ `[1, F, 1, 1]` behind such a concatenation.
    case batchNormSegments([VectorSegment])

    private static let convToNative = [3, 2, 0, 1]
    private static let convToKeras = [2, 3, 1, 0]

    /// The native tensor for a Keras weight. Nothing is read here: a transform that moves
    /// elements returns a lazy tensor that reads and permutes its source when the writer
    /// streams it, so a conversion holds one tensor in memory at a time, not the model.
    func forward(_ keras: Tensor) throws -> Tensor {
        let shape = try nativeShape(of: keras)
        if case .identity = self { return keras }
        if case .batchNormVector(nil) = self { return try keras.reshaped(shape) }
        return try Tensor(dtype: keras.dtype, shape: shape, source: TransformedSource(keras: keras, transform: self, byteCount: keras.byteCount))
    }

    /// The native shape `forward` produces, computed without reading anything.
    private func nativeShape(of keras: Tensor) throws -> [Int] {
        switch self {
        case .identity: return keras.shape
        case .convKernel: return Self.convToNative.map { keras.shape[$0] }
        case .depthwiseKernel: return [keras.shape[2] * keras.shape[3], 1, keras.shape[0], keras.shape[1]]
        case .denseKernel: return [keras.shape[1], keras.shape[0]]
        case .batchNormVector, .batchNormSegments: return [1, keras.elementCount, 1, 1]
        case let .perActivation(_, nativeShape): return [1] + nativeShape
        case .denseKernelSegments: return [keras.shape[1], keras.shape[0]]
        }
    }

    /// The native tensor for a Keras weight, computed now (in memory).
    func forwardNow(_ keras: Tensor) throws -> Tensor {
        switch self {
        case .identity:
            return keras
        case .convKernel:
            return try keras.permuted(Self.convToNative)
        case .depthwiseKernel:
            let (kh, kw, channels, multiplier) = (keras.shape[0], keras.shape[1], keras.shape[2], keras.shape[3])
            return try keras.permuted([2, 3, 0, 1]).reshaped([channels * multiplier, 1, kh, kw])
        case let .denseKernel(order):
            guard let order else { return try keras.permuted([1, 0]) }
            let units = keras.shape[1]
            return try keras.reshaped(order.kerasDims + [units]).permuted([3] + order.toNative).reshaped([units, keras.shape[0]])
        case let .batchNormVector(order):
            let count = keras.elementCount
            guard let order else { return try keras.reshaped([1, count, 1, 1]) }
            return try keras.reshaped(order.kerasDims).permuted(order.toNative).reshaped([1, count, 1, 1])
        case let .perActivation(kerasAxes, nativeShape):
            return try keras.reshaped(kerasAxes.map { nativeShape[$0] }).permuted(inversePermutation(kerasAxes)).reshaped([1] + nativeShape)
        case let .denseKernelSegments(segments):
            return try VectorSegment.reorderRows(keras, segments, toNative: true).permuted([1, 0])
        case let .batchNormSegments(segments):
            return try VectorSegment.reorderRows(keras.reshaped([keras.elementCount]), segments, toNative: true)
                .reshaped([1, keras.elementCount, 1, 1])
        }
    }

    /// The Keras weight, shaped `kerasShape` as it was stored, for a native tensor.
    /// `kerasShape` may come from a file's provenance: ranks are checked before use.
    func inverse(_ native: Tensor, kerasShape: [Int]) throws -> Tensor {
        let rank: Int? = switch self {
        case .convKernel, .depthwiseKernel: 4
        case .denseKernel, .denseKernelSegments: 2
        case .identity, .batchNormVector, .perActivation, .batchNormSegments: nil
        }
        if let rank, kerasShape.count != rank || native.rank != rank {
            throw TensorError.invalidPermutation(axes: Array(0..<kerasShape.count), rank: native.rank)
        }
        switch self {
        case .identity:
            return try native.reshaped(kerasShape)
        case .convKernel:
            return try native.permuted(Self.convToKeras)
        case .depthwiseKernel:
            let (kh, kw, channels, multiplier) = (kerasShape[0], kerasShape[1], kerasShape[2], kerasShape[3])
            return try native.reshaped([channels, multiplier, kh, kw]).permuted([2, 3, 0, 1])
        case let .denseKernel(order):
            guard let order else { return try native.permuted([1, 0]) }
            let units = native.shape[0]
            return try native.reshaped([units] + order.mapShape).permuted(order.kerasAxes.map { $0 + 1 } + [0])
                .reshaped(kerasShape)
        case let .batchNormVector(order):
            guard let order else { return try native.reshaped(kerasShape) }
            return try native.reshaped(order.mapShape).permuted(order.kerasAxes).reshaped(kerasShape)
        case let .perActivation(kerasAxes, nativeShape):
            return try native.reshaped(nativeShape).permuted(kerasAxes).reshaped(kerasShape)
        case let .denseKernelSegments(segments):
            return try VectorSegment.reorderRows(native.permuted([1, 0]), segments, toNative: false)
        case let .batchNormSegments(segments):
            return try VectorSegment.reorderRows(native.reshaped([native.elementCount]), segments, toNative: false).reshaped(kerasShape)
        }
    }
}

/// The permutation that undoes `axes` (numpy's `argsort` of a permutation).
func inversePermutation(_ axes: [Int]) -> [Int] {
    var inverse = [Int](repeating: 0, count: axes.count)
    for (position, axis) in axes.enumerated() where axes.indices.contains(axis) { inverse[axis] = position }
    return inverse
}

/// TensorFlow's padding for "same": output `ceil(in / stride)`, the extra pixel (if the
/// total is odd) going to the bottom/right.
func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int) -> (before: Int, after: Int) {
    let output = (input + stride - 1) / stride
    let effectiveKernel = (kernel - 1) * dilation + 1
    let total = max((output - 1) * stride + effectiveKernel - input, 0)
    return (total / 2, total - total / 2)
}

/// A source that can hand out a block of a Keras weight (`start ..< start + count` on every
/// axis) without reading the rest: an HDF5 dataset, through a hyperslab.
protocol BlockReadable {
    /// The shape blocks are taken from (the dataset's own).
    var blockShape: [Int] { get }
    func readBlock(start: [Int], count: [Int], into buffer: UnsafeMutableRawBufferPointer) throws
}

extension WeightTransform {
    /// For a transform whose native rows (axis 0) come from a range of one Keras axis: that
    /// axis, and how many native rows each of its indices makes. A block of native rows is then
    /// the transform of a block of the Keras weight, so a large weight is permuted a slab at a
    /// time by the same rule as a whole one (`forwardNow`), never held whole.
    func rowSource(kerasShape shape: [Int]) -> (axis: Int, rowsPerIndex: Int)? {
        switch self {
        case .convKernel where shape.count == 4: return (3, 1)  // O is HWIO's last axis
        case .denseKernel where shape.count == 2: return (1, 1)  // [in, out] → [out, in]
        case .depthwiseKernel where shape.count == 4: return (2, shape[3])  // channel c gives rows c·M ..< (c+1)·M
        default: return nil
        }
    }
}

/// A native tensor computed from a Keras weight as the writer streams it, front to back.
///
/// A weight of up to `wholeLimit` bytes is permuted whole on first read and dropped once
/// delivered. A larger one whose native rows come from one Keras axis is produced in blocks of
/// native rows of about `blockBytes`, each the transform of one hyperslab of the Keras weight,
/// so memory stays bounded by the block, not the tensor (a 411 MB dense kernel included).
final class TransformedSource: TensorSource, @unchecked Sendable {
    let keras: Tensor
    let transform: WeightTransform
    let byteCount: Int
    let wholeLimit: Int
    let blockBytes: Int
    private let lock = NSLock()
    private var cache: [UInt8]?
    private var delivered = 0
    /// The block of native rows held now, as a byte range of the native tensor.
    private var block: (start: Int, bytes: [UInt8])?

    init(keras: Tensor, transform: WeightTransform, byteCount: Int, wholeLimit: Int = 16 << 20, blockBytes: Int = 8 << 20) {
        self.keras = keras
        self.transform = transform
        self.byteCount = byteCount
        self.wholeLimit = wholeLimit
        self.blockBytes = blockBytes
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
        try lock.withLock {
            if byteCount > wholeLimit, case .lazy(let source) = keras.storage, let blocks = source as? BlockReadable,
               blocks.blockShape == keras.shape, let rows = transform.rowSource(kerasShape: keras.shape) {
                try readBlocks(into: buffer, at: byteOffset, from: blocks, rows: rows)
                return
            }
            let bytes: [UInt8]
            if let cache { bytes = cache } else {
                bytes = try transform.forwardNow(keras).bytes()
                cache = bytes
                delivered = 0
            }
            bytes.withUnsafeBytes { all in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[byteOffset ..< byteOffset + buffer.count]))
            }
            delivered += buffer.count
            if byteOffset + buffer.count == byteCount || delivered >= byteCount { cache = nil }
        }
    }

    private func readBlocks(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int, from source: BlockReadable,
                            rows: (axis: Int, rowsPerIndex: Int)) throws {
        let shape = keras.shape
        let extent = shape[rows.axis]
        let nativeRows = extent * rows.rowsPerIndex
        let rowBytes = byteCount / max(nativeRows, 1)
        let indexBytes = rowBytes * rows.rowsPerIndex
        let perBlock = max(1, blockBytes / max(indexBytes, 1))
        var done = 0
        while done < buffer.count {
            let position = byteOffset + done
            if block == nil || position < block!.start || position >= block!.start + block!.bytes.count {
                let first = position / indexBytes / perBlock * perBlock
                let count = min(perBlock, extent - first)
                var start = [Int](repeating: 0, count: shape.count)
                var counts = shape
                start[rows.axis] = first
                counts[rows.axis] = count
                var slab = [UInt8](repeating: 0, count: count * indexBytes)
                try slab.withUnsafeMutableBytes { try source.readBlock(start: start, count: counts, into: $0) }
                let native = try transform.forwardNow(try Tensor(dtype: keras.dtype, shape: counts, bytes: slab))
                block = (first * indexBytes, try native.bytes())
            }
            let (start, bytes) = block!
            let length = min(buffer.count - done, start + bytes.count - position)
            bytes.withUnsafeBytes { all in
                (buffer.baseAddress! + done).copyMemory(from: all.baseAddress! + (position - start), byteCount: length)
            }
            done += length
        }
        if byteOffset + buffer.count == byteCount { block = nil }
    }
}
