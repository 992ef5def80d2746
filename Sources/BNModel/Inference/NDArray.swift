/// A dense float32 array with its batch axis: the unit of data that the reference forward
/// pass, `.npy` files and comparisons exchange.
///
/// `values` are row-major (last axis fastest). Model data is native NCHW: `[N, C, H, W]` for
/// feature maps and `[N, F]` for vectors. Keras' own inputs and predictions are channels-last
/// (`[N, H, W, C]`); convert with `transposedNHWCtoNCHW()` / `transposedNCHWtoNHWC()`.
///
/// The memberwise initialiser does not check that `values.count` is the product of `shape`;
/// every consumer (`ReferenceInterpreter.run`, `NPY.write`, `Comparison`) checks it and throws.
public struct NDArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    public var expectedCount: Int? { Checked.product(shape) }

    /// True when `values.count` is exactly the product of `shape`.
    public var isConsistent: Bool { expectedCount == values.count }

    /// This `[N, H, W, C]` array as `[N, C, H, W]` (Keras input → native). A rank-2 `[N, F]`
    /// array has no spatial layout and is returned unchanged; other ranks throw.
    public func transposedNHWCtoNCHW() throws(NDArrayError) -> NDArray {
        try permutedForLayout(rank4Axes: [0, 3, 1, 2], conversion: "NHWC → NCHW")
    }

    /// This `[N, C, H, W]` array as `[N, H, W, C]` (native → Keras prediction layout). A rank-2
    /// `[N, F]` array is returned unchanged; other ranks throw.
    public func transposedNCHWtoNHWC() throws(NDArrayError) -> NDArray {
        try permutedForLayout(rank4Axes: [0, 2, 3, 1], conversion: "NCHW → NHWC")
    }

    /// Moves the elements with `Tensor.permuted`, the one transpose every layout change in the
    /// converter uses.
    private func permutedForLayout(rank4Axes axes: [Int], conversion: String) throws(NDArrayError) -> NDArray {
        guard isConsistent else { throw .valueCount(shape: shape, count: values.count) }
        switch shape.count {
        case 2:
            return self
        case 4:
            do {
                let moved = try Tensor(float32: values, shape: shape).permuted(axes)
                return NDArray(shape: moved.shape, values: try moved.floats())
            } catch {
                // Unreachable for a consistent rank-4 float32 array; reported rather than trapped.
                throw .layout(conversion: conversion, shape: shape, reason: "\(error)")
            }
        default:
            throw .layout(conversion: conversion, shape: shape, reason: "only [N, H, W, C] / [N, C, H, W] maps and [N, F] vectors have a channel layout")
        }
    }
}

/// An `NDArray` that cannot be used as asked.
public enum NDArrayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `values` holds `count` numbers, but `shape` needs a different number (or overflows).
    case valueCount(shape: [Int], count: Int)
    /// A layout conversion does not apply to an array of `shape`.
    case layout(conversion: String, shape: [Int], reason: String)

    public var description: String {
        switch self {
        case .valueCount(let shape, let count):
            return "array of shape \(shape) holds \(count) values, which is not the product of its shape"
        case .layout(let conversion, let shape, let reason):
            return "cannot convert an array of shape \(shape) \(conversion): \(reason)"
        }
    }
}
