import BNModel
import JSONSchema

/// What a model converted from Keras keeps of its source file: enough to rebuild that file
/// exactly (`.bnm` → Keras) and to present the model's outputs as Keras lays them out
/// (`verify`).
///
/// It travels in the `.bnm` manifest as members of `provenance.extra` (docs/FORMAT.md,
/// "Provenance written by the Keras converter"). This file is the only code that knows their
/// keys and JSON shapes: the importer builds this value and ``encoded`` writes it, always
/// with the same members in the same order, so `.bnm` files keep their bytes; the readers
/// below decode it. As FORMAT.md says, each member is normative for the tool that consumes it:
/// the reverse conversion decodes `keras_weights` and `keras_skeleton` and refuses them when
/// malformed (``reverseRecord(in:source:)``), `verify` decodes `data_format` and one output's
/// entry of `keras_output_layouts` (``dataFormat(in:)``, ``outputLayout(of:in:)``), and
/// neither refuses a file for a member it does not read.
public struct KerasProvenance: Sendable, Equatable {
    /// The Keras layout the source file had; nil when a decoded record names none this version
    /// knows (the importer always records it).
    public var fileKind: KerasFileKind?
    /// The Keras backend the file records (`tensorflow`, `jax`, …); empty when it records none.
    public var backend: String
    /// The model's data format, `channels_last` (Keras' inputs and map outputs are NHWC) or
    /// `channels_first`, as its spatial layers declare it.
    public var dataFormat: String
    /// Every layer's Keras class, in the architecture's order.
    public var layerClasses: [LayerClass]
    /// Whether the source file carried its architecture (a full model or a `.keras` archive).
    public var architectureInFile: Bool
    /// Where each native tensor came from in the file and how to turn it back.
    var weights: [KerasWeightRecord]
    /// The model outputs whose Keras layout is not the native one.
    var outputLayouts: KerasOutputLayouts
    /// Every group of the source file with its attributes, depth-first.
    var skeleton: [KerasGroupRecord]

    /// One layer's Keras class.
    public struct LayerClass: Sendable, Hashable {
        public var layer: String
        public var className: String

        public init(layer: String, className: String) {
            self.layer = layer
            self.className = className
        }
    }

    init(fileKind: KerasFileKind?, backend: String, dataFormat: String, layerClasses: [LayerClass],
         architectureInFile: Bool, weights: [KerasWeightRecord], outputLayouts: KerasOutputLayouts,
         skeleton: [KerasGroupRecord]) {
        self.fileKind = fileKind
        self.backend = backend
        self.dataFormat = dataFormat
        self.layerClasses = layerClasses
        self.architectureInFile = architectureInFile
        self.weights = weights
        self.outputLayouts = outputLayouts
        self.skeleton = skeleton
    }

    /// Whether Keras' maps are channels-first (NCHW) in this model.
    public var isChannelsFirst: Bool { dataFormat == "channels_first" }

    /// Each layer's Keras class by layer name (the first, should a name repeat).
    public var classNames: [String: String] {
        Dictionary(layerClasses.map { ($0.layer, $0.className) }, uniquingKeysWith: { first, _ in first })
    }

    /// How many stored Keras weights the record describes (each became one native tensor).
    public var weightCount: Int { weights.count }
}

// MARK: - The members in a manifest

extension KerasProvenance {
    /// The `provenance.extra` keys: the only place they are spelled.
    enum Key {
        static let fileKind = "keras_file_kind"
        static let backend = "backend"
        static let dataFormat = "data_format"
        static let classNames = "keras_class_names"
        static let weights = "keras_weights"
        static let outputLayouts = "keras_output_layouts"
        static let skeleton = "keras_skeleton"
        static let architectureInFile = "keras_architecture_in_file"
    }

    /// The members to put in `provenance.extra`, in the order every `.bnm` from Keras has them
    /// (a decoded value without a ``fileKind`` writes an empty one).
    public var encoded: JSONObject {
        var extra: JSONObject = [
            Key.fileKind: .string(fileKind?.rawValue ?? ""),
            Key.backend: .string(backend),
            Key.dataFormat: .string(dataFormat),
        ]
        extra[Key.classNames] = .object(JSONObject(layerClasses.map { ($0.layer, JSONValue.string($0.className)) }))
        extra[Key.weights] = .array(weights.map(\.json))
        extra[Key.outputLayouts] = .object(outputLayouts.json)
        extra[Key.skeleton] = .array(skeleton.map(\.json))
        extra[Key.architectureInFile] = .bool(architectureInFile)
        return extra
    }

