/// A defect of the source file that its reader could not express as a tensor of the model —
/// a weight whose stored shape no layout change can bring to the native one, or weights stored
/// for a layer the architecture does not have. The reader records it and goes on, so that the
/// `Validator` reports it together with every other defect in one run, instead of the reader
/// stopping at the first. A model with defects is never written (they are not part of the format).
///
/// A weight that is simply absent needs no record: its layer lacks the tensor, which the
/// validator reports from the layer kind's description (`CH005`, `BN001`).
public struct SourceDefect: Sendable, Hashable {
    public var code: FindingCode
    /// The layer the defect belongs to (it may be a layer the model does not have).
    public var layer: String?
    /// The weight as the source names it (e.g. Keras' `moving_variance`).
    public var tensor: String?
    /// The IR role the weight would have had, so the validator does not also report it missing.
    public var role: TensorRole?
    public var message: String
    public var hint: String

    public init(code: FindingCode, layer: String?, tensor: String? = nil, role: TensorRole? = nil, message: String, hint: String) {
        self.code = code
        self.layer = layer
        self.tensor = tensor
        self.role = role
        self.message = message
        self.hint = hint
    }
}
