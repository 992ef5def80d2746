// Codable conformance, so Codable types can carry free-form JSON.

/// A coding key for arbitrary object member names.
struct JSONCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

extension JSONValue: Codable {
    /// Decodes whatever the decoder holds. Object member order is whatever the decoder reports
    /// (Foundation's `JSONDecoder` does not promise text order); parse with
    /// ``JSONValue/parse(_:limits:)-(String,_)`` when order matters. A whole number the decoder
    /// can give as `Int64` becomes `.int`, so a decoder may turn `1.0` into `.int(1)`.
    public init(from decoder: any Decoder) throws {
        // The `try?`s below only probe which shape the decoder holds; when no shape fits, the
        // final `dataCorruptedError` reports it, and errors inside a container propagate.
        if let container = try? decoder.container(keyedBy: JSONCodingKey.self) {
            var object = JSONObject()
            for key in container.allKeys {
                object[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
            self = .object(object)
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            if let count = container.count { elements.reserveCapacity(count) }
            while !container.isAtEnd {
                elements.append(try container.decode(JSONValue.self))
            }
            self = .array(elements)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .int(int)
        } else if let double = try? container.decode(Double.self) {
            self = .double(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "the value is not null, a boolean, a number, a string, an array or an object")
        }
    }

    /// Encodes the value; object members in their stored order. A non-finite double throws
    /// `EncodingError.invalidValue`, because JSON cannot hold it.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let bool):
            var container = encoder.singleValueContainer()
            try container.encode(bool)
        case .int(let int):
            var container = encoder.singleValueContainer()
            try container.encode(int)
        case .double(let double):
            guard double.isFinite else {
                throw EncodingError.invalidValue(double, EncodingError.Context(
                    codingPath: encoder.codingPath, debugDescription: "JSON numbers must be finite"))
            }
            var container = encoder.singleValueContainer()
            try container.encode(double)
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let object):
            var container = encoder.container(keyedBy: JSONCodingKey.self)
            for (key, value) in object {
                try container.encode(value, forKey: JSONCodingKey(stringValue: key))
            }
        }
    }
}
