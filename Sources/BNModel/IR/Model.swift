import JSONSchema

/// Where a model came from, kept so that the reverse conversion can be exact.
public struct Provenance: Sendable, Hashable {
    /// e.g. `"keras3-h5"`, `"keras2-h5"`, `"bnm"`.
    public var sourceFormat: String
    /// e.g. Keras `"3.15.1"`; empty when unknown.
    public var sourceVersion: String
    /// Version of bnconvert that produced the IR.
    public var converterVersion: String
    /// The source's own architecture description, verbatim (e.g. Keras' `model_config` JSON text).
    public var sourceArchitecture: String?
    /// Anything a reader wants to keep for the reverse conversion (original layer names, class
    /// keys, dtypes, …). Free-form; BNModel never interprets it.
    public var extra: JSONObject

    public init(sourceFormat: String, sourceVersion: String = "", converterVersion: String = BNModelInfo.converterVersion,
                sourceArchitecture: String? = nil, extra: JSONObject = [:]) {
        self.sourceFormat = sourceFormat
        self.sourceVersion = sourceVersion
        self.converterVersion = converterVersion
        self.sourceArchitecture = sourceArchitecture
        self.extra = extra
    }
}

/// Version strings of this library.
public enum BNModelInfo {
    /// The converter version recorded in `Provenance.converterVersion` by default.
    public static let converterVersion = "0.1.0"
}

/// A whole model: a DAG of layers in topological order, with native tensors.
public struct Model: Sendable {
    public var name: String
    /// Names of the input layers (each an `.input` layer).
    public var inputs: [String]
    /// Names of the layers whose outputs are the model's outputs.
    public var outputs: [String]
    /// In topological order: every inbound name refers to an earlier layer.
    public var layers: [Layer] {
        didSet { index = LayerIndex(layers) }
    }
    /// Lookups by name, kept with `layers` so that `layer(named:)` and `consumers(of:)` cost
    /// O(1) and a pass over a 200,000-layer model stays linear.
    private var index: LayerIndex
    public var provenance: Provenance
    /// Free-form notes about layouts beyond the documented conventions (rarely needed).
    public var layoutNotes: [String]
    /// What the reader found wrong in the source and could not put in `layers` (see
    /// `SourceDefect`); empty for every model that can be written.
    public var sourceDefects: [SourceDefect] = []

    public init(name: String, inputs: [String], outputs: [String], layers: [Layer],
                provenance: Provenance, layoutNotes: [String] = []) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.layers = layers
        self.index = LayerIndex(layers)
        self.provenance = provenance
        self.layoutNotes = layoutNotes
    }

    /// The layer called `name`.
    public func layer(named name: String) -> Layer? {
        index.position[name].map { layers[$0] }
    }

    /// The layers that take `name`'s output as an input, in model order.
    public func consumers(of name: String) -> [Layer] {
        (index.consumers[name] ?? []).map { layers[$0] }
    }
}

/// Where each layer name first appears, and which layers read each name.
private struct LayerIndex: Sendable {
    var position: [String: Int] = [:]
    var consumers: [String: [Int]] = [:]

    init(_ layers: [Layer]) {
        position.reserveCapacity(layers.count)
        for (offset, layer) in layers.enumerated() {
            if position[layer.name] == nil { position[layer.name] = offset }
            for name in Set(layer.inbound) { consumers[name, default: []].append(offset) }
        }
    }
}
