/// The stable identifiers of validation findings: the one place where every code is listed with
/// its severity and a one-line meaning.
///
/// Codes are part of the public contract (scripts match on them, `expected.json` files in the
/// test corpus list them), so a code is never renumbered or reused: a rule that goes away keeps
/// its case, and a new rule gets the next free number in its family.
///
/// Families: `BN` batch-norm consistency, `CH` the chain of shapes and weights through the graph,
/// `VAL` weight values, `FILE` the bytes of a `.bnm` file (header, manifest, extents, CRCs).
///
/// Locations: `layer` is the layer's name; `tensor` is the tensor's role in the layer (IR
/// vocabulary such as `variance` for a model or `.bnm`; the Keras variable name such as
/// `moving_variance` for an `.h5`); `index` is a flat row-major index into the tensor in its
/// native layout (NCHW / OIHW / `[out, in]`).
public enum FindingCode: String, Sendable, Hashable, CaseIterable {
    /// A batch norm lacks `gamma`, `beta`, `mean` or `variance` (materialised ones count as present).
    case bn001 = "BN001"
    /// A batch norm's parameters do not all have one shape (or one is not `[1, C, h, w]`).
    case bn002 = "BN002"
    /// A batch norm's channel count C differs from the output channels of the layer feeding it.
    case bn003 = "BN003"
    /// A batch norm's shape disagrees with its mode, or its H×W is not the activation's H×W.
    case bn004 = "BN004"
    /// A moving variance is negative, NaN or infinite (index of the first such element).
    case bn005 = "BN005"
    /// A batch norm's epsilon is ≤ 0 or not finite: 1/sqrt(variance + ε) can divide by zero.
    case bn006 = "BN006"
    /// A batch norm's epsilon is below 1e-5, the minimum of cuDNN before 7.5 and of fused TensorFlow kernels.
    case bn007 = "BN007"
    /// Every element of a moving variance is zero: the statistics were probably never trained.
    case bn008 = "BN008"
    /// A γ or β recorded as materialised does not hold the constant it stands for (1 or 0).
    case bn009 = "BN009"
    /// A layer names an inbound layer that is not an earlier layer of the model.
    case ch001 = "CH001"
    /// A convolution kernel's input channels differ from the channels of the layer's input.
    case ch002 = "CH002"
    /// A dense kernel's input features differ from the input's size (flattened C×H×W).
    case ch003 = "CH003"
    /// A depthwise kernel's output channels are not input channels × depth multiplier.
    case ch004 = "CH004"
    /// A weight the layer's kind and configuration need is missing.
    case ch005 = "CH005"
    /// A layer holds a weight its kind and configuration do not use.
    case ch006 = "CH006"
    /// A layer's floating-point tensors do not all have one dtype.
    case ch007 = "CH007"
    /// A weight's shape does not fit its layer's configuration (kernel size, filters, units, bias length).
    case ch008 = "CH008"
    /// A layer's output shape cannot be computed from its inputs, or differs from the recorded one.
    case ch009 = "CH009"
    /// The graph's structure is broken: duplicate layer names, model inputs/outputs that are not layers, impossible attributes.
    case ch010 = "CH010"
    /// A weight that must be floating point (conv, dense, batch norm) has an integer dtype.
    case ch011 = "CH011"
    /// A layer was carried over unmapped (a source layer type the format has no kind for): the
    /// file keeps it for the reverse conversion, but an engine cannot run the model.
    case ch012 = "CH012"
    /// A weight holds NaN or ±infinity (index of the first such element).
    case val001 = "VAL001"
    /// In f16/bf16 batch-norm parameters, variance + ε rounds to 0 or overflows in that dtype.
    case val002 = "VAL002"
    /// A tensor's bytes could not be read (the reason is in the message).
    case val003 = "VAL003"
    /// A tensor's bytes do not match its CRC-32 in the `.bnm` manifest.
    case file001 = "FILE001"
    /// The `.bnm` header's or manifest's CRC-32 does not match: the header or manifest is damaged.
    case file002 = "FILE002"
    /// The file's size or an extent is wrong: truncated, trailing bytes, a header field or tensor past the end, holes or overlaps.
    case file003 = "FILE003"
    /// A tensor offset or the data section offset is not a multiple of 64.
    case file004 = "FILE004"
    /// The manifest is not UTF-8 JSON, breaks the schema, or its tensor table and layers disagree.
    case file005 = "FILE005"
    /// A padding or reserved byte is not zero.
    case file006 = "FILE006"
    /// The file was altered by a text-mode transfer (line endings converted or the high bit stripped).
    case file007 = "FILE007"
    /// The file cannot be read at all: not a `.bnm`, unreadable, or a version or required feature this reader lacks.
    case file008 = "FILE008"

