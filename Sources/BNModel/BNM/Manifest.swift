import JSONSchema

/// One entry of the manifest's `"tensors"` table.
public struct BNMTensorEntry: Sendable, Hashable {
    /// Unique in the file; `"<layer>/<role>"` as written by this library.
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Offset of the first byte from the start of the data section; a multiple of 64.
    public var offset: Int
    /// Byte length: `dtype.byteSize × product(shape)`.
    public var length: Int
    /// CRC-32 (zlib) of the tensor's bytes; 8 lowercase hex digits in the manifest.
    public var crc32: UInt32
}

/// A layer's reference to a tensor of the tensor table.
public struct BNMTensorReference: Sendable, Hashable {
    public var role: TensorRole
    /// Name of an entry in `BNMManifest.tensors`.
    public var tensor: String
}

/// A layer as the manifest describes it: everything but the tensor bytes.
public struct BNMLayerEntry: Sendable {
    public var name: String
    public var op: LayerOp
    public var inbound: [String]
    public var tensors: [BNMTensorReference]
    public var outputShape: [Int]?
}

/// The manifest of a `.bnm` file, typed. Reading it touches no tensor data.
public struct BNMManifest: Sendable {
    public var modelName: String
    public var inputs: [String]
    public var outputs: [String]
    public var layers: [BNMLayerEntry]
    public var layoutNotes: [String]
    public var provenance: Provenance
    /// In data order: ascending offsets, back to back (rounded up to 64).
    public var tensors: [BNMTensorEntry]
    /// The manifest as parsed, including fields a newer minor version added.
    public var json: JSONValue

    /// The fixed `"conventions"` object: the native layouts every v1 file uses, stated in the
    /// file so that a reader never has to guess.
    public static let conventions: JSONObject = [
        "activations": "NCHW",
        "conv_kernel": "OIHW",
        "depthwise_kernel": "[C*M, 1, KH, KW]",
        "dense_kernel": "[out, in]",
        "batch_norm_spatial": "[1, C, 1, 1]",
        "batch_norm_per_activation": "[1, C, H, W]",
        "flatten_order": "CHW",
        "byte_order": "little",
    ]

    /// The entry called `name`.
    public func tensor(named name: String) -> BNMTensorEntry? { tensors.first { $0.name == name } }
}

// MARK: - Encoding

extension BNMManifest {
    /// The manifest's JSON for `model`, whose tensors are described by `entries` (in the same
    /// order as the model's layers and their tensors).
    static func json(for model: Model, entries: [BNMTensorEntry], tensorNames: [[String]]) -> JSONValue {
        func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int(Int64($0)) }) }
        var layers: [JSONValue] = []
        for (layer, names) in zip(model.layers, tensorNames) {
            var object: JSONObject = [
                "name": .string(layer.name),
                "kind": .string(layer.op.kind),
                "inbound": .array(layer.inbound.map(JSONValue.string)),
            ]
            if let shape = layer.outputShape { object["output_shape"] = ints(shape) }
            object["attributes"] = .object(layer.op.manifestAttributes)
            object["tensors"] = .array(zip(layer.tensors, names).map { named, name in
                .object(["role": .string(named.role.rawValue), "tensor": .string(name)])
            })
            layers.append(.object(object))
        }
        let provenance = model.provenance
        let root: JSONObject = [
            "format": "bnm",
            "conventions": .object(conventions),
            "model": .object([
                "name": .string(model.name),
                "inputs": .array(model.inputs.map(JSONValue.string)),
                "outputs": .array(model.outputs.map(JSONValue.string)),
                "layout_notes": .array(model.layoutNotes.map(JSONValue.string)),
                "layers": .array(layers),
            ]),
            "provenance": .object([
                "source_format": .string(provenance.sourceFormat),
                "source_version": .string(provenance.sourceVersion),
                "converter_version": .string(provenance.converterVersion),
                "source_architecture": provenance.sourceArchitecture.map(JSONValue.string) ?? .null,
                "extra": .object(provenance.extra),
            ]),
            // Must stay the last member, with "crc32" last in each entry: the writer patches
            // the CRCs in place (see BNMWriter).
            "tensors": .array(entries.map(tensorJSON)),
        ]
        return .object(root)
    }

    static func tensorJSON(_ entry: BNMTensorEntry) -> JSONValue {
        .object([
            "name": .string(entry.name),
            "dtype": .string(entry.dtype.rawValue),
            "shape": .array(entry.shape.map { .int(Int64($0)) }),
            "offset": .int(Int64(entry.offset)),
            "length": .int(Int64(entry.length)),
            "crc32": .string(hex8(entry.crc32)),
        ])
    }
}

/// `value` as exactly 8 lowercase hex digits.
func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
}

// MARK: - Decoding