    /// Whether `provenance` records a Keras source (its weight records, which the reverse
    /// conversion needs): what decides if a `.bnm` can go back to Keras at all.
    public static func isRecorded(in provenance: Provenance) -> Bool {
        provenance.extra[Key.weights] != nil
    }

    /// Every member decoded: nil when `provenance` records no Keras source
    /// (``isRecorded(in:)``). A member that is present but malformed is an error naming it; an
    /// absent one the reverse conversion does not need takes its default (no file kind, no
    /// backend, `channels_last`, no classes, no output layouts, architecture not in the file).
    public init?(decoding provenance: Provenance) throws(KerasError) {
        guard Self.isRecorded(in: provenance) else { return nil }
        let source = "provenance"
        let extra = provenance.extra
        func malformed(_ key: String) -> KerasError {
            .invalidConfig(source: source, field: "provenance.extra.\(key)", detail: "missing or malformed")
        }
        func string(_ key: String) throws(KerasError) -> String? {
            guard let value = extra[key] else { return nil }
            guard let text = value.stringValue else { throw malformed(key) }
            return text
        }
        let reverse = try Self.reverseRecord(in: provenance, source: source)
        var classes: [LayerClass] = []
        if let value = extra[Key.classNames] {
            guard let object = value.objectValue else { throw malformed(Key.classNames) }
            for (layer, className) in object {
                guard let className = className.stringValue else { throw malformed("\(Key.classNames).\(layer)") }
                classes.append(LayerClass(layer: layer, className: className))
            }
        }
        var layouts = KerasOutputLayouts()
        if let value = extra[Key.outputLayouts] {
            guard let object = value.objectValue else { throw malformed(Key.outputLayouts) }
            for output in object.keys {
                layouts[output] = try Self.outputLayout(of: output, in: provenance)
            }
        }
        var architectureInFile = false
        if let value = extra[Key.architectureInFile] {
            guard let flag = value.boolValue else { throw malformed(Key.architectureInFile) }
            architectureInFile = flag
        }
        self.init(fileKind: reverse.fileKind, backend: try string(Key.backend) ?? "",
                  dataFormat: try string(Key.dataFormat) ?? "channels_last", layerClasses: classes,
                  architectureInFile: architectureInFile, weights: reverse.weights, outputLayouts: layouts,
                  skeleton: reverse.skeleton)
    }
}

// MARK: - What each consumer decodes

extension KerasProvenance {
    /// What the reverse conversion reads: the weight records and the file's skeleton.
    struct ReverseRecord {
        var fileKind: KerasFileKind?
        var weights: [KerasWeightRecord]
        var skeleton: [KerasGroupRecord]
    }

    /// The Keras layout the record names; nil when it names none this version knows (an
    /// output name is then not checked against it).
    static func fileKind(in provenance: Provenance) -> KerasFileKind? {
        provenance.extra[Key.fileKind]?.stringValue.flatMap(KerasFileKind.init(rawValue:))
    }

    /// The weight records and the skeleton, refused (naming `source` and the member) when
    /// either is missing or malformed: the reverse conversion cannot guess a layout.
    static func reverseRecord(in provenance: Provenance, source: String) throws(KerasError) -> ReverseRecord {
        let extra = provenance.extra
        guard let recordList = extra[Key.weights]?.arrayValue, let groupList = extra[Key.skeleton]?.arrayValue else {
            throw KerasError.invalidConfig(
                source: source, field: "provenance.extra",
                detail: "this model was not converted from a Keras file (no \(Key.weights)/\(Key.skeleton)), so its Keras layout is unknown")
        }
        var weights: [KerasWeightRecord] = []
        weights.reserveCapacity(recordList.count)
        for json in recordList {
            weights.append(try KerasWeightRecord(json: json, source: source))
        }
        var skeleton: [KerasGroupRecord] = []
        skeleton.reserveCapacity(groupList.count)
        for json in groupList {
            skeleton.append(try KerasGroupRecord(json: json, source: source))
        }
        return ReverseRecord(fileKind: fileKind(in: provenance), weights: weights, skeleton: skeleton)
    }

