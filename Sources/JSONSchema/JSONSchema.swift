// JSON Schema (draft 2020-12) validator: knows nothing about models.
//
// Pipeline: JSONValue (JSONValue.swift, JSONParser.swift) → SchemaCompiler (identifiers,
// anchors, references and keyword values checked once, into an array of CompiledNode) →
// SchemaEvaluator (keywords applied to an instance, annotations tracked for unevaluated*).
//
// Implemented keywords (each passes its official test-suite file):
//   core        $schema (2020-12 only), $id, $anchor, $dynamicAnchor, $ref, $dynamicRef, $defs, $comment
//   applicator  prefixItems, items, contains, additionalProperties, properties, patternProperties,
//               dependentSchemas, propertyNames, if, then, else, allOf, anyOf, oneOf, not
//   unevaluated unevaluatedItems, unevaluatedProperties
//   validation  type, enum, const, multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum,
//               maxLength, minLength (Unicode code points), pattern (see Pattern.swift), maxItems,
//               minItems, uniqueItems, maxContains, minContains, maxProperties, minProperties,
//               required, dependentRequired
//   annotations title, description, default, deprecated, readOnly, writeOnly, examples, format,
//               contentEncoding, contentMediaType, contentSchema: checked for shape, no effect
// Refused (typed compile error): $vocabulary (outside the built-in meta-schema), any keyword
// that is not draft 2020-12 (unless Options.unknownKeywords is .ignore), remote references not
// supplied through `referencedSchemas`.

import Foundation

/// A compiled JSON Schema (draft 2020-12).
///
/// Compile once, validate many times; the value is immutable and `Sendable`.
///
/// Strictness: every keyword in the schema is either implemented, accepted as an annotation with
/// no effect on validity (`title`, `description`, `default`, `examples`, `deprecated`, `readOnly`,
/// `writeOnly`, `$comment`, `format`, `contentEncoding`, `contentMediaType`, `contentSchema`), or
/// refused at compile time with ``JSONSchemaError/Kind/unsupportedKeyword(_:)``. Keywords that
/// are not draft 2020-12 keywords at all are refused too
/// (``JSONSchemaError/Kind/unknownKeyword(_:hint:)``) unless
/// ``Options/unknownKeywords`` is ``UnknownKeywordPolicy/ignore``: a misspelt `"minimun"` would
/// otherwise silently validate nothing.
///
/// References: `$ref` and `$dynamicRef` resolve inside the schema document (JSON Pointer
/// fragments with `~0`/`~1` and percent-encoding, `$id`-based URIs, `$anchor`,
/// `$dynamicAnchor`). Nothing is fetched from the network or disk.
public struct JSONSchema: Sendable {
    /// What to do with a keyword that draft 2020-12 does not define.
    public enum UnknownKeywordPolicy: Sendable, Hashable {
        /// Refuse the schema (the default).
        case reject
        /// Treat it as an annotation with no effect; subschemas inside it are not schemas
        /// (an `$id` there does not create a resource), as the specification says.
        case ignore
    }

    public struct Options: Sendable, Hashable {
        public var unknownKeywords: UnknownKeywordPolicy
        /// How many schemas deep evaluation may nest (each `$ref` hop and each step into the
        /// instance counts one) before the instance is reported invalid with
        /// ``ValidationError/Kind/evaluationDepthExceeded``. Evaluation is recursive: the
        /// default, 1000, stays well inside the stack of a secondary thread even in debug
        /// builds (a `{"items": {"$ref": "#"}}` tree then validates about 500 levels deep).
        /// Raise it only when validating on a thread with a larger stack.
        public var maxEvaluationDepth: Int

        public init(unknownKeywords: UnknownKeywordPolicy = .reject, maxEvaluationDepth: Int = 1000) {
            self.unknownKeywords = unknownKeywords
            self.maxEvaluationDepth = maxEvaluationDepth
        }
    }

