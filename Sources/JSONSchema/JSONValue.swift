// A JSON value as the parser produces it and the serializer prints it.

/// One JSON value.
///
/// Numbers keep the distinction the text made: a number written without a fraction or an
/// exponent that fits `Int64` is ``int(_:)``; every other number is ``double(_:)``. So `1` and
/// `1.0` are different values under `==` (and print back the way they were written). JSON Schema
/// comparisons (`enum`, `const`, `uniqueItems`) use ``isJSONEqual(to:)`` instead, under which
/// they are equal.
///
/// A `.double` made by the parser is always finite. One built in code may hold NaN or an
/// infinity; such a value cannot be written as JSON, and ``serialized(sortedKeys:pretty:)``
/// throws ``JSONSerializationError/nonFiniteNumber(_:at:)`` for it.
///
/// Strings compare by their Unicode code points, as JSON defines them, not by Swift's canonical
/// equivalence: `"\u{F1}"` (ñ) and `"n\u{303}"` (n + combining tilde) are different values and
/// different object keys.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits `Int64`.
    case int(Int64)
    /// Every other number.
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// The members of a JSON object, in insertion order.
///
/// Keys keep the order in which they appeared in the text (or were inserted); assigning to an
/// existing key keeps its place, assigning `nil` removes it. The type itself rejects nothing: the
/// parser is the one that refuses duplicate keys in text.
///
/// Equality and hashing ignore the order of keys, as JSON does: `{"a":1,"b":2}` equals
/// `{"b":2,"a":1}`. Iteration, ``keys`` and serialization use the stored order.
public struct JSONObject: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// The members in order. A manifest holds hundreds of thousands of small objects, so a
    /// small object is this array alone, searched by comparing bytes; only an object of more
    /// than ``indexThreshold`` members also keeps `index` (key → position) for lookups.
    private var members: [Element] = []
    private var index: [JSONKey: Int]?
    static let indexThreshold = 12

    public init() {}

    /// Builds an object from key/value pairs; a repeated key keeps its first place and its last value.
    public init<S: Sequence>(_ members: S) where S.Element == (String, JSONValue) {
        for (key, value) in members { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    /// The position of `key` in `members`.
    private func position(of key: String) -> Int? {
        if let index { return index[JSONKey(key)] }
        var key = key
        return key.withUTF8 { wanted in
            for position in members.indices {
                var candidate = members[position].key
                let equal = candidate.withUTF8 { $0.count == wanted.count && $0.elementsEqual(wanted) }
                if equal { return position }
            }
            return nil
        }
    }

    /// Appends a member whose key is known to be absent.
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        members.append((key, value))
        if index != nil {
            index?[JSONKey(key)] = members.count - 1
        } else if members.count > Self.indexThreshold {
            var built: [JSONKey: Int] = [:]
            built.reserveCapacity(members.count * 2)
            for (position, member) in members.enumerated() { built[JSONKey(member.key)] = position }
            index = built
        }
    }

    /// The member named `key`; setting `nil` removes it.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let position = position(of: key) {
                    members[position].value = newValue
                } else {
                    appendNew(key, newValue)
                }
            } else if let position = position(of: key) {
                members.remove(at: position)
                if index != nil {
                    var rebuilt: [JSONKey: Int] = [:]
                    for (offset, member) in members.enumerated() { rebuilt[JSONKey(member.key)] = offset }
                    index = rebuilt
                }
            }
        }
    }

    /// The keys in insertion order.
    public var keys: [String] { members.map(\.key) }
    /// The values in key order.
    public var values: [JSONValue] { members.map(\.value) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    public func contains(key: String) -> Bool { position(of: key) != nil }

    /// Removes and returns the member named `key`.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        let old = self[key]
        self[key] = nil
        return old
    }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Element]>
        public mutating func next() -> Element? { base.next() }
    }

    public func makeIterator() -> Iterator {
        Iterator(base: members.makeIterator())
    }

    public var underestimatedCount: Int { members.count }
}

extension JSONObject: Hashable {
    /// Order-insensitive: the same keys (by code points) with equal values.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-insensitive: a sum of one hash per member.
        var sum = 0
        for (key, value) in members {
            var memberHasher = Hasher()
            memberHasher.combine(JSONKey(key))
            memberHasher.combine(value)
            sum = sum &+ memberHasher.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(sum)
    }
}

/// A dictionary key that compares strings by code points (UTF-8 bytes), not by canonical equivalence.
struct JSONKey: Hashable, Sendable {
    let string: String
    init(_ string: String) { self.string = string }
    static func == (lhs: JSONKey, rhs: JSONKey) -> Bool {
        var left = lhs.string, right = rhs.string
        return left.withUTF8 { a in right.withUTF8 { b in a.count == b.count && a.elementsEqual(b) } }
    }
    func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { bytes in
            hasher.combine(bytes.count)
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
    }
}

extension JSONValue {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(1); hasher.combine(value)
        case .int(let value): hasher.combine(2); hasher.combine(value)
        case .double(let value): hasher.combine(3); hasher.combine(value)
        case .string(let value): hasher.combine(4); hasher.combine(JSONKey(value))
        case .array(let value): hasher.combine(5); hasher.combine(value)
        case .object(let value): hasher.combine(6); hasher.combine(value)
        }
    }
}