    /// The model's data format as recorded; nil when absent or not text (which FORMAT.md reads
    /// as `channels_last`).
    static func dataFormat(in provenance: Provenance) -> String? {
        provenance.extra[Key.dataFormat]?.stringValue
    }

    /// How Keras lays out `output`, when the record says it differs from the native layout;
    /// nil when it does not. An entry that cannot be decoded is an error.
    static func outputLayout(of output: String, in provenance: Provenance) throws(KerasError) -> KerasOutputLayout? {
        guard let value = provenance.extra[Key.outputLayouts]?[output] else { return nil }
        if let segments = VectorSegment.decode(value["segments"]) {
            // Only the segments say how a concatenation is ordered; its Keras shape is the
            // native one, recorded for the reader's convenience.
            return .segmented(kerasShape: integerList(value["keras_shape"]) ?? [], segments: segments)
        }
        guard let kerasShape = integerList(value["keras_shape"]), let order = FlattenOrder.decode(value["flatten_order"]) else {
            throw KerasError.invalidConfig(source: "provenance", field: "provenance.extra.\(Key.outputLayouts).\(output)",
                                           detail: "missing or malformed")
        }
        return .flattened(kerasShape: kerasShape, order: order)
    }
}

// MARK: - The parts

/// How Keras lays out a model output that is not in the native layout.
enum KerasOutputLayout: Sendable, Equatable {
    /// A flattened or reshaped map: Keras' per-sample shape, and the order Keras walked the
    /// native map's axes in (nil: the native C, H, W order).
    case flattened(kerasShape: [Int], order: FlattenOrder?)
    /// A concatenation of flattened maps, each run of features in its own Keras order.
    case segmented(kerasShape: [Int], segments: [VectorSegment])

    var json: JSONValue {
        switch self {
        case let .segmented(kerasShape, segments):
            return .object(["keras_shape": .array(kerasShape.map { .int(Int64($0)) }), "segments": VectorSegment.json(segments)])
        case let .flattened(kerasShape, order):
            return .object(["keras_shape": .array(kerasShape.map { .int(Int64($0)) }), "flatten_order": FlattenOrder.json(order)])
        }
    }
}

/// Output layouts by output name, in the order they were first recorded (a name recorded
/// again keeps its place and takes the new layout, as a JSON object member does).
struct KerasOutputLayouts: Sendable, Equatable {
    private(set) var entries: [(output: String, layout: KerasOutputLayout)] = []

    subscript(output: String) -> KerasOutputLayout? {
        get { entries.first { $0.output == output }?.layout }
        set {
            let position = entries.firstIndex { $0.output == output }
            switch (position, newValue) {
            case let (position?, layout?): entries[position].layout = layout
            case let (position?, nil): entries.remove(at: position)
            case let (nil, layout?): entries.append((output, layout))
            case (nil, nil): break
            }
        }
    }

    var json: JSONObject { JSONObject(entries.map { ($0.output, $0.layout.json) }) }

    static func == (lhs: KerasOutputLayouts, rhs: KerasOutputLayouts) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.output == $1.output && $0.layout == $1.layout }
    }
}

/// One group of the source file and its attributes as ``HDF5JSONView`` describes them (the
/// root's `model_config` value is `null` when the architecture travels as the provenance's
/// `sourceArchitecture` instead).
struct KerasGroupRecord: Sendable, Equatable {
    /// Absolute path in the file (`/` for the root).
    var path: String
    var attributes: [JSONValue]

    init(path: String, attributes: [JSONValue]) {
        self.path = path
        self.attributes = attributes
    }

    var json: JSONValue { .object(["path": .string(path), "attributes": .array(attributes)]) }

    init(json: JSONValue, source: String) throws(KerasError) {
        func fail(_ field: String) -> KerasError {
            .invalidConfig(source: source, field: "provenance.extra.\(KerasProvenance.Key.skeleton).\(field)", detail: "missing or malformed")
        }
        guard let path = json["path"]?.stringValue, path.hasPrefix("/") else { throw fail("path") }
        guard let attributes = json["attributes"]?.arrayValue else { throw fail("attributes") }
        self.init(path: path, attributes: attributes)
    }
}
