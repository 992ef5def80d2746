/// An element type a `.npy` file may hold here; the raw value is numpy's `descr` string.
///
/// Only little-endian (or byte-sized) types: every file numpy writes on the machines we
/// target uses them, and a big-endian `descr` is refused rather than silently misread.
public enum NPYElementType: String, Sendable, Hashable, CaseIterable {
    case float32 = "<f4"
    case float64 = "<f8"
    case float16 = "<f2"
    case int32 = "<i4"
    case int64 = "<i8"
    case uint8 = "|u1"

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .uint8: return 1
        case .float16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        }
    }

    /// The matching tensor dtype.
    public var dtype: DType {
        switch self {
        case .float32: return .f32
        case .float64: return .f64
        case .float16: return .f16
        case .int32: return .i32
        case .int64: return .i64
        case .uint8: return .u8
        }
    }
}

/// What a `.npy` header promises about the data that follows it.
public struct NPYHeader: Sendable, Hashable {
    /// Format major version: 1, 2 or 3 (the minor version is always 0).
    public var majorVersion: UInt8
    public var elementType: NPYElementType
    /// Dimensions, outermost first; `[]` is a scalar. The data is C order (row-major).
    public var shape: [Int]
    /// Product of `shape`.
    public var elementCount: Int
    /// Offset of the first data byte from the start of the file.
    public var dataOffset: Int
    /// `elementCount × elementType.byteSize`.
    public var dataByteCount: Int
}

/// A strict parser for the header dict, a Python literal such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 6, 5, 3), }`.
///
/// Accepted: `'…'` or `"…"` strings without escapes, `True`/`False`, tuples of non-negative
/// decimal integers (`()`, `(3,)`, `(2, 3)` with an optional trailing comma), whitespace
/// between tokens, an optional trailing comma in the dict, and only whitespace after the
/// closing brace. Exactly the keys `descr`, `fortran_order` and `shape`, each once. Anything
/// else is `NPYError.malformedHeader` with the byte offset of the problem.
struct NPYHeaderParser {
    /// A value in the dict.
    enum Value {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    let text: [UInt8]
    let path: String
    private var position = 0

    init(text: [UInt8], path: String) {
        self.text = text
        self.path = path
    }

    /// Parses the whole header text into `(descr, fortranOrder, shape)`.
    mutating func parse() throws(NPYError) -> (descr: String, fortranOrder: Bool, shape: [Int]) {
        var entries: [String: Value] = [:]
        skipWhitespace()
        try expect(UInt8(ascii: "{"), "the header must be a dict starting with '{'")
        skipWhitespace()
        while peek() != UInt8(ascii: "}") {
            let keyOffset = position
            guard case .string(let key) = try value() else { throw failure(at: keyOffset, "dict keys must be strings") }
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw failure(at: keyOffset, "unexpected key '\(key)' (only 'descr', 'fortran_order' and 'shape' are allowed)")
            }
            guard entries[key] == nil else { throw failure(at: keyOffset, "key '\(key)' appears twice") }
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':' after key '\(key)'")
            skipWhitespace()
            entries[key] = try value()
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                position += 1
                skipWhitespace()
            } else if peek() != UInt8(ascii: "}") {
                throw failure(at: position, "expected ',' or '}' after the value of '\(key)'")
            }
        }
        position += 1
        skipWhitespace()
        guard position == text.count else { throw failure(at: position, "unexpected text after the closing '}'") }

        guard case .string(let descr)? = entries["descr"] else { throw failure(at: 0, "'descr' must be present and a string") }
        guard case .bool(let fortranOrder)? = entries["fortran_order"] else {
            throw failure(at: 0, "'fortran_order' must be present and True or False")
        }
        guard case .tuple(let shape)? = entries["shape"] else { throw failure(at: 0, "'shape' must be present and a tuple of integers") }
        return (descr, fortranOrder, shape)
    }

    private func peek() -> UInt8? { position < text.count ? text[position] : nil }

    private func failure(at offset: Int, _ message: String) -> NPYError {
        .malformedHeader(path: path, offset: offset, message: message)
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(NPYError) {
        guard peek() == byte else { throw failure(at: position, message) }
        position += 1
    }

    /// Python whitespace inside a literal: space, tab, newline, carriage return.
    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func value() throws(NPYError) -> Value {
        guard let byte = peek() else { throw failure(at: position, "the header ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try string(quote: byte))
        case UInt8(ascii: "("):
            return .tuple(try tuple())
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            for (word, result) in [("True", true), ("False", false)] {
                let bytes = Array(word.utf8)
                if text.count - position >= bytes.count, Array(text[position..<(position + bytes.count)]) == bytes {
                    position += bytes.count
                    return .bool(result)
                }
            }
            throw failure(at: position, "expected True or False")
        default:
            throw failure(at: position, "expected a string, True/False or a tuple")
        }
    }

    private mutating func string(quote: UInt8) throws(NPYError) -> String {
        let start = position
        position += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw failure(at: start, "unterminated string") }
            position += 1
            if byte == quote { break }
            guard byte != UInt8(ascii: "\\") else { throw failure(at: position - 1, "escape sequences are not supported in header strings") }
            guard byte >= 0x20, byte < 0x7F else { throw failure(at: position - 1, "header strings must be printable ASCII") }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `()`, `(n,)`, `(n, m)`, `(n, m,)`: a one-element tuple needs its comma, as in Python.
    private mutating func tuple() throws(NPYError) -> [Int] {
        let start = position
        position += 1
        var values: [Int] = []
        var sawTrailingComma = false
        skipWhitespace()
        while peek() != UInt8(ascii: ")") {
            values.append(try integer())
            skipWhitespace()
            sawTrailingComma = false
            if peek() == UInt8(ascii: ",") {
                position += 1
                sawTrailingComma = true
                skipWhitespace()
            } else if peek() != UInt8(ascii: ")") {
                throw failure(at: position, "expected ',' or ')' in the shape tuple")
            }
        }
        position += 1
        if values.count == 1 && !sawTrailingComma {
            throw failure(at: start, "'(n)' is an integer in Python, not a tuple; a one-dimensional shape is written '(n,)'")
        }
        return values
    }

    /// A non-negative decimal integer without sign or leading zeros, checked for overflow.
    private mutating func integer() throws(NPYError) -> Int {
        let start = position
        var value = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            if position > start, text[start] == UInt8(ascii: "0") {
                throw failure(at: start, "integers with leading zeros are not Python literals")
            }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw failure(at: start, "shape dimension does not fit in a 64-bit integer") }
            value = sum
            position += 1
        }
        guard position > start else { throw failure(at: start, "expected a non-negative integer in the shape tuple") }
        return value
    }
}
