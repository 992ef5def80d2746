import JSONSchema

/// A manifest field that breaks the schema; becomes `BNMError.manifestSchema`.
struct ManifestIssue: Error {
    var pointer: String
    var message: String

    /// The issue with `prefix` put before its pointer: decoders of a list item work with
    /// pointers relative to the item, and the list adds the item's place only when it fails.
    func under(_ prefix: String) -> ManifestIssue {
        ManifestIssue(pointer: prefix + pointer, message: message)
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
func pointerToken(_ token: String) -> String {
    guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
    var escaped = ""
    for character in token {
        switch character {
        case "~": escaped += "~0"
        case "/": escaped += "~1"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// Typed, pointer-tracking access to one JSON object of the manifest.
///
/// Every accessor names the field by JSON Pointer when it fails. Pointers are built only then:
/// a manifest may hold hundreds of thousands of objects, and the lists of layers and tensors
/// decode each item with pointers relative to it (see `ManifestIssue.under(_:)`). With `strict`, `finish()`
/// rejects keys that were never asked for — the schema's `additionalProperties: false` — which
/// a reader applies only to files whose minor version it knows (newer minors may add fields).
struct ManifestObject {
    let object: JSONObject
    let pointer: String
    let strict: Bool
    /// The keys asked for: few per object, so a list compared byte by byte.
    private var used: [String] = []

    init(_ value: JSONValue, pointer: String, strict: Bool) throws(ManifestIssue) {
        guard case .object(let object) = value else {
            throw ManifestIssue(pointer: pointer, message: "must be an object, found \(value.typeName)")
        }
        self.object = object
        self.pointer = pointer
        self.strict = strict
    }

    func path(_ key: String) -> String { pointer + "/" + pointerToken(key) }

    mutating func value(_ key: String) throws(ManifestIssue) -> JSONValue {
        used.append(key)
        guard let value = object[key] else { throw ManifestIssue(pointer: path(key), message: "is required but missing") }
        return value
    }

    mutating func optionalValue(_ key: String) -> JSONValue? {
        used.append(key)
        return object[key]
    }

    mutating func string(_ key: String) throws(ManifestIssue) -> String {
        try Self.string(value(key), path(key))
    }

    mutating func bool(_ key: String) throws(ManifestIssue) -> Bool {
        guard case .bool(let flag) = try value(key) else { throw ManifestIssue(pointer: path(key), message: "must be a boolean") }
        return flag
    }

    mutating func int(_ key: String, minimum: Int = 0, maximum: Int = BNMHeader.maxManifestInteger) throws(ManifestIssue) -> Int {
        try Self.int(value(key), path(key), minimum: minimum, maximum: maximum)
    }

    mutating func double(_ key: String) throws(ManifestIssue) -> Double {
        try Self.double(value(key), path(key))
    }

    mutating func intArray(_ key: String, count: Int? = nil, minimum: Int = 0) throws(ManifestIssue) -> [Int] {
        let items = try array(key)
        if let count, items.count != count {
            throw ManifestIssue(pointer: path(key), message: "must have \(count) elements, found \(items.count)")
        }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if case .int(let number) = item, number >= Int64(minimum), number <= Int64(BNMHeader.maxManifestInteger) {
                result.append(Int(number))
            } else {
                result.append(try Self.int(item, path(key) + "/\(index)", minimum: minimum))
            }
        }
        return result
    }

    mutating func stringArray(_ key: String) throws(ManifestIssue) -> [String] {
        let items = try array(key)
        var result: [String] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if case .string(let text) = item {
                result.append(text)
            } else {
                result.append(try Self.string(item, path(key) + "/\(index)"))
            }
        }
        return result
    }

    mutating func array(_ key: String) throws(ManifestIssue) -> [JSONValue] {
        guard case .array(let items) = try value(key) else { throw ManifestIssue(pointer: path(key), message: "must be an array") }
        return items
    }

    mutating func object(_ key: String) throws(ManifestIssue) -> ManifestObject {
        try ManifestObject(value(key), pointer: path(key), strict: strict)
    }

    /// Rejects unknown keys when strict.
    func finish() throws(ManifestIssue) {
        guard strict else { return }
        for (key, _) in object where !used.contains(where: { $0.utf8.elementsEqual(key.utf8) }) {
            throw ManifestIssue(pointer: path(key), message: "is not a field this version of the format defines")
        }
    }

    static func string(_ value: JSONValue, _ pointer: String) throws(ManifestIssue) -> String {
        guard case .string(let text) = value else {
            throw ManifestIssue(pointer: pointer, message: "must be a string, found \(value.typeName)")
        }
        return text
    }

    /// An integer written without fraction or exponent, in `minimum...maximum` (at most 2^53).
    static func int(_ value: JSONValue, _ pointer: String, minimum: Int,
                    maximum: Int = BNMHeader.maxManifestInteger) throws(ManifestIssue) -> Int {
        guard case .int(let number) = value else {
            throw ManifestIssue(pointer: pointer, message: "must be an integer, found \(value.typeName)")
        }
        guard number >= Int64(minimum), number <= Int64(maximum) else {
            let upper = maximum == BNMHeader.maxManifestInteger ? "2^53" : "\(maximum)"
            throw ManifestIssue(pointer: pointer, message: "is \(number), outside \(minimum)...\(upper)")
        }
        return Int(number)
    }

    static func double(_ value: JSONValue, _ pointer: String) throws(ManifestIssue) -> Double {
        switch value {
        case .double(let number): return number
        case .int(let number): return Double(number)
        default: throw ManifestIssue(pointer: pointer, message: "must be a number, found \(value.typeName)")
        }
    }
}

extension ManifestObject {
    /// Any integer the manifest can hold; the layer kind checks its limits afterwards.
    mutating func integer(_ key: String) throws(ManifestIssue) -> Int {
        try int(key, minimum: -BNMHeader.maxManifestInteger)
    }

    /// An array of integers the manifest can hold; the layer kind checks its length and limits.
    mutating func integers(_ key: String) throws(ManifestIssue) -> [Int] {
        try intArray(key, minimum: -BNMHeader.maxManifestInteger)
    }

    /// The `"activation"` object.
    mutating func activation(_ key: String = "activation") throws(ManifestIssue) -> Activation {
        try Activation(manifest: value(key), pointer: path(key), strict: strict)
    }
}

extension JSONValue {
    static func integer(_ value: Int) -> JSONValue { .int(Int64(value)) }
    static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int(Int64($0)) }) }
}
