/// The checks shared by the shape rules, each throwing a `ShapeError` that names the layer.
struct ShapeRules {
    let layer: String
    let kind: String

    func inputCount(_ inputs: [[Int]], exactly count: Int) throws(ShapeError) {
        guard inputs.count == count else {
            throw .inputCount(layer: layer, kind: kind, expected: count == 0 ? "no" : "exactly \(count)", actual: inputs.count)
        }
    }

    func inputCount(_ inputs: [[Int]], atLeast count: Int) throws(ShapeError) {
        guard inputs.count >= count else {
            throw .inputCount(layer: layer, kind: kind, expected: "at least \(count)", actual: inputs.count)
        }
    }

    /// The single `[C, H, W]` input of a spatial layer.
    func map(_ inputs: [[Int]]) throws(ShapeError) -> [Int] {
        try inputCount(inputs, exactly: 1)
        guard inputs[0].count == 3 else {
            throw .inputRank(layer: layer, kind: kind, expected: "a [C, H, W] feature map", shape: inputs[0])
        }
        return inputs[0]
    }

    /// Turns an attribute limit into the shape error that names this layer.
    func attribute(_ check: () throws(AttributeIssue) -> Void) throws(ShapeError) {
        do throws(AttributeIssue) {
            try check()
        } catch {
            throw .invalidAttribute(layer: layer, kind: kind, field: error.field, message: error.message)
        }
    }

    func add(_ a: Int, _ b: Int, _ what: String) throws(ShapeError) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw .overflow(layer: layer, kind: kind, what: what) }
        return sum
    }

    func multiply(_ a: Int, _ b: Int, _ what: String) throws(ShapeError) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw .overflow(layer: layer, kind: kind, what: what) }
        return product
    }

    func product(_ dims: [Int], _ what: String) throws(ShapeError) -> Int {
        var result = 1
        for dim in dims { result = try multiply(result, dim, what) }
        return result
    }

    /// Output height and width of a sliding window: `floor((n + before + after − d·(k − 1) − 1) / s) + 1`.
    func window(_ input: [Int], kernel: [Int], strides: [Int], dilation: [Int], padding: [Int],
                kernelField: String = "kernel_size") throws(ShapeError) -> (Int, Int) {
        try attribute { () throws(AttributeIssue) in
            try Limits.pair(kernelField, kernel)
            try Limits.pair("strides", strides)
            try Limits.pair("dilation", dilation)
            try Limits.edges("padding", padding)
        }
        var sizes: [Int] = []
        for (axis, name) in ["height", "width"].enumerated() {
            let padded = try add(add(input[1 + axis], padding[2 * axis], "padded \(name)"), padding[2 * axis + 1], "padded \(name)")
            let span = try add(multiply(dilation[axis], kernel[axis] - 1, "dilated \(name) window"), 1, "dilated \(name) window")
            guard padded >= span else {
                throw .windowLargerThanInput(layer: layer, kind: kind, axis: name, paddedInput: padded, window: span)
            }
            sizes.append((padded - span) / strides[axis] + 1)
        }
        return (sizes[0], sizes[1])
    }

    func reshape(_ input: [Int], to target: [Int]) throws(ShapeError) -> [Int] {
        let count = try product(input, "the input's element count")
        let unknown = target.indices.filter { target[$0] == -1 }
        guard unknown.count <= 1, target.allSatisfy({ $0 >= -1 }) else {
            throw .invalidAttribute(layer: layer, kind: kind, field: "target_shape",
                                    message: "must hold sizes ≥ 0 and at most one -1, got \(target)")
        }
        guard let free = unknown.first else {
            guard try product(target, "the target's element count") == count else {
                throw .reshapeElementCount(layer: layer, targetShape: target, inputShape: input)
            }
            return target
        }
        var known = target
        known.remove(at: free)
        let knownCount = try product(known, "the target's element count")
        guard knownCount > 0, count % knownCount == 0 else {
            throw .reshapeElementCount(layer: layer, targetShape: target, inputShape: input)
        }
        var resolved = target
        resolved[free] = count / knownCount
        return resolved
    }

    func concatenate(_ inputs: [[Int]], axis: Int) throws(ShapeError) -> [Int] {
        let rank = inputs[0].count
        // `axis` counts the batch: per-sample axis = axis − 1, or rank + axis when negative.
        let sampleAxis = axis < 0 ? rank + axis : axis - 1
        guard rank > 0, sampleAxis >= 0, sampleAxis < rank else {
            throw .concatenateAxis(layer: layer, axis: axis, rank: rank)
        }
        var output = inputs[0]
        for shape in inputs.dropFirst() {
            guard shape.count == rank,
                  shape.indices.allSatisfy({ $0 == sampleAxis || shape[$0] == inputs[0][$0] }) else {
                throw .concatenateShapes(layer: layer, axis: axis, shapes: inputs)
            }
            output[sampleAxis] = try add(output[sampleAxis], shape[sampleAxis], "the concatenated size")
        }
        return output
    }
}
