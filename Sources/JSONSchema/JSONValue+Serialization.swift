// Deterministic JSON text for a JSONValue.

/// Why a value cannot be written as JSON.
public enum JSONSerializationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A `.double` holding NaN or an infinity, which JSON has no way to write.
    /// `path` is the JSON Pointer of the value inside the document ("" for the root).
    case nonFiniteNumber(_ value: Double, at: String)

    public var description: String {
        switch self {
        case .nonFiniteNumber(let value, let path):
            return "cannot write \(value) at \(path.isEmpty ? "the root" : "'\(path)'") as JSON: "
                + "JSON numbers must be finite"
        }
    }
}

extension JSONValue {
    /// The value as JSON text.
    ///
    /// The output is a pure function of the value and the options: keys come in insertion order
    /// (or sorted by their UTF-8 bytes with `sortedKeys`), strings escape only `"`, `\` and
    /// control characters (as `\n`, `\t`, ... or `\u00XX`), and non-ASCII text is written as is.
    /// Doubles are printed with the shortest text that reads back to the same `Double`, always
    /// with a fraction or exponent, so `.double(1)` prints `1.0` and reads back as a double.
    /// `pretty` indents by two spaces and writes `"key": value`.
    ///
    /// - Throws: ``JSONSerializationError/nonFiniteNumber(_:at:)`` when a `.double` is NaN or
    ///   infinite; nothing else can fail.
    public func serialized(sortedKeys: Bool = false, pretty: Bool = false) throws(JSONSerializationError) -> String {
        var writer = JSONWriter(sortedKeys: sortedKeys, pretty: pretty)
        try writer.write(self, indent: 0, path: "")
        return writer.output
    }
}

extension JSONValue: CustomStringConvertible, CustomDebugStringConvertible {
    /// Compact JSON text; a non-finite double (which JSON cannot hold) appears as `NaN`,
    /// `Infinity` or `-Infinity` so that the description never fails. Use
    /// ``serialized(sortedKeys:pretty:)`` when the result must be valid JSON.
    public var description: String {
        var writer = JSONWriter(sortedKeys: false, pretty: false, allowNonFinite: true)
        do {
            try writer.write(self, indent: 0, path: "")
        } catch {
            return "<unprintable JSON: \(error)>"  // unreachable: allowNonFinite is set
        }
        return writer.output
    }

    public var debugDescription: String { description }
}

/// Escapes one JSON Pointer reference token (`~` → `~0`, `/` → `~1`).
public func escapePointerToken(_ token: String) -> String {
    // Bytes, not `String.contains`: with Foundation loaded that is a locale-aware search, and
    // this runs for every error a schema evaluation collects.
    guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
    return token.replacingAll("~", with: "~0").replacingAll("/", with: "~1")
}

extension String {
    /// Plain substring replacement, without Foundation.
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var remainder = self[...]
        while let range = remainder.range(of: target) {
            result += remainder[..<range.lowerBound]
            result += replacement
            remainder = remainder[range.upperBound...]
        }
        result += remainder
        return result
    }
}

private extension Substring {
    func range(of target: String) -> Range<Index>? {
        let targetChars = Array(target.unicodeScalars)
        let scalars = unicodeScalars
        var start = scalars.startIndex
        while start != scalars.endIndex {
            var cursor = start
            var matched = 0
            while matched < targetChars.count, cursor != scalars.endIndex, scalars[cursor] == targetChars[matched] {
                matched += 1
                cursor = scalars.index(after: cursor)
            }
            if matched == targetChars.count { return start..<cursor }
            start = scalars.index(after: start)
        }
        return nil
    }
}

struct JSONWriter {
    let sortedKeys: Bool
    let pretty: Bool
    var allowNonFinite = false
    var output = ""

    init(sortedKeys: Bool, pretty: Bool, allowNonFinite: Bool = false) {
        self.sortedKeys = sortedKeys
        self.pretty = pretty
        self.allowNonFinite = allowNonFinite
    }

    mutating func newline(_ indent: Int) {
        guard pretty else { return }
        output += "\n"
        output += String(repeating: "  ", count: indent)
    }

    mutating func write(_ value: JSONValue, indent: Int, path: String) throws(JSONSerializationError) {
        switch value {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .int(let int): output += String(int)
        case .double(let double):
            guard double.isFinite else {
                guard allowNonFinite else { throw .nonFiniteNumber(double, at: path) }
                output += double.isNaN ? "NaN" : (double < 0 ? "-Infinity" : "Infinity")
                return
            }
            output += formatDouble(double)
        case .string(let string): writeString(string)
        case .array(let elements):
            guard !elements.isEmpty else { output += "[]"; return }
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                newline(indent + 1)
                try write(element, indent: indent + 1, path: path + "/" + String(index))
            }
            newline(indent)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else { output += "{}"; return }
            output += "{"
            var keys = object.keys
            if sortedKeys { keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                newline(indent + 1)
                writeString(key)
                output += pretty ? ": " : ":"
                try write(object[key] ?? .null, indent: indent + 1, path: path + "/" + escapePointerToken(key))
            }
            newline(indent)
            output += "}"
        }
    }

    mutating func writeString(_ string: String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x00..<0x20: output += "\\u" + hex4(scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// Shortest round-trip text for a finite double, always marked as a non-integer
/// (Swift prints `1.0`, `1e-05`, `1e+300`; all are valid JSON and read back as doubles).
func formatDouble(_ double: Double) -> String {
    let text = double.description
    if text.contains(".") || text.contains("e") || text.contains("E") { return text }
    return text + ".0"
}
