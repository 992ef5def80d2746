/// Operations that move values without arithmetic: concatenation and zero padding on
/// row-major native arrays (batch included).
enum Layout {
    /// Joins `inputs` along `axis` (of the full array, batch included, non-negative): for every
    /// position of the axes before it, the inputs' slabs follow one another in operand order.
    static func concatenate(_ inputs: [NDArray], axis: Int, outputShape: [Int]) -> NDArray {
        let outer = outputShape[..<axis].reduce(1, *)
        let slabs = inputs.map { $0.shape[axis...].reduce(1, *) }
        var output: [Float] = []
        output.reserveCapacity(outputShape.reduce(1, *))
        for o in 0..<outer {
            for (input, slab) in zip(inputs, slabs) {
                output.append(contentsOf: input.values[(o * slab)..<((o + 1) * slab)])
            }
        }
        return NDArray(shape: outputShape, values: output)
    }

    /// Surrounds every `[H, W]` plane of `[N, C, H, W]` with zeros: `padding` is
    /// `[top, bottom, left, right]`.
    static func zeroPad(_ input: NDArray, padding: [Int], outputShape: [Int]) -> NDArray {
        let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputShape[2], outputShape[3])
        var output = [Float](repeating: 0, count: planes * outHeight * outWidth)
        for plane in 0..<planes {
            for y in 0..<height {
                let source = (plane * height + y) * width
                let destination = (plane * outHeight + y + padding[0]) * outWidth + padding[2]
                for x in 0..<width { output[destination + x] = input.values[source + x] }
            }
        }
        return NDArray(shape: outputShape, values: output)
    }

    /// Nearest-neighbour upsampling: output (y, x) takes input (y / sh, x / sw), per plane.
    static func upsample(_ input: NDArray, size: [Int], outputShape: [Int]) -> NDArray {
        let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputShape[2], outputShape[3])
        var output = [Float](repeating: 0, count: planes * outHeight * outWidth)
        for plane in 0..<planes {
            for y in 0..<outHeight {
                let source = (plane * height + y / size[0]) * width
                let destination = (plane * outHeight + y) * outWidth
                for x in 0..<outWidth { output[destination + x] = input.values[source + x / size[1]] }
            }
        }
        return NDArray(shape: outputShape, values: output)
    }

    /// Keeps rows `top ..< H − bottom` and columns `left ..< W − right` of every plane.
    static func crop(_ input: NDArray, cropping: [Int], outputShape: [Int]) -> NDArray {
        let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputShape[2], outputShape[3])
        var output: [Float] = []
        output.reserveCapacity(planes * outHeight * outWidth)
        for plane in 0..<planes {
            for y in 0..<outHeight {
                let start = (plane * height + y + cropping[0]) * width + cropping[2]
                output.append(contentsOf: input.values[start..<(start + outWidth)])
            }
        }
        return NDArray(shape: outputShape, values: output)
    }
}
