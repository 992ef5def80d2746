import BNModel
import JSONSchema

/// Conv2D: kernel HWIO `[kh, kw, in / groups, filters]` → OIHW, an optional bias, a fused
/// activation; `groups` carries over as the native conv2d's.
struct Conv2DMapper: KerasLayerMapper {
    let classNames = ["Conv2D"]
    let alwaysHasWeights = true

    func keras3VariableNames(_ config: JSONObject) -> [String] { ["kernel"] + (usesBias(config) ? ["bias"] : []) }

    /// A kernel whose input channels alone differ was trained for another input (CH002).
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode {
        guard weight == "kernel" else { return .ch008 }
        return shapes.onlyDiffers(2) ? .ch002 : .ch008
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let (shape, axes) = try context.requireMap()
        let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
        let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
        let filters = try reader.positiveInt("filters"), useBias = try reader.bool("use_bias", default: true)
        // Grouped (ResNeXt, RegNet): Keras' kernel holds C / groups input channels, and the
        // HWIO → OIHW move is the same as for an ordinary convolution.
        let groups = try reader.positiveInt("groups", default: 1)
        guard shape[0] % groups == 0, filters % groups == 0 else {
            throw KerasError.invalidConfig(source: context.source, field: "layer '\(context.spec.name)'.groups",
                                           detail: "\(groups) must divide both the input's \(shape[0]) channels and filters = \(filters)")
        }
        var tensors = [try context.take("kernel", .kernel, .convKernel, expect: kernelSize + [shape[0] / groups, filters])].compactMap { $0 }
        if useBias, let bias = try context.take("bias", .bias, .identity, expect: [filters]) { tensors.append(bias) }
        let op = LayerOp.conv2d(Conv2DConfig(
            filters: filters, kernelSize: kernelSize, strides: strides, dilation: dilation,
            padding: try context.padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
            useBias: useBias, activation: try context.activation(), groups: groups))
        return MappedLayer(op: op, tensors: tensors, layout: .map(kerasAxes: axes))
    }
}

/// DepthwiseConv2D: kernel `[kh, kw, C, multiplier]` → `[C·multiplier, 1, kh, kw]`. tf_keras
/// names the kernel `depthwise_kernel`, Keras 3 `kernel`.
struct DepthwiseConv2DMapper: KerasLayerMapper {
    let classNames = ["DepthwiseConv2D"]
    let alwaysHasWeights = true

    func keras3VariableNames(_ config: JSONObject) -> [String] { ["kernel"] + (usesBias(config) ? ["bias"] : []) }

    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode {
        guard weight == "kernel" || weight == "depthwise_kernel" else { return .ch008 }
        return depthwiseKernelCode(shapes)
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let (shape, axes) = try context.requireMap()
        let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
        let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
        let multiplier = try reader.positiveInt("depth_multiplier", default: 1), useBias = try reader.bool("use_bias", default: true)
        let name = context.hasWeight("depthwise_kernel") ? "depthwise_kernel" : "kernel"
        var tensors = [try context.take(name, .depthwiseKernel, .depthwiseKernel, expect: kernelSize + [shape[0], multiplier])].compactMap { $0 }
        if useBias, let bias = try context.take("bias", .bias, .identity, expect: [shape[0] * multiplier]) { tensors.append(bias) }
        let op = LayerOp.depthwiseConv2d(DepthwiseConv2DConfig(
            depthMultiplier: multiplier, kernelSize: kernelSize, strides: strides, dilation: dilation,
            padding: try context.padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
            useBias: useBias, activation: try context.activation()))
        return MappedLayer(op: op, tensors: tensors, layout: .map(kerasAxes: axes))
    }
}

/// SeparableConv2D: a depthwise stage (`[kh, kw, C, multiplier]`) then a 1×1 pointwise one
/// (`[1, 1, C·multiplier, filters]`), one native op.
struct SeparableConv2DMapper: KerasLayerMapper {
    let classNames = ["SeparableConv2D"]
    let alwaysHasWeights = true

    func keras3VariableNames(_ config: JSONObject) -> [String] {
        ["depthwise_kernel", "pointwise_kernel"] + (usesBias(config) ? ["bias"] : [])
    }

    /// A pointwise kernel whose input channels alone differ disagrees with the depthwise
    /// stage's C·multiplier (CH004).
    func weightShapeCode(weight: String, _ shapes: WeightShapeMismatch) -> FindingCode {
        switch weight {
        case "depthwise_kernel": return depthwiseKernelCode(shapes)
        case "pointwise_kernel": return shapes.differs(2) && shapes.onlyDiffers(2) ? .ch004 : .ch008
        default: return .ch008
        }
    }

    func map(_ context: inout MappingContext) throws -> MappedLayer {
        let reader = context.reader
        let (shape, axes) = try context.requireMap()
        let kernelSize = try reader.positivePair("kernel_size"), strides = try reader.positivePair("strides", default: [1, 1])
        let dilation = try reader.positivePair("dilation_rate", default: [1, 1])
        let multiplier = try reader.positiveInt("depth_multiplier", default: 1), useBias = try reader.bool("use_bias", default: true)
        let filters = try reader.positiveInt("filters")
        var tensors = [
            try context.take("depthwise_kernel", .depthwiseKernel, .depthwiseKernel, expect: kernelSize + [shape[0], multiplier]),
            try context.take("pointwise_kernel", .pointwiseKernel, .convKernel, expect: [1, 1, shape[0] * multiplier, filters]),
        ].compactMap { $0 }
        if useBias, let bias = try context.take("bias", .bias, .identity, expect: [filters]) { tensors.append(bias) }
        let op = LayerOp.separableConv2d(SeparableConv2DConfig(
            filters: filters, depthMultiplier: multiplier, kernelSize: kernelSize, strides: strides, dilation: dilation,
            padding: try context.padding(shape, kernel: kernelSize, strides: strides, dilation: dilation),
            useBias: useBias, activation: try context.activation()))
        return MappedLayer(op: op, tensors: tensors, layout: .map(kerasAxes: axes))
    }
}

/// A depthwise kernel `[kh, kw, C, multiplier]`: another multiplier is a configuration that
/// disagrees with the kernel (CH004); other input channels, a kernel trained for another input (CH002).
private func depthwiseKernelCode(_ shapes: WeightShapeMismatch) -> FindingCode {
    if shapes.onlyDiffers(3) { return .ch004 }
    return shapes.onlyDiffers(2) ? .ch002 : .ch008
}