extension JSONObject: CustomStringConvertible {
    public var description: String { JSONValue.object(self).debugDescription }
}

// MARK: - Literals

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - Accessors

extension JSONValue {
    /// The string, when this is `.string`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer, when this is `.int`. A `.double` is not converted, even when it is whole.
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, when this is `.int` or `.double`.
    /// Integers beyond 2^53 may lose precision in the conversion.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The member named `key` when this is an object; `nil` otherwise or when absent.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The element at `index` when this is an array and the index is in range; `nil` otherwise.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    /// The JSON type name of the value, as JSON Schema spells it ("integer" for `.int`,
    /// "number" for `.double`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - JSON equality

extension JSONValue {
    /// Equality as JSON Schema defines it: numbers compare by mathematical value (`1 == 1.0`),
    /// objects by their set of members regardless of order, arrays element by element.
    public func isJSONEqual(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.int, _), (.double, _):
            guard let a = JSONNumber(self), let b = JSONNumber(other) else { return false }
            return a.compare(b) == .equal
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            return zip(a, b).allSatisfy { $0.isJSONEqual(to: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let otherValue = b[key], value.isJSONEqual(to: otherValue) else { return false }
            }
            return true
        default: return false
        }
    }
}

/// A JSON number that compares exactly across the `Int64` / `Double` divide.
struct JSONNumber: Sendable {
    enum Storage: Sendable { case int(Int64), double(Double) }
    let storage: Storage

    init?(_ value: JSONValue) {
        switch value {
        case .int(let int): storage = .int(int)
        case .double(let double): storage = .double(double)
        default: return nil
        }
    }

    enum Ordering { case less, equal, greater, unordered }

    var asDouble: Double {
        switch storage {
        case .int(let int): return Double(int)
        case .double(let double): return double
        }
    }

    /// Whether the number has no fractional part (`1.0` does not).
    var isWhole: Bool {
        switch storage {
        case .int: return true
        case .double(let double): return double.isFinite && double.rounded(.towardZero) == double
        }
    }

    func compare(_ other: JSONNumber) -> Ordering {
        switch (storage, other.storage) {
        case (.int(let a), .int(let b)):
            return a < b ? .less : (a == b ? .equal : .greater)
        case (.double(let a), .double(let b)):
            if a.isNaN || b.isNaN { return .unordered }
            return a < b ? .less : (a == b ? .equal : .greater)
        case (.int(let a), .double(let b)):
            return Self.compare(int: a, double: b)
        case (.double(let a), .int(let b)):
            switch Self.compare(int: b, double: a) {
            case .less: return .greater
            case .greater: return .less
            case let other: return other
            }
        }
    }

    /// Exact comparison of an `Int64` with a `Double`, without rounding the integer.
    private static func compare(int: Int64, double: Double) -> Ordering {
        if double.isNaN { return .unordered }
        // 2^63 is exactly representable; every Int64 is below it and at or above -2^63.
        if double >= 9_223_372_036_854_775_808.0 { return .less }
        if double < -9_223_372_036_854_775_808.0 { return .greater }
        let floor = double.rounded(.down)
        let floorInt = Int64(floor)  // in range: checked just above
        if int < floorInt { return .less }
        if int > floorInt { return .greater }
        return floor == double ? .equal : .less
    }
}

/// A JSON value hashed and compared under ``JSONValue/isJSONEqual(to:)``, so that sets and
/// dictionaries can find JSON-equal values (`1` and `1.0`, objects in any key order) in
/// constant time.
struct JSONEqualityKey: Hashable {
    let value: JSONValue

    static func == (lhs: JSONEqualityKey, rhs: JSONEqualityKey) -> Bool {
        lhs.value.isJSONEqual(to: rhs.value)
    }

    func hash(into hasher: inout Hasher) {
        Self.combine(value, into: &hasher)
    }

    private static func combine(_ value: JSONValue, into hasher: inout Hasher) {
        switch value {
        case .null:
            hasher.combine(0)
        case .bool(let bool):
            hasher.combine(1)
            hasher.combine(bool)
        case .int(let int):
            hasher.combine(2)
            hasher.combine(int)
        case .double(let double):
            hasher.combine(2)
            // A whole double equal to an Int64 must hash like that Int64.
            if double.rounded(.towardZero) == double, double >= -9_223_372_036_854_775_808.0,
                double < 9_223_372_036_854_775_808.0
            {
                hasher.combine(Int64(double))
            } else {
                hasher.combine(double)
            }
        case .string(let string):
            hasher.combine(3)
            hasher.combine(JSONKey(string))
        case .array(let elements):
            hasher.combine(4)
            hasher.combine(elements.count)
            for element in elements { combine(element, into: &hasher) }
        case .object(let object):
            hasher.combine(5)
            hasher.combine(object.count)
            // Order-independent: add up a hash per member.
            var sum = 0
            for (key, member) in object {
                var memberHasher = Hasher()
                memberHasher.combine(JSONKey(key))
                combine(member, into: &memberHasher)
                sum = sum &+ memberHasher.finalize()
            }
            hasher.combine(sum)
        }
    }
}
