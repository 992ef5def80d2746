// A strict RFC 8259 parser over raw bytes: every read is bounds-checked, every failure is typed.

/// Limits that keep hostile input from exhausting the stack or memory.
public struct JSONParseLimits: Sendable, Hashable {
    /// The deepest nesting of arrays and objects accepted; the top-level container is depth 1.
    public var maxDepth: Int
    /// The longest number literal accepted, in bytes. Longer literals are refused rather than
    /// handed to the floating-point converter.
    public var maxNumberLength: Int

    public init(maxDepth: Int = 512, maxNumberLength: Int = 1024) {
        self.maxDepth = maxDepth
        self.maxNumberLength = maxNumberLength
    }

    /// Depth 512, numbers up to 1024 bytes.
    public static let `default` = JSONParseLimits()
}

/// Why a text is not JSON, with where it went wrong.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The text ended inside a value; `expected` says what was still needed.
        case unexpectedEndOfInput(expected: String)
        /// A byte that cannot start or continue what was being read. `found` is the character
        /// (or `0xNN` for a byte that is not printable ASCII).
        case unexpectedCharacter(found: String, expected: String)
        /// A number that breaks the JSON grammar (leading zero, missing digits, ...).
        case invalidNumber(String)
        /// A number that is valid JSON but too large for a `Double` (it would become infinite),
        /// or longer than ``JSONParseLimits/maxNumberLength``.
        case numberOutOfRange(String)
        /// A backslash followed by something other than `" \ / b f n r t u`, or a bad `\u` escape.
        case invalidEscape(String)
        /// A `\u` escape for half of a UTF-16 surrogate pair without the other half.
        case loneSurrogate(String)
        /// A raw control character (U+0000 to U+001F) inside a string; it must be escaped.
        case controlCharacterInString(UInt8)
        /// Bytes that are not well-formed UTF-8.
        case invalidUTF8
        /// The same key twice in one object.
        case duplicateKey(String)
        /// Arrays/objects nested deeper than ``JSONParseLimits/maxDepth``.
        case nestingTooDeep(limit: Int)
        /// Something other than whitespace after the complete top-level value.
        case trailingCharacters
        /// The text holds nothing but (possibly) whitespace.
        case emptyInput
    }

    public let kind: Kind
    /// Zero-based byte offset of the problem in the input.
    public let offset: Int
    /// One-based line number (lines end at LF, CR or CRLF).
    public let line: Int
    /// One-based column, counted in Unicode code points from the start of the line.
    public let column: Int

    public var description: String {
        "JSON parse error at line \(line), column \(column) (byte \(offset)): \(message)"
    }

    /// The problem alone, without position.
    public var message: String {
        switch kind {
        case .unexpectedEndOfInput(let expected):
            return "the text ends too early; expected \(expected)"
        case .unexpectedCharacter(let found, let expected):
            return "unexpected \(found); expected \(expected)"
        case .invalidNumber(let reason):
            return "invalid number: \(reason)"
        case .numberOutOfRange(let text):
            return "number \(text) cannot be represented (too large for a 64-bit float, or too long)"
        case .invalidEscape(let reason):
            return "invalid escape in string: \(reason)"
        case .loneSurrogate(let escape):
            return "\(escape) is half of a UTF-16 surrogate pair without its other half"
        case .controlCharacterInString(let byte):
            return "control character U+\(hex4(UInt32(byte))) must be escaped inside a string"
        case .invalidUTF8:
            return "the bytes are not valid UTF-8"
        case .duplicateKey(let key):
            return "duplicate key \"\(key)\" in object"
        case .nestingTooDeep(let limit):
            return "arrays and objects are nested deeper than the limit of \(limit)"
        case .trailingCharacters:
            return "unexpected text after the end of the JSON value"
        case .emptyInput:
            return "the text is empty; expected a JSON value"
        }
    }
}

