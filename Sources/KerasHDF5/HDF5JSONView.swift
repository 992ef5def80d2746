import BNModel
import HDF5
import JSONSchema

/// The JSON view of an HDF5 file that `bnconvert inspect --json FILE.h5` prints and
/// `schemas/keras-h5.schema.json` describes: every group and dataset (depth-first, children in
/// name order), with attributes, element types and shapes, and no dataset values.
public enum HDF5JSONView {
    public static func describe(path: String) throws -> JSONValue {
        // A `.keras` archive is described by the HDF5 file inside it.
        let file = KerasArchive.isArchive(path) ? try KerasArchive.open(path).weights : try keras { try HDF5File.open(path) }
        var objects: [JSONValue] = []
        try keras { try visit(try file.root, into: &objects) }
        var view: JSONObject = ["format": "hdf5", "file": .string(path)]
        if let detected = try? KerasFile(path: path) {
            view["keras"] = [
                "layout": .string(detected.kind.rawValue),
                "keras_version": .string(detected.kerasVersion),
                "backend": .string(detected.backend),
                "has_architecture": .bool(detected.storedArchitecture != nil),
            ]
        } else {
            view["keras"] = .null
        }
        view["objects"] = .array(objects)
        return .object(view)
    }

    private static func visit(_ group: Group, into objects: inout [JSONValue]) throws {
        let children = try group.children()
        objects.append(.object([
            "path": .string(group.path), "kind": "group",
            "attributes": try attributes(of: group),
            "children": .array(children.map { .string($0) }),
        ]))
        for name in children {
            switch try group.kind(of: name) {
            case .group?:
                try visit(try group.group(name), into: &objects)
            case .dataset?:
                let dataset = try group.dataset(name)
                objects.append(.object([
                    "path": .string(dataset.path), "kind": "dataset",
                    "dtype": .string(dataset.elementType.code),
                    "shape": .array(dataset.shape.map { .int(Int64($0)) }),
                    "chunks": dataset.chunks.map { .array($0.map { .int(Int64($0)) }) } ?? .null,
                    "filters": .array(dataset.filters.map { .string($0) }),
                    "attributes": try attributes(of: dataset),
                ]))
            default:
                objects.append(.object(["path": .string(group.path == "/" ? "/" + name : group.path + "/" + name), "kind": "other"]))
            }
        }
    }

    static func attributes(of node: some HDF5Node) throws -> JSONValue {
        .array(try node.attributeNames().map { name in
            let attribute: Attribute
            do { attribute = try node.attribute(name) } catch HDF5Error.unsupportedType(_, _, let description) {
                return .object(["name": .string(name), "dtype": .string(description), "shape": .null, "value": .null])
            }
            let values: [JSONValue] = switch attribute.value {
            case let .strings(strings): strings.map { .string($0) }
            case let .integers(numbers): numbers.map { .int($0) }
            case let .unsignedIntegers(numbers): numbers.map { Int64(exactly: $0).map(JSONValue.int) ?? .double(Double($0)) }
            case let .floats(numbers): numbers.map(number)
            }
            var entry: JSONObject = [
                "name": .string(name), "dtype": .string(attribute.type.code),
                "shape": .array(attribute.shape.map { .int(Int64($0)) }),
                "value": attribute.shape.isEmpty ? (values.first ?? .null) : .array(values),
            ]
            if case let .string(encoding) = attribute.type {
                entry["string_kind"] = .string(encoding.length == .variable ? "vlen" : "fixed")
                entry["charset"] = .string(encoding.charset.rawValue)
                if case let .fixed(size) = encoding.length { entry["string_size"] = .int(Int64(size)) }
            }
            return .object(entry)
        })
    }

    /// JSON has no NaN or infinity: those are written as the strings numpy prints.
    private static func number(_ value: Double) -> JSONValue {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return .double(value)
    }
}

extension HDF5JSONView {
    /// Writes an attribute described the way ``attributes(of:)`` describes it, with the same
    /// element type, shape and string encoding: the inverse of the view, used by the reverse
    /// conversion to recreate Keras' attributes exactly.
    static func writeAttribute(_ description: JSONValue, to node: some HDF5Node, source: String) throws {
        func fail(_ detail: String) -> KerasError {
            .invalidConfig(source: source, field: "\(node.path)@\(description["name"]?.stringValue ?? "?")", detail: detail)
        }
        guard let name = description["name"]?.stringValue, let code = description["dtype"]?.stringValue,
              let shapeItems = description["shape"]?.arrayValue else { throw fail("attribute description incomplete") }
        let shape = shapeItems.compactMap(\.intValue).map { Int($0) }
        let raw: [JSONValue] = shape.isEmpty ? [description["value"] ?? .null] : (description["value"]?.arrayValue ?? [])
        let type: ElementType
        let value: AttributeValue
        switch code {
        case "string":
            let charset: StringEncoding.Charset = description["charset"]?.stringValue == "utf8" ? .utf8 : .ascii
            let length: StringEncoding.Length = description["string_kind"]?.stringValue == "fixed"
                ? .fixed(Int(description["string_size"]?.intValue ?? 1)) : .variable
            type = .string(StringEncoding(length: length, charset: charset))
            value = .strings(raw.compactMap(\.stringValue))
        case "f16", "f32", "f64":
            type = code == "f16" ? .float16 : code == "f32" ? .float32 : .float64
            value = .floats(try raw.map { item in
                switch item {
                case .string("nan"): return .nan
                case .string("inf"): return .infinity
                case .string("-inf"): return -.infinity
                default:
                    guard let number = item.doubleValue else { throw fail("not a number: \(item)") }
                    return number
                }
            })
        case "i8", "i16", "i32", "i64":
            type = ["i8": .int8, "i16": .int16, "i32": .int32][code] ?? .int64
            value = .integers(raw.compactMap(\.intValue))
        case "u8", "u16", "u32", "u64":
            type = ["u8": .uint8, "u16": .uint16, "u32": .uint32][code] ?? .uint64
            value = .unsignedIntegers(raw.compactMap { $0.intValue.flatMap { UInt64(exactly: $0) } ?? $0.doubleValue.flatMap { UInt64(exactly: $0) } })
        default:
            throw fail("attributes of type \(code) cannot be written back")
        }
        try keras { try node.writeAttribute(name, type: type, shape: shape, value: value) }
    }
}