extension BNMManifest {
    /// Decodes a parsed manifest. `strict` rejects fields the format does not define (used for
    /// files whose minor version this reader knows). Checks types and value ranges only; the
    /// tensor layout and model structure are checked by the reader.
    init(json: JSONValue, strict: Bool) throws(ManifestIssue) {
        var root = try ManifestObject(json, pointer: "", strict: strict)
        let format = try root.string("format")
        guard format == "bnm" else { throw ManifestIssue(pointer: "/format", message: "must be \"bnm\", found \"\(format)\"") }
        var conventions = try root.object("conventions")
        for (key, expected) in Self.conventions {
            let found = try conventions.string(key)
            guard .string(found) == expected else {
                throw ManifestIssue(pointer: conventions.path(key), message: "must be \(expected) in format version 1, found \"\(found)\"")
            }
        }
        try conventions.finish()

        var model = try root.object("model")
        modelName = try model.string("name")
        inputs = try model.stringArray("inputs")
        outputs = try model.stringArray("outputs")
        layoutNotes = try model.stringArray("layout_notes")
        let layerItems = try model.array("layers")
        var layers: [BNMLayerEntry] = []
        layers.reserveCapacity(layerItems.count)
        for (index, item) in layerItems.enumerated() {
            do throws(ManifestIssue) {
                layers.append(try Self.layer(item, strict: strict))
            } catch {
                throw error.under("/model/layers/\(index)")
            }
        }
        self.layers = layers
        try model.finish()

        var source = try root.object("provenance")
        let architecture = try source.value("source_architecture")
        provenance = Provenance(
            sourceFormat: try source.string("source_format"),
            sourceVersion: try source.string("source_version"),
            converterVersion: try source.string("converter_version"),
            sourceArchitecture: architecture.isNull ? nil : try ManifestObject.string(architecture, "/provenance/source_architecture"),
            extra: try source.object("extra").object)
        try source.finish()

        let tensorItems = try root.array("tensors")
        var tensors: [BNMTensorEntry] = []
        tensors.reserveCapacity(tensorItems.count)
        for (index, item) in tensorItems.enumerated() {
            do throws(ManifestIssue) {
                tensors.append(try Self.tensor(item, strict: strict))
            } catch {
                throw error.under("/tensors/\(index)")
            }
        }
        self.tensors = tensors
        try root.finish()
        self.json = json
    }

    /// One layer; pointers in its issues are relative to the layer.
    private static func layer(_ value: JSONValue, strict: Bool) throws(ManifestIssue) -> BNMLayerEntry {
        var object = try ManifestObject(value, pointer: "", strict: strict)
        let name = try object.string("name")
        let kind = try object.string("kind")
        let inbound = try object.stringArray("inbound")
        var outputShape: [Int]?
        if object.optionalValue("output_shape") != nil {
            outputShape = try object.intArray("output_shape")
        }
        var attributes = try object.object("attributes")
        let op = try LayerOp(kind: kind, kindPointer: object.path("kind"), attributes: &attributes)
        let items = try object.array("tensors")
        var references: [BNMTensorReference] = []
        references.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do throws(ManifestIssue) {
                var reference = try ManifestObject(item, pointer: "", strict: strict)
                let role = try reference.string("role")
                guard !role.isEmpty else { throw ManifestIssue(pointer: reference.path("role"), message: "must not be empty") }
                let tensor = try reference.string("tensor")
                guard !tensor.isEmpty else { throw ManifestIssue(pointer: reference.path("tensor"), message: "must not be empty") }
                references.append(BNMTensorReference(role: TensorRole(rawValue: role), tensor: tensor))
                try reference.finish()
            } catch {
                throw error.under(object.path("tensors") + "/\(index)")
            }
        }
        try object.finish()
        return BNMLayerEntry(name: name, op: op, inbound: inbound, tensors: references, outputShape: outputShape)
    }

    /// One tensor-table entry; pointers in its issues are relative to the entry.
    private static func tensor(_ value: JSONValue, strict: Bool) throws(ManifestIssue) -> BNMTensorEntry {
        var object = try ManifestObject(value, pointer: "", strict: strict)
        let name = try object.string("name")
        guard !name.isEmpty else { throw ManifestIssue(pointer: object.path("name"), message: "must not be empty") }
        let dtypeText = try object.string("dtype")
        guard let dtype = DType(rawValue: dtypeText) else {
            throw ManifestIssue(pointer: object.path("dtype"),
                                message: "'\(dtypeText)' is not a dtype (\(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let shape = try object.intArray("shape")
        let offset = try object.int("offset")
        let length = try object.int("length")
        let crcText = try object.string("crc32")
        guard crcText.utf8.count == 8, crcText.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let crc = UInt32(crcText, radix: 16) else {
            throw ManifestIssue(pointer: object.path("crc32"), message: "must be 8 lowercase hex digits, found \"\(crcText)\"")
        }
        try object.finish()
        return BNMTensorEntry(name: name, dtype: dtype, shape: shape, offset: offset, length: length, crc32: crc)
    }
}