func hex4(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

extension JSONValue {
    /// Parses UTF-8 JSON text strictly (RFC 8259).
    ///
    /// Refused, each with its own ``JSONParseError/Kind``: trailing commas, comments, leading
    /// zeros, `NaN`/`Infinity`, unescaped control characters, lone surrogate escapes, invalid
    /// UTF-8, duplicate keys, anything after the value, nesting deeper than `limits.maxDepth`,
    /// and numbers that would overflow a `Double`. A byte-order mark is not accepted either.
    public static func parse(
        _ bytes: some Collection<UInt8>, limits: JSONParseLimits = .default
    ) throws(JSONParseError) -> JSONValue {
        let array = Array(bytes)
        var parser = JSONByteParser(bytes: array, limits: limits)
        return try parser.parseDocument()
    }

    /// Parses JSON text strictly (RFC 8259); see ``parse(_:limits:)-(Collection<UInt8>,_)``.
    public static func parse(
        _ text: String, limits: JSONParseLimits = .default
    ) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}

private enum ASCII {
    static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A
    static let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let minus: UInt8 = 0x2D, plus: UInt8 = 0x2B, dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65, upperE: UInt8 = 0x45
    static let space: UInt8 = 0x20, tab: UInt8 = 0x09, lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D
}

/// Recursive-descent parser. `position` only moves forward past bytes that were checked.
private struct JSONByteParser {
    let bytes: [UInt8]
    let limits: JSONParseLimits
    var position = 0
    var depth = 0

    init(bytes: [UInt8], limits: JSONParseLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    // MARK: Errors

    func error(_ kind: JSONParseError.Kind, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? position, bytes.count)
        var line = 1
        var column = 1
        var index = 0
        while index < offset {
            let byte = bytes[index]
            if byte == ASCII.lineFeed {
                line += 1; column = 1
            } else if byte == ASCII.carriageReturn {
                if index + 1 < bytes.count, bytes[index + 1] == ASCII.lineFeed {
                    // CRLF: the LF ends the line.
                } else {
                    line += 1; column = 1
                }
            } else if byte & 0xC0 != 0x80 {
                column += 1  // count code points: skip UTF-8 continuation bytes
            }
            index += 1
        }
        return JSONParseError(kind: kind, offset: offset, line: line, column: column)
    }

    func describeByte(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of text" }
        let byte = bytes[offset]
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        switch byte {
        case ASCII.space: return "space"
        case ASCII.lineFeed: return "line feed"
        case ASCII.carriageReturn: return "carriage return"
        case ASCII.tab: return "tab"
        default:
            let digits = String(byte, radix: 16, uppercase: true)
            return "byte 0x" + (digits.count < 2 ? "0" + digits : digits)
        }
    }

    func unexpected(expected: String) -> JSONParseError {
        if position >= bytes.count { return error(.unexpectedEndOfInput(expected: expected)) }
        return error(.unexpectedCharacter(found: describeByte(at: position), expected: expected))
    }

    // MARK: Structure

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case ASCII.space, ASCII.tab, ASCII.lineFeed, ASCII.carriageReturn: position += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < bytes.count else { throw error(.emptyInput) }
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else {
            if bytes[position] == ASCII.comma || bytes[position] == ASCII.closeBracket
                || bytes[position] == ASCII.closeBrace
            {
                throw error(.unexpectedCharacter(
                    found: describeByte(at: position), expected: "end of text after the complete value"))
            }
            throw error(.trailingCharacters)
        }
        return value
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw error(.unexpectedEndOfInput(expected: "a value")) }
        switch bytes[position] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case ASCII.minus, ASCII.zero...ASCII.nine: return try parseNumber()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        default:
            throw unexpected(expected: "a value (object, array, string, number, true, false or null)")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = position
        var index = 0
        let utf8 = literal.utf8Start
        while index < literal.utf8CodeUnitCount {
            let expectedByte = utf8[index]
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "the rest of '\(literal)'"))
            }
            guard bytes[position] == expectedByte else {
                throw error(.unexpectedCharacter(
                    found: describeByte(at: position), expected: "'\(literal)' (started at byte \(start))"))
            }
            position += 1
            index += 1
        }
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > limits.maxDepth { throw error(.nestingTooDeep(limit: limits.maxDepth)) }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // '['
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == ASCII.closeBracket {
            position += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if position < bytes.count, bytes[position] == ASCII.closeBracket {
                throw error(.unexpectedCharacter(found: "']'", expected: "a value (trailing commas are not allowed)"))
            }
            elements.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "',' or ']' to continue the array"))
            }
            switch bytes[position] {
            case ASCII.comma:
                position += 1
            case ASCII.closeBracket:
                position += 1
                depth -= 1
                return .array(elements)
            default:
                throw unexpected(expected: "',' or ']' after an array element")
            }
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // '{'
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count, bytes[position] == ASCII.closeBrace {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "a key string"))
            }
            guard bytes[position] == ASCII.quote else {
                if bytes[position] == ASCII.closeBrace {
                    throw error(.unexpectedCharacter(
                        found: "'}'", expected: "a key string (trailing commas are not allowed)"))
                }
                throw unexpected(expected: "a key string in double quotes")
            }
            let keyOffset = position
            let key = try parseString()
            if object.contains(key: key) { throw error(.duplicateKey(key), at: keyOffset) }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == ASCII.colon else {
                throw unexpected(expected: "':' after the key \"\(key)\"")
            }
            position += 1
            skipWhitespace()
            object.appendNew(key, try parseValue())
            skipWhitespace()
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "',' or '}' to continue the object"))
            }
            switch bytes[position] {
            case ASCII.comma:
                position += 1
            case ASCII.closeBrace:
                position += 1
                depth -= 1
                return .object(object)
            default:
                throw unexpected(expected: "',' or '}' after an object member")
            }
        }
    }

    // MARK: Numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var isInteger = true
        if bytes[position] == ASCII.minus { position += 1 }
        guard position < bytes.count else { throw error(.unexpectedEndOfInput(expected: "a digit after '-'")) }
        let firstDigit = bytes[position]
        guard firstDigit >= ASCII.zero && firstDigit <= ASCII.nine else {
            throw error(.invalidNumber("expected a digit after '-', found \(describeByte(at: position))"))
        }
        position += 1
        if firstDigit == ASCII.zero {
            if position < bytes.count, bytes[position] >= ASCII.zero && bytes[position] <= ASCII.nine {
                throw error(.invalidNumber("leading zeros are not allowed"), at: start)
            }
        } else {
            skipDigits()
        }
        if position < bytes.count, bytes[position] == ASCII.dot {
            isInteger = false
            position += 1
            guard skipDigits() > 0 else {
                throw error(.invalidNumber("expected a digit after the decimal point, found \(describeByte(at: position))"))
            }
        }
        if position < bytes.count, bytes[position] == ASCII.lowerE || bytes[position] == ASCII.upperE {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == ASCII.plus || bytes[position] == ASCII.minus {
                position += 1
            }
            guard skipDigits() > 0 else {
                throw error(.invalidNumber("expected a digit in the exponent, found \(describeByte(at: position))"))
            }
        }
        let length = position - start
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard length <= limits.maxNumberLength else {
            throw error(.numberOutOfRange(String(text.prefix(40)) + "…"), at: start)
        }
        if isInteger, let int = Int64(text) { return .int(int) }
        guard let double = Double(text), double.isFinite else {
            throw error(.numberOutOfRange(text), at: start)
        }
        return .double(double)
    }

    @discardableResult
    mutating func skipDigits() -> Int {
        let start = position
        while position < bytes.count, bytes[position] >= ASCII.zero && bytes[position] <= ASCII.nine {
            position += 1
        }
        return position - start
    }

    // MARK: Strings

    /// Reads a string starting at the opening quote; validates UTF-8 as it goes.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        var buffer: [UInt8] = []
        while true {
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "'\"' to close the string"))
            }
            let byte = bytes[position]
            switch byte {
            case ASCII.quote:
                position += 1
                return String(decoding: buffer, as: UTF8.self)
            case ASCII.backslash:
                try parseEscape(into: &buffer)
            case 0x00..<0x20:
                throw error(.controlCharacterInString(byte))
            case 0x20..<0x80:
                buffer.append(byte)
                position += 1
            default:
                try copyMultibyteScalar(into: &buffer)
            }
        }
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF) and copies it.
    mutating func copyMultibyteScalar(into buffer: inout [UInt8]) throws(JSONParseError) {
        let lead = bytes[position]
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: throw error(.invalidUTF8)
        }
        guard bytes.count - position >= length else { throw error(.invalidUTF8) }
        let second = bytes[position + 1]
        guard second >= lowerBound && second <= upperBound else { throw error(.invalidUTF8) }
        if length > 2 {
            for offset in 2..<length where bytes[position + offset] & 0xC0 != 0x80 {
                throw error(.invalidUTF8)
            }
        }
        buffer.append(contentsOf: bytes[position..<(position + length)])
        position += length
    }

    mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = position
        position += 1  // backslash
        guard position < bytes.count else {
            throw error(.unexpectedEndOfInput(expected: "an escape character after '\\'"))
        }
        let code = bytes[position]
        position += 1
        switch code {
        case ASCII.quote: buffer.append(ASCII.quote)
        case ASCII.backslash: buffer.append(ASCII.backslash)
        case ASCII.slash: buffer.append(ASCII.slash)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(ASCII.lineFeed)
        case UInt8(ascii: "r"): buffer.append(ASCII.carriageReturn)
        case UInt8(ascii: "t"): buffer.append(ASCII.tab)
        case UInt8(ascii: "u"):
            let first = try readHex4(escapeStart: escapeStart)
            var scalarValue = UInt32(first)
            if (0xD800...0xDBFF).contains(first) {
                // High surrogate: must be followed by \u and a low surrogate.
                guard position + 1 < bytes.count, bytes[position] == ASCII.backslash,
                    bytes[position + 1] == UInt8(ascii: "u")
                else {
                    throw error(.loneSurrogate("\\u" + hex4(UInt32(first))), at: escapeStart)
                }
                let lowStart = position
                position += 2
                let second = try readHex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(second) else {
                    throw error(.loneSurrogate("\\u" + hex4(UInt32(first))), at: escapeStart)
                }
                scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(first) {
                throw error(.loneSurrogate("\\u" + hex4(UInt32(first))), at: escapeStart)
            }
            guard let scalar = Unicode.Scalar(scalarValue) else {
                throw error(.invalidEscape("\\u" + hex4(scalarValue) + " is not a Unicode scalar"), at: escapeStart)
            }
            UTF8.encode(scalar) { buffer.append($0) }
        default:
            position -= 1
            throw error(.invalidEscape("'\\' followed by \(describeByte(at: position)); "
                + "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"), at: escapeStart)
        }
    }

    /// Reads the four hex digits after `\u` (position is just past the `u`).
    mutating func readHex4(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard position < bytes.count else {
                throw error(.unexpectedEndOfInput(expected: "four hex digits after \\u"))
            }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw error(.invalidEscape("\\u must be followed by four hex digits, found \(describeByte(at: position))"))
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }
}
