// One reason an instance does not satisfy a schema.

/// One failed assertion, located both in the instance and in the schema.
public struct ValidationError: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The instance breaks the keyword's rule.
        case assertion
        /// Evaluation went deeper than ``JSONSchema/Options/maxEvaluationDepth`` (a recursive
        /// schema applied to a very deep instance, or a `$dynamicRef` loop). The instance is
        /// reported invalid because it could not be checked.
        case evaluationDepthExceeded
    }

    public let kind: Kind
    /// JSON Pointer to the value that failed, e.g. `/layers/3/units` ("" is the whole instance).
    public let instanceLocation: String
    /// JSON Pointer to the keyword along the evaluation path, through any `$ref`,
    /// e.g. `/properties/layers/items/$ref/properties/units/minimum`.
    public let keywordLocation: String
    /// The keyword's location as URI + JSON Pointer relative to the schema resource that holds it,
    /// e.g. `file:///schemas/bnm.schema.json#/$defs/layer/properties/units/minimum`.
    public let absoluteKeywordLocation: String
    /// The keyword that failed, e.g. `minimum`; `false` for a `false` schema.
    public let keyword: String
    /// A sentence for a person, e.g. `value -3 is less than minimum 0`.
    public let message: String
    /// For `anyOf`, `oneOf`, `propertyNames` and `contains`: why the subschemas failed.
    public let causes: [ValidationError]

    public init(kind: Kind = .assertion, instanceLocation: String, keywordLocation: String,
                absoluteKeywordLocation: String, keyword: String, message: String,
                causes: [ValidationError] = []) {
        self.kind = kind
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.absoluteKeywordLocation = absoluteKeywordLocation
        self.keyword = keyword
        self.message = message
        self.causes = causes
    }

    /// `<instance location>: <message> (<keyword location>)`, with `(root)` for the whole instance.
    public var description: String {
        "\(instanceLocation.isEmpty ? "(root)" : instanceLocation): \(message) [schema \(keywordLocation.isEmpty ? "(root)" : keywordLocation)]"
    }
}
