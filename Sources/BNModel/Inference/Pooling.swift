/// Window and global pooling over NCHW data with explicit `[top, bottom, left, right]` padding.
///
/// Max pooling never sees padded cells (as if they were −∞). Average pooling sums the real
/// cells in double and divides by their number when `countIncludesPadding` is false
/// (TensorFlow "same", cuDNN `..._COUNT_EXCLUDE_PADDING`), or by the whole window `ph·pw` when
/// true. A window that covers no real cell (only possible with padding ≥ the window) gives 0.
enum Pooling {
    static func max(_ input: NDArray, config: Pool2DConfig, outputShape: [Int]) -> NDArray {
        window(input, config: config, outputShape: outputShape) { cells in
            largest(cells)
        }
    }

    static func average(_ input: NDArray, config: Pool2DConfig, outputShape: [Int]) -> NDArray {
        // In double: a window (mostly padding) may be larger than any array.
        let windowSize = Double(config.poolSize[0]) * Double(config.poolSize[1])
        return window(input, config: config, outputShape: outputShape) { cells in
            guard !cells.isEmpty else { return 0 }
            var sum = 0.0
            for value in cells { sum += Double(value) }
            return Float(sum / (config.countIncludesPadding ? windowSize : Double(cells.count)))
        }
    }

    /// The largest value; NaN if there is one, so that a NaN is never hidden from a comparison;
    /// 0 when empty.
    private static func largest<Values: Collection<Float>>(_ values: Values) -> Float {
        guard !values.isEmpty else { return 0 }
        var best = -Float.infinity
        for value in values {
            if value.isNaN { return value }
            if value > best { best = value }
        }
        return best
    }

    /// Mean over H and W of each `[n, c]` plane; output `[N, C]` or `[N, C, 1, 1]`.
    static func globalAverage(_ input: NDArray, outputShape: [Int]) -> NDArray {
        planes(input, outputShape: outputShape) { plane in
            guard !plane.isEmpty else { return 0 }
            var sum = 0.0
            for value in plane { sum += Double(value) }
            return Float(sum / Double(plane.count))
        }
    }

    /// Maximum over H and W of each `[n, c]` plane.
    static func globalMax(_ input: NDArray, outputShape: [Int]) -> NDArray {
        planes(input, outputShape: outputShape) { plane in
            largest(plane)
        }
    }

    /// Calls `reduce` with the real (unpadded) cells of every window, in row-major order, and
    /// collects the results as `[N, C, OH, OW]`.
    private static func window(_ input: NDArray, config: Pool2DConfig, outputShape: [Int],
                               reduce: ([Float]) -> Float) -> NDArray {
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputShape[2], outputShape[3])
        var output: [Float] = []
        output.reserveCapacity(batch * channels * outHeight * outWidth)
        var cells: [Float] = []
        cells.reserveCapacity(Swift.min(config.poolSize[0], height) * Swift.min(config.poolSize[1], width))
        for plane in 0..<(batch * channels) {
            let base = plane * height * width
            for oy in 0..<outHeight {
                let top = oy * config.strides[0] - config.padding[0]
                let rows = clamped(top, config.poolSize[0], height)
                for ox in 0..<outWidth {
                    let left = ox * config.strides[1] - config.padding[2]
                    let columns = clamped(left, config.poolSize[1], width)
                    cells.removeAll(keepingCapacity: true)
                    for y in rows {
                        for x in columns { cells.append(input.values[base + y * width + x]) }
                    }
                    output.append(reduce(cells))
                }
            }
        }
        return NDArray(shape: outputShape, values: output)
    }

    /// The real cells `start..<start + size` of an axis of `count` cells (empty when the window
    /// lies wholly in the padding).
    private static func clamped(_ start: Int, _ size: Int, _ count: Int) -> Range<Int> {
        let lower = Swift.min(Swift.max(start, 0), count)
        return lower..<Swift.max(Swift.min(start + size, count), lower)
    }

    /// Calls `reduce` with each `[n, c]` plane of H·W values; the results are `[N, C]` (or
    /// `[N, C, 1, 1]`, the same values).
    private static func planes(_ input: NDArray, outputShape: [Int], reduce: (ArraySlice<Float>) -> Float) -> NDArray {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let planeSize = input.shape[2] * input.shape[3]
        var output: [Float] = []
        output.reserveCapacity(batch * channels)
        for plane in 0..<(batch * channels) {
            output.append(reduce(input.values[(plane * planeSize)..<((plane + 1) * planeSize)]))
        }
        return NDArray(shape: outputShape, values: output)
    }
}
