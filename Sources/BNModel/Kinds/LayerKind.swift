import JSONSchema

/// Everything the format and its rules know about one layer kind, in one place.
///
/// Each kind's file (in this folder) holds its configuration type and this description: the
/// manifest's name and attributes in both directions, the limits of each attribute, how the
/// output shape follows from the inputs, and which tensors the layer holds with their native
/// shapes. The manifest decoder and encoder, `Model.validate()`, `ShapeInference` and the
/// `Validator` all read from here, so adding a kind means writing one file, adding its case to
/// `LayerOp` (whose `definition` switch is exhaustive, so the compiler points at it), and
/// describing it in the schema and docs/FORMAT.md.
protocol LayerKind: Sendable {
    /// The manifest's `"kind"`.
    static var kind: String { get }
    /// Reads the `"attributes"` object; limits are checked afterwards by `checkAttributes()`.
    init(manifest attributes: inout ManifestObject) throws(ManifestIssue)
    /// The `"attributes"` object.
    var manifestAttributes: JSONObject { get }
    /// The IR value of this description.
    var op: LayerOp { get }
    /// The first attribute outside its limits, checked before any shape is computed.
    func checkAttributes() throws(AttributeIssue)
    /// The per-sample output shape given the per-sample input shapes, in inbound order.
    /// Attributes have passed `checkAttributes()`.
    func outputShape(inputs: [[Int]], rules: ShapeRules) throws(ShapeError) -> [Int]
    /// The tensors the layer holds, with the native shapes its configuration and its input
    /// imply. `inputs` is nil when an input's shape is unknown; dimensions taken from it are
    /// then nil too, and only the ones the configuration fixes are checked.
    func tensors(inputs: [[Int]]?) -> [ExpectedTensor]
    /// The activation applied to the output (fused, or the layer's whole job), whose softmax
    /// axis must exist in the output. Named apart from the configurations' own `activation`
    /// so that a stored property can never be mistaken for it.
    var outputActivation: Activation? { get }
}

extension LayerKind {
    func tensors(inputs: [[Int]]?) -> [ExpectedTensor] { [] }
    var outputActivation: Activation? { nil }
    var manifestAttributes: JSONObject { [:] }
    func checkAttributes() throws(AttributeIssue) {}
}

/// An attribute outside its limits: `field` names it as in the manifest (a nested field with
/// a dot, `activation.axis`).
struct AttributeIssue: Error, Equatable {
    var field: String
    var message: String

    /// The JSON Pointer of the field under `attributes`.
    func pointer(in attributes: ManifestObject) -> String {
        attributes.pointer + "/" + field.split(separator: ".").map { pointerToken(String($0)) }.joined(separator: "/")
    }
}

/// The limits kinds share, each a one-line rule with one wording everywhere.
enum Limits {
    static func positive(_ field: String, _ value: Int) throws(AttributeIssue) {
        guard value >= 1 else { throw AttributeIssue(field: field, message: "must be ≥ 1, got \(value)") }
    }

    /// `[h, w]`, both ≥ 1: kernel sizes, strides, dilations, pool sizes, upsampling factors.
    static func pair(_ field: String, _ values: [Int]) throws(AttributeIssue) {
        guard values.count == 2, values.allSatisfy({ $0 >= 1 }) else {
            throw AttributeIssue(field: field, message: "must be 2 integers ≥ 1, got \(values)")
        }
    }

    /// `[top, bottom, left, right]`, each ≥ 0.
    static func edges(_ field: String, _ values: [Int]) throws(AttributeIssue) {
        guard values.count == 4, values.allSatisfy({ $0 >= 0 }) else {
            throw AttributeIssue(field: field, message: "must be [top, bottom, left, right] ≥ 0, got \(values)")
        }
    }

    /// A native axis counted with the batch; negative counts from the end.
    static func axis(_ field: String, _ value: Int) throws(AttributeIssue) {
        guard (-8...8).contains(value) else {
            throw AttributeIssue(field: field, message: "must be a native axis in -8...8, got \(value)")
        }
    }

    static func dimensions(_ field: String, _ values: [Int]) throws(AttributeIssue) {
        guard values.allSatisfy({ $0 >= 0 }) else {
            throw AttributeIssue(field: field, message: "must not have negative dimensions, got \(values)")
        }
    }

    /// A fused or stand-alone activation: only softmax carries a number with limits.
    static func activation(_ value: Activation, field: String = "activation") throws(AttributeIssue) {
        if case .softmax(let axis) = value { try Self.axis(field + ".axis", axis) }
    }
}

/// A tensor a layer holds, as its kind, configuration and input imply.
struct ExpectedTensor {
    var role: TensorRole
    var dimensions: [ExpectedDimension]
    /// How the layout reads, e.g. `OIHW [filters, inChannels, kh, kw]`.
    var layout: String
    /// False for a tensor the layer may hold or not (Normalization's sample count).
    var required = true
    /// True for a tensor that is never computed with and is kept for the reverse conversion,
    /// so neither its dtype nor its shape is checked.
    var verbatim = false
    /// The finding code when the tensor is missing: batch norm has its own.
    var missingCode: FindingCode = .ch005

    /// The full shape, when every dimension is known.
    var shape: [Int]? {
        var result: [Int] = []
        for dimension in dimensions {
            guard let size = dimension.size else { return nil }
            result.append(size)
        }
        return result
    }
}

/// One dimension of an `ExpectedTensor`, and where its size comes from — which decides what a
/// mismatch means: a tensor that disagrees with the layer's input belongs to another place in
/// the graph, one that disagrees with the layer's own configuration was built for another layer.
struct ExpectedDimension {
    enum Source {
        /// Always this size (the 1s of `[1, C, 1, 1]`).
        case fixed
        /// From the configuration: the attribute's name and its value as text.
        case attribute(String, String)
        /// From the input: what the size counts (`input channels`), where it comes from when that is
        /// not simply the layer's input, and the finding a mismatch gives.
        case input(unit: String, origin: String?, code: FindingCode)
    }

    /// Nil when it comes from an input whose shape is unknown.
    var size: Int?
    var source: Source
    /// How the dimension is written when its size is unknown (`C`, `C·M`).
    var symbol: String

    static func fixed(_ size: Int) -> ExpectedDimension { .init(size: size, source: .fixed, symbol: "\(size)") }

    static func attribute(_ name: String, _ size: Int, of value: String? = nil) -> ExpectedDimension {
        .init(size: size, source: .attribute(name, value ?? "\(size)"), symbol: "\(size)")
    }

    static func input(_ size: Int?, _ symbol: String, unit: String, origin: String? = nil, code: FindingCode = .ch002) -> ExpectedDimension {
        .init(size: size, source: .input(unit: unit, origin: origin, code: code), symbol: symbol)
    }

    /// `[kh, kw]` from a `kernel_size` attribute.
    static func window(_ field: String, _ sizes: [Int]) -> [ExpectedDimension] {
        sizes.map { attribute(field, $0, of: "\(sizes)") }
    }
}

extension Optional where Wrapped == [[Int]] {
    /// C of a single `[C, H, W]` input, when known.
    var mapChannels: Int? {
        guard let inputs = self, inputs.count == 1, inputs[0].count == 3 else { return nil }
        return inputs[0][0]
    }

    /// F of a single `[F]` input, when known.
    var features: Int? {
        guard let inputs = self, inputs.count == 1, inputs[0].count == 1 else { return nil }
        return inputs[0][0]
    }
}
