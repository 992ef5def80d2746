import Foundation
import JSONSchema
@testable import BNModel

/// Builds damaged `.bnm` files from a good one, keeping every check *before* the one under test
/// satisfied (header and manifest CRCs recomputed), so that each test reaches the rule it means.
struct Forge {
    let bytes: [UInt8]
    let header: BNMHeader
    let manifest: JSONValue

    init(path: String) throws {
        bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try BNMFile(path: path)
        header = file.header
        manifest = try JSONValue.parse(file.manifestText)
    }

    var data: [UInt8] { Array(bytes[Int(header.dataOffset)...]) }

    /// A file with `manifest` (text) and `data`, a correct header otherwise.
    static func assemble(manifest: [UInt8], data: [UInt8], minor: UInt16 = 0, flags: UInt32 = 0) -> [UInt8] {
        let dataOffset = (64 + manifest.count + 63) / 64 * 64
        let header = BNMHeader(minor: minor, flags: flags, manifestOffset: 64, manifestLength: UInt64(manifest.count),
                               manifestCRC32: CRC32.checksum(manifest), dataOffset: UInt64(dataOffset),
                               dataLength: UInt64(data.count))
        return header.encoded + manifest + [UInt8](repeating: 0, count: dataOffset - 64 - manifest.count) + data
    }

    /// The file with the manifest member at `path` set to `value` (nil removes it).
    func setting(_ path: [JSONPathElement], to value: JSONValue?, data: [UInt8]? = nil, minor: UInt16 = 0) throws -> [UInt8] {
        let edited = try Self.set(manifest, path[...], value)
        return Self.assemble(manifest: Array(try edited.serialized().utf8), data: data ?? self.data, minor: minor)
    }

    /// The file with the header replaced (its CRC recomputed).
    func withHeader(_ change: (inout BNMHeader) -> Void) -> [UInt8] {
        var header = self.header
        change(&header)
        return header.encoded + bytes[64...]
    }

    private static func set(_ root: JSONValue, _ path: ArraySlice<JSONPathElement>, _ value: JSONValue?) throws -> JSONValue {
        guard let first = path.first else { return value ?? .null }
        switch (root, first) {
        case (.object(var object), .key(let key)):
            if path.count == 1, value == nil {
                object[key] = nil
            } else {
                object[key] = try set(object[key] ?? .null, path.dropFirst(), value)
            }
            return .object(object)
        case (.array(var array), .index(let index)):
            array[index] = try set(array[index], path.dropFirst(), value)
            return .array(array)
        default:
            throw CocoaError(.coderInvalidValue)
        }
    }
}

enum JSONPathElement: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)
    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

extension TemporaryFolder {
    /// Writes `bytes` to a file in the folder and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = self.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Opens `path` and returns the error, or nil when it opened.
func openError(_ path: String) -> BNMError? {
    do {
        _ = try BNMFile(path: path)
        return nil
    } catch {
        return error
    }
}
