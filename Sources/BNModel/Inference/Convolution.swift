/// A grouped 2-D cross-correlation (what TensorFlow and cuDNN call convolution) over NCHW data.
///
/// One definition serves three layer kinds: conv2d is `groups = 1`; depthwise is
/// `groups = C` with `outChannels = C·M`, so output channel `c·M + m` reads input channel `c`
/// (TensorFlow's order); a separable conv is a depthwise stage followed by a 1×1 conv2d.
/// The kernel is OIHW `[outChannels, C / groups, kh, kw]`; padding is explicit
/// `[top, bottom, left, right]` and padded cells read as zero. Each output is a double sum of
/// float32 products, plus the bias, rounded once to float32, then the activation.
struct Convolution: Sendable {
    let outChannels: Int
    let groups: Int
    /// OIHW `[outChannels, C / groups, kh, kw]`, row-major.
    let kernel: [Float]
    /// `[kh, kw]`
    let kernelSize: [Int]
    /// `[outChannels]`, or nil without a bias.
    let bias: [Float]?
    /// `[sh, sw]`
    let strides: [Int]
    /// `[dh, dw]`
    let dilation: [Int]
    /// `[top, bottom, left, right]`
    let padding: [Int]
    let activation: ResolvedActivation

    /// `input` is `[N, C, H, W]`; `outputShape` is `[N, outChannels, OH, OW]` as shape
    /// inference computed it.
    func apply(to input: NDArray, outputShape: [Int]) -> NDArray {
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputShape[2], outputShape[3])
        let (kernelHeight, kernelWidth) = (kernelSize[0], kernelSize[1])
        var output = [Float](repeating: 0, count: batch * outChannels * outHeight * outWidth)
        // A depthwise conv over zero channels has zero groups and nothing to compute.
        guard groups > 0, !output.isEmpty else { return NDArray(shape: outputShape, values: output) }
        let inPerGroup = channels / groups
        let outPerGroup = outChannels / groups
        input.values.withUnsafeBufferPointer { x in
            kernel.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    var outIndex = 0
                    for n in 0..<batch {
                        for o in 0..<outChannels {
                            let firstInput = (o / outPerGroup) * inPerGroup
                            let bias = Double(self.bias?[o] ?? 0)
                            for oy in 0..<outHeight {
                                let top = oy * strides[0] - padding[0]
                                for ox in 0..<outWidth {
                                    let left = ox * strides[1] - padding[2]
                                    var sum = 0.0
                                    for ci in 0..<inPerGroup {
                                        let plane = (n * channels + firstInput + ci) * height
                                        let filter = (o * inPerGroup + ci) * kernelHeight
                                        for ky in 0..<kernelHeight {
                                            let iy = top + ky * dilation[0]
                                            if iy < 0 || iy >= height { continue }
                                            let row = (plane + iy) * width
                                            let weights = (filter + ky) * kernelWidth
                                            for kx in 0..<kernelWidth {
                                                let ix = left + kx * dilation[1]
                                                if ix < 0 || ix >= width { continue }
                                                sum += Double(x[row + ix]) * Double(w[weights + kx])
                                            }
                                        }
                                    }
                                    y[outIndex] = Float(sum + bias)
                                    outIndex += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        var result = NDArray(shape: outputShape, values: output)
        activation.apply(to: &result)
        return result
    }
}

/// A fully connected layer `y = W x + b` on `[N, in]`, W `[out, in]` row-major; each output a
/// double sum rounded once to float32, then the activation.
struct Dense: Sendable {
    let units: Int
    /// `[units, in]`, row-major.
    let kernel: [Float]
    /// `[units]`, or nil without a bias.
    let bias: [Float]?
    let activation: ResolvedActivation

    func apply(to input: NDArray, outputShape: [Int]) -> NDArray {
        let (batch, features) = (input.shape[0], input.shape[1])
        var output = [Float](repeating: 0, count: batch * units)
        input.values.withUnsafeBufferPointer { x in
            kernel.withUnsafeBufferPointer { w in
                for n in 0..<batch {
                    for o in 0..<units {
                        var sum = Double(bias?[o] ?? 0)
                        for i in 0..<features {
                            sum += Double(w[o * features + i]) * Double(x[n * features + i])
                        }
                        output[n * units + o] = Float(sum)
                    }
                }
            }
        }
        var result = NDArray(shape: outputShape, values: output)
        activation.apply(to: &result)
        return result
    }
}