    /// The severity every finding with this code has.
    public var severity: Severity {
        switch self {
        case .bn007, .bn008, .bn009, .ch012: return .warning
        default: return .error
        }
    }

    /// One line saying what the code means (the doc comment of its case, for `--codes` style listings).
    public var summary: String {
        switch self {
        case .bn001: return "batch norm lacks gamma, beta, mean or variance"
        case .bn002: return "batch-norm parameters do not all have one [1, C, h, w] shape"
        case .bn003: return "batch-norm C differs from the output channels of the layer feeding it"
        case .bn004: return "batch-norm shape disagrees with its mode, or its H×W is not the activation's"
        case .bn005: return "moving variance is negative, NaN or infinite"
        case .bn006: return "batch-norm epsilon is ≤ 0 or not finite"
        case .bn007: return "batch-norm epsilon is below 1e-5 (minimum of cuDNN < 7.5 and fused TensorFlow kernels)"
        case .bn008: return "moving variance is all zeros"
        case .bn009: return "materialised gamma/beta does not hold 1/0"
        case .ch001: return "inbound reference to a layer that is not an earlier layer"
        case .ch002: return "convolution kernel's input channels differ from the input's channels"
        case .ch003: return "dense kernel's input features differ from the input's (flattened) size"
        case .ch004: return "depthwise kernel's channels are not input channels × depth multiplier"
        case .ch005: return "missing weight"
        case .ch006: return "extra weight the layer does not use"
        case .ch007: return "a layer's floating-point tensors differ in dtype"
        case .ch008: return "weight shape does not fit the layer's configuration"
        case .ch009: return "output shape cannot be computed from the inputs, or differs from the recorded one"
        case .ch010: return "broken graph structure (duplicate names, unknown inputs/outputs, impossible attributes)"
        case .ch011: return "integer dtype where floating point is needed"
        case .ch012: return "layer carried over unmapped: an engine cannot run it"
        case .val001: return "NaN or infinity in a weight"
        case .val002: return "variance + epsilon rounds to 0 or overflows in the f16/bf16 dtype it is stored in"
        case .val003: return "tensor bytes could not be read"
        case .file001: return "tensor CRC-32 mismatch"
        case .file002: return "header or manifest CRC-32 mismatch"
        case .file003: return "truncated file, trailing bytes, or an extent outside the file or data section"
        case .file004: return "misaligned tensor or data section (not a multiple of 64)"
        case .file005: return "manifest is not JSON, breaks the schema, or disagrees with itself"
        case .file006: return "non-zero padding or reserved byte"
        case .file007: return "text-mode transfer damage"
        case .file008: return "file cannot be read at all (not a .bnm, unreadable, unsupported version)"
        }
    }

    /// The whole table, one code per line (`BN001  error    batch norm lacks …`), for
    /// `--help` texts and documentation.
    public static var table: String {
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        return allCases.map { padded($0.rawValue, 8) + padded($0.severity.rawValue, 9) + $0.summary }.joined(separator: "\n")
    }
}
