import Foundation
import HDF5
import JSONSchema
import Testing

/// The file as h5py described it (`scripts/fixtures/h5walk.py`), decoded from JSON.
/// Parsed with the project's own JSON parser, which reads numbers exactly (Foundation's
/// JSONSerialization on Linux rounds some doubles differently from the text).
struct FileDescription {
    var objects: [JSONValue]
    var joined: [JSONValue]

    init(json: Data) throws {
        let root = try JSONValue.parse(json)
        objects = try #require(root["objects"]?.arrayValue)
        joined = try #require(root["joined"]?.arrayValue)
    }

    init(fixture name: String) throws {
        try self.init(json: try Data(contentsOf: URL(fileURLWithPath: Paths.fixture(name))))
    }

    /// What h5py reports for `path`, read now.
    static func fromH5py(_ path: String) throws -> FileDescription {
        let script = Paths.repositoryRoot.appendingPathComponent("scripts/h5describe.py").path
        let result = try run("python3", [script, path])
        #expect(result.status == 0, "h5describe failed: \(result.stderr)")
        return try FileDescription(json: result.stdout)
    }
}

/// Compares, item by item, what the Swift layer reads from `file` with the h5py description,
/// recording one expectation failure per difference with the object path in the message.
func compare(_ file: HDF5File, with expected: FileDescription) throws {
    let root = try file.root
    for object in expected.objects {
        let path = try #require(object["path"]?.stringValue)
        let kind = try #require(object["kind"]?.stringValue)
        #expect(try root.kind(of: path)?.rawValue == kind, "\(path): kind")
        let node: any HDF5Node
        if kind == "group" {
            let group = try root.group(path)
            node = group
            #expect(try group.children(order: .name) == object["children"]?.strings, "\(path): children in name order")
            if let creationOrder = object["creation_order"]?.strings {
                #expect(try group.children(order: .creation) == creationOrder, "\(path): children in creation order")
            } else {
                #expect(try !group.tracksCreationOrder(), "\(path): should not track creation order")
            }
        } else {
            let dataset = try root.dataset(path)
            node = dataset
            #expect(dataset.elementType.code == object["dtype"]?.stringValue, "\(path): element type")
            #expect(dataset.shape == object["shape"]?.ints, "\(path): shape")
            #expect(dataset.chunks == object["chunks"]?.ints, "\(path): chunks")
            let compression = object["compression"]?.stringValue
            #expect(dataset.filters.contains("deflate") == (compression == "gzip"), "\(path): compression \(dataset.filters)")
            let values = try #require(object["values"]?.arrayValue)
            try expectValues(try numbers(of: dataset), equal: values, at: path)
        }
        let attributes = try #require(object["attributes"]?.arrayValue)
        #expect(try node.attributeNames() == attributes.compactMap { $0["name"]?.stringValue }, "\(path): attribute names")
        for expectedAttribute in attributes {
            try compareAttribute(try node.attribute(try #require(expectedAttribute["name"]?.stringValue)),
                                 with: expectedAttribute, at: path)
        }
    }
    for entry in expected.joined {
        let group = try root.group(try #require(entry["group"]?.stringValue))
        let name = try #require(entry["name"]?.stringValue)
        #expect(try group.stringListAttribute(name) == entry["value"]?.strings, "\(group.path)@\(name): joined list")
    }
}

private func compareAttribute(_ attribute: Attribute, with expected: JSONValue, at path: String) throws {
    let location = "\(path)@\(attribute.name)"
    #expect(attribute.type.code == expected["dtype"]?.stringValue, "\(location): type")
    #expect(attribute.shape == expected["shape"]?.ints, "\(location): shape")
    if case let .string(encoding) = attribute.type {
        let kind: String = if case .variable = encoding.length { "vlen" } else { "fixed" }
        #expect(kind == expected["string_kind"]?.stringValue, "\(location): string kind")
        #expect(encoding.charset.rawValue == expected["charset"]?.stringValue, "\(location): charset")
    } else {
        #expect(expected["string_kind"] == .null, "\(location): should not be a string")
    }
    let value = try #require(expected["value"])
    let expectedValues: [JSONValue] = attribute.shape.isEmpty ? [value] : try #require(value.arrayValue)
    switch attribute.value {
    case let .strings(values):
        #expect(values == expectedValues.compactMap(\.stringValue) && values.count == expectedValues.count, "\(location): \(values)")
    case let .floats(values): try expectValues(values.map(Number.float), equal: expectedValues, at: location)
    case let .integers(values): try expectValues(values.map(Number.integer), equal: expectedValues, at: location)
    case let .unsignedIntegers(values): try expectValues(values.map { .integer(Int64(bitPattern: $0)) }, equal: expectedValues, at: location)
    }
}

/// A dataset or attribute element widened for comparison.
enum Number: Equatable {
    case float(Double)
    case integer(Int64)
}

/// Reads a dataset through the typed API of its element type.
func numbers(of dataset: Dataset) throws -> [Number] {
    switch dataset.elementType {
    case .float16: try dataset.read(as: Float16.self).map { .float(Double($0)) }
    case .float32: try dataset.read(as: Float.self).map { .float(Double($0)) }
    case .float64: try dataset.read(as: Double.self).map { .float($0) }
    case .int8: try dataset.read(as: Int8.self).map { .integer(Int64($0)) }
    case .int16: try dataset.read(as: Int16.self).map { .integer(Int64($0)) }
    case .int32: try dataset.read(as: Int32.self).map { .integer(Int64($0)) }
    case .int64: try dataset.read(as: Int64.self).map { .integer($0) }
    case .uint8: try dataset.read(as: UInt8.self).map { .integer(Int64($0)) }
    case .uint16: try dataset.read(as: UInt16.self).map { .integer(Int64($0)) }
    case .uint32: try dataset.read(as: UInt32.self).map { .integer(Int64($0)) }
    case .uint64: try dataset.read(as: UInt64.self).map { .integer(Int64(bitPattern: $0)) }
    case .string, .opaque, .other: []
    }
}

private func expectValues(_ actual: [Number], equal expected: [JSONValue], at location: String) throws {
    #expect(actual.count == expected.count, "\(location): \(actual.count) values, h5py has \(expected.count)")
    for (index, (value, reference)) in zip(actual, expected).enumerated() {
        let matches: Bool
        switch (value, reference) {
        case let (.float(x), .string(text)):
            matches = (text == "nan" && x.isNaN) || (text == "inf" && x == .infinity) || (text == "-inf" && x == -.infinity)
        case let (.float(x), .double(number)):
            matches = x == number && x.sign == number.sign
        case let (.float(x), .int(number)):
            matches = x == Double(number) && x.sign == .plus || (x == 0 && number == 0)
        case let (.integer(x), .int(number)):
            matches = x == number
        default:
            matches = false
        }
        if !matches {
            Issue.record("\(location)[\(index)]: Swift reads \(value), h5py reports \(reference)")
            return
        }
    }
}

extension JSONValue {
    var strings: [String]? { arrayValue?.compactMap(\.stringValue) }
    var ints: [Int]? { arrayValue?.compactMap(\.intValue).map { Int($0) } }
}
