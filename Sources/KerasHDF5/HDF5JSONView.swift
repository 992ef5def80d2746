import BNModel
import HDF5
import JSONSchema

/// The JSON view of an HDF5 file that `bnconvert inspect --json FILE.h5` prints and
/// `schemas/keras-h5.schema.json` describes: every group and dataset (depth-first, children in
/// name order), with attributes, element types and shapes, and no dataset values.
public enum HDF5JSONView {
    public static func describe(path: String) throws -> JSONValue {
        let file = try keras { try HDF5File.open(path) }
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

    private static func attributes(of node: some HDF5Node) throws -> JSONValue {
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
