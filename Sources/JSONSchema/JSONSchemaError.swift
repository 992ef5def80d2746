// Errors found while compiling a schema (before any instance is validated).

/// A schema that cannot be compiled, with where in the schema the problem is.
public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The schema text is not JSON.
        case invalidJSON(JSONParseError)
        /// The schema file could not be read.
        case unreadableFile(path: String, reason: String)
        /// A schema (or subschema) that is neither an object nor a boolean.
        case notASchema(found: String)
        /// A draft 2020-12 keyword this validator does not implement. It is refused rather than
        /// ignored, so a schema never validates less than its author meant.
        case unsupportedKeyword(String)
        /// A keyword that is not part of draft 2020-12 at all (a typo, an older draft's keyword
        /// or a custom extension). `hint` names the 2020-12 replacement when there is one.
        case unknownKeyword(String, hint: String?)
        /// A keyword whose value has the wrong shape, e.g. `"minLength": -1`.
        case invalidKeywordValue(keyword: String, expected: String)
        /// A `pattern` / `patternProperties` key that does not compile as a regular expression.
        case invalidRegularExpression(pattern: String, reason: String)
        /// `$schema` names a dialect other than draft 2020-12.
        case unsupportedDialect(String)
        /// A `$ref` / `$dynamicRef` whose target is not in this schema document. Remote
        /// references (other documents, including the official meta-schema unless it was
        /// registered) are not fetched.
        case unresolvableReference(String, resolved: String)
        /// Two schema resources claim the same `$id`, or two subschemas the same anchor.
        case duplicateIdentifier(String)
        /// `$ref`/in-place applicators (`allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
        /// `dependentSchemas`) loop back to a schema without moving into the instance, so
        /// evaluation would never end. `cycle` lists the schema locations around the loop.
        case referenceCycle(cycle: [String])
    }

    public let kind: Kind
    /// Where the problem is: the schema document's base URI and a JSON Pointer inside it,
    /// e.g. `file:///schemas/bnm.schema.json#/properties/layers/minItems`.
    public let schemaLocation: String

    public init(kind: Kind, schemaLocation: String) {
        self.kind = kind
        self.schemaLocation = schemaLocation
    }

    public var description: String {
        "invalid schema at \(schemaLocation): \(message)"
    }

    public var message: String {
        switch kind {
        case .invalidJSON(let error): return error.description
        case .unreadableFile(let path, let reason): return "cannot read schema file \(path): \(reason)"
        case .notASchema(let found): return "a schema must be an object or a boolean, found \(found)"
        case .unsupportedKeyword(let keyword):
            return "keyword \"\(keyword)\" is part of draft 2020-12 but this validator does not implement it; "
                + "remove it or validate with another tool"
        case .unknownKeyword(let keyword, let hint):
            return "unknown keyword \"\(keyword)\" (not a draft 2020-12 keyword)" + (hint.map { "; \($0)" } ?? "")
        case .invalidKeywordValue(let keyword, let expected):
            return "the value of \"\(keyword)\" must be \(expected)"
        case .invalidRegularExpression(let pattern, let reason):
            return "regular expression \"\(pattern)\" does not compile: \(reason)"
        case .unsupportedDialect(let uri):
            return "$schema \"\(uri)\" is not supported; only https://json-schema.org/draft/2020-12/schema is"
        case .unresolvableReference(let reference, let resolved):
            return "reference \"\(reference)\" (\(resolved)) does not resolve to a known schema; "
                + "remote references are not fetched: pass the document in referencedSchemas"
        case .duplicateIdentifier(let identifier):
            return "identifier \"\(identifier)\" is defined more than once"
        case .referenceCycle(let cycle):
            return "references loop without consuming any of the instance, so validation would never end: "
                + cycle.joined(separator: " → ")
        }
    }
}