    /// The base URI used when the caller gives none and the schema has no `$id`.
    public static let defaultBaseURI = "urn:bnconvert:schema"

    /// The schema as given.
    public let schema: JSONValue
    /// The URI the schema was compiled under (relative `$id`s and `$ref`s resolve against it).
    public let baseURI: String
    public let options: Options
    let compiled: CompiledSchemaSet

    /// Compiles `schema`.
    ///
    /// - Parameters:
    ///   - baseURI: the schema's retrieval URI; used to resolve relative `$id`/`$ref` and in
    ///     error locations.
    ///   - referencedSchemas: other schema documents by their retrieval URI, for `$ref`s that
    ///     point outside `schema` (nothing is ever fetched). Their `$id`s and anchors are
    ///     registered as well. The draft 2020-12 meta-schema is built in and need not be given.
    /// - Throws: ``JSONSchemaError`` naming the keyword and its location for anything the
    ///   validator would otherwise have to guess about.
    public init(_ schema: JSONValue, baseURI: String = JSONSchema.defaultBaseURI,
                referencedSchemas: [String: JSONValue] = [:], options: Options = Options()) throws(JSONSchemaError) {
        var bases: [URIReference] = []
        for uri in [baseURI] + referencedSchemas.keys.sorted() {
            let reference = URIReference(uri)
            guard reference.scheme != nil else {
                throw JSONSchemaError(kind: .invalidKeywordValue(keyword: "baseURI", expected: "an absolute URI, found \"\(uri)\""),
                                      schemaLocation: uri)
            }
            bases.append(reference)
        }
        self.schema = schema
        self.baseURI = baseURI
        self.options = options
        let documents = [schema] + referencedSchemas.keys.sorted().map { referencedSchemas[$0] ?? .null }
        var compiler = SchemaCompiler(documents: documents, bases: bases, options: options)
        compiled = try compiler.compile()
    }

    /// Parses and compiles schema text.
    public init(bytes: some Collection<UInt8>, baseURI: String = JSONSchema.defaultBaseURI, options: Options = Options()) throws(JSONSchemaError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw JSONSchemaError(kind: .invalidJSON(error), schemaLocation: baseURI)
        }
        try self.init(value, baseURI: baseURI, options: options)
    }

    /// Reads, parses and compiles a schema file; its base URI is its `file://` URL.
    public init(contentsOfFile path: String, options: Options = Options()) throws(JSONSchemaError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw JSONSchemaError(kind: .unreadableFile(path: path, reason: error.localizedDescription), schemaLocation: url.absoluteString)
        }
        try self.init(bytes: data, baseURI: url.absoluteString, options: options)
    }

    /// Every way `instance` fails the schema; empty when it is valid.
    ///
    /// Errors come in schema keyword order. `anyOf`, `oneOf`, `propertyNames` and `contains`
    /// report one error each, with the failures of their subschemas in
    /// ``ValidationError/causes``.
    public func validate(_ instance: JSONValue) -> [ValidationError] {
        var evaluator = SchemaEvaluator(schemas: compiled, maxDepth: options.maxEvaluationDepth)
        return evaluator.evaluate(compiled.root, instance, .collect, annotate: false).errors
    }

    /// Whether `instance` satisfies the schema; builds no errors and stops at the first failure.
    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluator = SchemaEvaluator(schemas: compiled, maxDepth: options.maxEvaluationDepth)
        return evaluator.evaluate(compiled.root, instance, .decide, annotate: false).isValid
    }

    /// Validates `instance` against the schema file at `schemaPath`.
    ///
    /// - Throws: ``JSONSchemaError`` when the file cannot be read, parsed or compiled.
    /// - Returns: the validation errors; empty when the instance is valid.
    public static func validate(_ instance: JSONValue, againstSchemaFile schemaPath: String,
                                options: Options = Options()) throws(JSONSchemaError) -> [ValidationError] {
        try JSONSchema(contentsOfFile: schemaPath, options: options).validate(instance)
    }
}
