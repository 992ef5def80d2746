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
    /// What a Keras Reshape made that is neither an image nor a flat vector (e.g. `(9, 6)`):
    /// the engine holds it flat, in Keras' element order when `order` is nil. Only
    /// element-wise layers, Flatten and further Reshapes may consume it; anything that acts
    /// along an axis is refused rather than guessed.
    case reshaped(kerasShape: [Int], order: FlattenOrder?)

    static let channelsLast = KerasLayout.map(kerasAxes: [1, 2, 0])
    static let channelsFirst = KerasLayout.map(kerasAxes: [0, 1, 2])

    static func map(dataFormat: String?) -> KerasLayout {
        dataFormat == "channels_first" ? channelsFirst : channelsLast
    }
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
    var toNative: [Int] { (0..<3).map { axis in kerasAxes.firstIndex(of: axis)! } }

    /// Nil when the two flattenings agree (nothing to permute).
    static func make(mapShape: [Int], kerasAxes: [Int]) -> FlattenOrder? {
        // Axes of size 1 do not change the order; drop them from the comparison.
        let significant = kerasAxes.filter { mapShape[$0] != 1 }
        return significant == significant.sorted() ? nil : FlattenOrder(mapShape: mapShape, kerasAxes: kerasAxes)
    }
}

/// The layout permutations the Keras side needs, each in one place.
enum KerasPermutation {
    /// Conv2D kernel: Keras HWIO `[kh, kw, in, out]` → native OIHW `[out, in, kh, kw]`.
    static let convKernel = [3, 2, 0, 1]

    /// Keras depthwise kernel `[kh, kw, C, M]` → native `[C·M, 1, kh, kw]`: output channel
    /// `c·M + m` reads input channel `c`, as in TensorFlow and cuDNN grouped convolution.
    static func depthwiseKernel(_ kernel: Tensor) throws -> Tensor {
        let (kh, kw, channels, multiplier) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
        let permuted = try kernel.permuted([2, 3, 0, 1])
        return try Tensor(dtype: kernel.dtype, shape: [channels * multiplier, 1, kh, kw], storage: permuted.storage)
    }

    /// Dense kernel `[in, out]` → native `[out, in]`; when the input features came from a
    /// Keras flatten in another order, the `in` axis is reordered to the engine's C, H, W.
    static func denseKernel(_ kernel: Tensor, inputOrder: FlattenOrder?) throws -> Tensor {
        guard let order = inputOrder else { return try kernel.permuted([1, 0]) }
        let units = kernel.shape[1]
        let unflattened = try reshaped(kernel, order.kerasDims + [units])
        let permuted = try unflattened.permuted([3] + order.toNative)
        return try reshaped(permuted, [units, kernel.shape[0]])
    }

    /// A per-feature vector `[F]` in Keras' order → the engine's order (identity when the
    /// orders agree); used for BN parameters directly after a Flatten.
    static func featureVector(_ vector: Tensor, order: FlattenOrder?) throws -> Tensor {
        guard let order else { return vector }
        let unflattened = try reshaped(vector, order.kerasDims)
        return try reshaped(try unflattened.permuted(order.toNative), [vector.elementCount])
    }

    /// Per-activation parameters stored in Keras' map layout (`H×W×C`, maybe with leading
    /// 1s) → native `[1, C, H, W]`.
    static func perActivation(_ parameter: Tensor, kerasAxes: [Int], nativeShape: [Int]) throws -> Tensor {
        let kerasDims = kerasAxes.map { nativeShape[$0] }
        let unflattened = try reshaped(parameter, kerasDims)
        let toNative = (0..<3).map { axis in kerasAxes.firstIndex(of: axis)! }
        return try reshaped(try unflattened.permuted(toNative), [1] + nativeShape)
    }

    /// Same bytes, another shape (row-major reinterpretation, no copy).
    static func reshaped(_ tensor: Tensor, _ shape: [Int]) throws -> Tensor {
        try Tensor(dtype: tensor.dtype, shape: shape, storage: tensor.storage)
    }
}

/// TensorFlow's padding for "same": output `ceil(in / stride)`, the extra pixel (if the
/// total is odd) going to the bottom/right.
func samePadding(input: Int, kernel: Int, stride: Int, dilation: Int) -> (before: Int, after: Int) {
    let output = (input + stride - 1) / stride
    let effectiveKernel = (kernel - 1) * dilation + 1
    let total = max((output - 1) * stride + effectiveKernel - input, 0)
    return (total / 2, total - total / 2)
}
