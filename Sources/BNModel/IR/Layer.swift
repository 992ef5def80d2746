/// One node of the model graph.
public struct Layer: Sendable {
    /// Unique within the model.
    public var name: String
    public var op: LayerOp
    /// Names of the producing layers, in order (empty for inputs). For `add`/`concatenate` the
    /// order is the operand order.
    public var inbound: [String]
    /// The layer's tensors in their native layouts, in a stable order.
    public var tensors: [NamedTensor]
    /// Per-sample output shape (batch excluded), NCHW: `[C, H, W]` for maps, `[F]` for vectors;
    /// nil when unknown.
    public var outputShape: [Int]?

    public init(name: String, op: LayerOp, inbound: [String] = [], tensors: [NamedTensor] = [], outputShape: [Int]? = nil) {
        self.name = name
        self.op = op
        self.inbound = inbound
        self.tensors = tensors
        self.outputShape = outputShape
    }

    /// The first tensor with `role`, if any.
    public func tensor(_ role: TensorRole) -> Tensor? {
        tensors.first { $0.role == role }?.tensor
    }
}
