// Turns a schema document into an array of compiled nodes: identifiers and anchors are
// registered first (so references can point forward), then every subschema is compiled once.

/// Where a subschema sits: which document and the reference tokens inside it.
struct SchemaLocation: Hashable, Sendable {
    let document: Int
    let pointer: [String]

    func appending(_ tokens: String...) -> SchemaLocation {
        SchemaLocation(document: document, pointer: pointer + tokens)
    }
}

/// One compiled keyword. Child schemas are indices into ``CompiledSchemaSet/nodes``.
struct CompiledKeyword: Sendable {
    enum Rule: Sendable {
        case type([String])
        case enumeration([JSONValue])
        case const(JSONValue)
        case multipleOf(JSONNumber)
        case maximum(JSONNumber), exclusiveMaximum(JSONNumber), minimum(JSONNumber), exclusiveMinimum(JSONNumber)
        case maxLength(Int), minLength(Int)
        case pattern(Pattern)
        case maxItems(Int), minItems(Int)
        case uniqueItems
        case contains(schema: Int, min: Int, max: Int?)
        case prefixItems([Int])
        case items(schema: Int, startIndex: Int)
        case maxProperties(Int), minProperties(Int)
        case required([String])
        case dependentRequired([(property: String, required: [String])])
        case dependentSchemas([(property: String, schema: Int)])
        case properties([(name: String, schema: Int)])
        case patternProperties([(pattern: Pattern, schema: Int)])
        case additionalProperties(schema: Int, declared: Set<JSONKey>, patterns: [Pattern])
        case propertyNames(Int)
        case allOf([Int]), anyOf([Int]), oneOf([Int])
        case not(Int)
        case conditional(if: Int, then: Int?, else: Int?)
        case ref(Int)
        case dynamicRef(staticTarget: Int, anchor: String?)
        case unevaluatedItems(Int)
        case unevaluatedProperties(Int)
    }

    /// The keyword as written (`minimum`, `if`, ...).
    let keyword: String
    let rule: Rule
}

/// A class, not a struct: evaluation reads a node for every subschema it applies, and a class
/// costs one reference count there instead of one per field. Mutated only while compiling.
final class CompiledNode: @unchecked Sendable {
    /// For `true`/`false` schemas; `nil` for object schemas.
    var boolean: Bool?
    /// Keywords in evaluation order; `unevaluated*` come last.
    var keywords: [CompiledKeyword]
    /// Base URI of the schema resource holding this subschema (for `$dynamicRef` scope).
    var resourceURI: String
    /// `resourceURI` as an index into ``CompiledSchemaSet/resourceURIs``: the dynamic scope is
    /// tracked by these numbers, one comparison per subschema evaluated.
    var resourceID = 0
    /// Whether the node has `unevaluatedItems` or `unevaluatedProperties`, which read the
    /// annotations of the keywords beside them; annotations are recorded only below such nodes.
    var readsAnnotations = false
    /// For an `allOf` keyword of this node (by position in `keywords`) whose every subschema is
    /// `{"if": {"properties": {P: {"const": C}}, "required": [P]}, "then": …}` with the same P:
    /// P and each subschema's C, so that evaluation looks P up once instead of trying every
    /// condition (the manifest's per-kind attribute rules). See ``Discriminator``.
    /// Empty when the node has none; otherwise one entry per keyword.
    var discriminators: [Discriminator?] = []
    /// `resourceURI#pointer-inside-the-resource`, the prefix of absolute keyword locations.
    var absoluteLocation: String
    /// The `$dynamicAnchor` declared here, if any.
    var dynamicAnchor: String?

    init(boolean: Bool?, keywords: [CompiledKeyword], resourceURI: String, absoluteLocation: String, dynamicAnchor: String?) {
        self.boolean = boolean
        self.keywords = keywords
        self.resourceURI = resourceURI
        self.absoluteLocation = absoluteLocation
        self.dynamicAnchor = dynamicAnchor
    }
}

/// An `allOf` whose subschemas are each selected by a constant of one property: subschema `i`
/// applies (its `then`) exactly when the instance is an object whose member `property` is
/// JSON-equal to `values[i]`; when the instance has no such member none applies, and when it
/// is not an object every one does (the condition holds vacuously).
struct Discriminator: Sendable {
    let property: String
    let values: [JSONValue]
}

/// Everything evaluation needs, immutable once compiled.
struct CompiledSchemaSet: Sendable {
    var nodes: [CompiledNode]
    var root: Int
    /// `resourceURI#name` of every `$dynamicAnchor` → compiled node.
    var dynamicAnchors: [String: Int]
    /// Every distinct ``CompiledNode/resourceURI``, indexed by ``CompiledNode/resourceID``.
    var resourceURIs: [String] = []
}

/// Keyword classes for scanning and strictness.
enum KeywordCatalog {
    static let singleSchema: Set<String> = [
        "items", "additionalProperties", "unevaluatedItems", "unevaluatedProperties", "contains",
        "propertyNames", "not", "if", "then", "else", "contentSchema",
    ]
    static let schemaMap: Set<String> = ["$defs", "properties", "patternProperties", "dependentSchemas"]
    static let schemaArray: Set<String> = ["prefixItems", "allOf", "anyOf", "oneOf"]

    /// Draft 2020-12 keywords this validator implements (assertions, applicators, identifiers)
    /// or accepts as annotations with no effect on validity.
    static let supported: Set<String> = singleSchema.union(schemaMap).union(schemaArray).union([
        "$schema", "$id", "$anchor", "$dynamicAnchor", "$ref", "$dynamicRef", "$comment",
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
        "dependentRequired",
        // annotations only
        "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "format", "contentEncoding", "contentMediaType",
    ])

    /// Draft 2020-12 keywords that are refused because they are not implemented.
    /// `$vocabulary` only matters in meta-schemas that define custom dialects.
    static let unsupported: Set<String> = ["$vocabulary"]

    /// Keywords from other drafts, with their 2020-12 spelling.
    static let hints: [String: String] = [
        "definitions": "draft 2020-12 uses \"$defs\"",
        "dependencies": "draft 2020-12 splits it into \"dependentRequired\" and \"dependentSchemas\"",
        "additionalItems": "draft 2020-12 uses \"items\" after \"prefixItems\"",
        "$recursiveRef": "draft 2020-12 uses \"$dynamicRef\"",
        "$recursiveAnchor": "draft 2020-12 uses \"$dynamicAnchor\"",
        "id": "did you mean \"$id\"?",
    ]

    static let dialects: Set<String> = [
        "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#",
    ]
}

/// What the scan learnt about one subschema.
private struct ScanRecord {
    var resourceURI: String
    var resourceRoot: [String]
}

struct SchemaCompiler {
    private(set) var documents: [JSONValue]
    private(set) var documentBases: [URIReference]
    let options: JSONSchema.Options

    private var resources: [String: SchemaLocation] = [:]
    private var anchors: [String: SchemaLocation] = [:]
    private var dynamicAnchorLocations: [String: SchemaLocation] = [:]
    private var scanned: [SchemaLocation: ScanRecord] = [:]
    private var nodeIndex: [SchemaLocation: Int] = [:]
    private var nodes: [CompiledNode] = []
    /// Nodes whose keywords are still to be compiled.
    private var pending: [(index: Int, location: SchemaLocation)] = []
    /// Documents this module wrote itself (the meta-schema): `$vocabulary` is accepted there.
    private var trustedDocuments: Set<Int> = []

    /// `documents[0]` is the schema being compiled; the others are documents it may reference.
    init(documents: [JSONValue], bases: [URIReference], options: JSONSchema.Options) {
        self.documents = documents
        self.documentBases = bases
        self.options = options
    }

    // MARK: Errors

    func locationString(_ location: SchemaLocation) -> String {
        documentBases[location.document].withoutFragment.description + "#" + JSONPointer.string(location.pointer)
    }

    func fail(_ kind: JSONSchemaError.Kind, _ location: SchemaLocation) -> JSONSchemaError {
        JSONSchemaError(kind: kind, schemaLocation: locationString(location))
    }

    // MARK: Entry

    /// Scans every document, then compiles the first document's root and every subschema.
    ///
    /// Neither step recurses on the Swift stack: both walk explicit work lists, so a deeply
    /// nested schema or a long chain of `$ref`s cannot overflow the stack.
    mutating func compile() throws(JSONSchemaError) -> CompiledSchemaSet {
        for index in documents.indices {
            let base = documentBases[index].withoutFragment
            let rootLocation = SchemaLocation(document: index, pointer: [])
            resources[base.description] = rootLocation
            try scan(documents[index], at: rootLocation, base: base)
        }
        let root = try compileNode(at: SchemaLocation(document: 0, pointer: []))
        // Compile every scanned subschema too, so that an error in an unused $defs entry is
        // still reported and every dynamic anchor has a node.
        let allLocations = scanned.keys.filter { $0.document == 0 }
            .map { (key: JSONPointer.string($0.pointer), location: $0) }
            .sorted { $0.key < $1.key }
            .map(\.location)
        for location in allLocations {
            _ = try compileNode(at: location)
        }
        try compilePending()
        var dynamicAnchorNodes: [String: Int] = [:]
        // Compiling one anchor may load the meta-schema and so add anchors: repeat until stable.
        while dynamicAnchorNodes.count < dynamicAnchorLocations.count {
            for (key, location) in dynamicAnchorLocations where dynamicAnchorNodes[key] == nil {
                dynamicAnchorNodes[key] = try compileNode(at: location)
            }
            try compilePending()
        }
        try detectCycles()
        var resourceIDs: [String: Int] = [:]
        var resourceURIs: [String] = []
        for index in nodes.indices {
            let uri = nodes[index].resourceURI
            if let id = resourceIDs[uri] {
                nodes[index].resourceID = id
            } else {
                resourceIDs[uri] = resourceURIs.count
                nodes[index].resourceID = resourceURIs.count
                resourceURIs.append(uri)
            }
            for (position, keyword) in nodes[index].keywords.enumerated() {
                if case .allOf(let list) = keyword.rule, let discriminator = discriminator(list) {
                    if nodes[index].discriminators.isEmpty {
                        nodes[index].discriminators = Array(repeating: nil, count: nodes[index].keywords.count)
                    }
                    nodes[index].discriminators[position] = discriminator
                }
            }
            nodes[index].readsAnnotations = nodes[index].keywords.contains {
                switch $0.rule {
                case .unevaluatedItems, .unevaluatedProperties: return true
                default: return false
                }
            }
        }
        return CompiledSchemaSet(nodes: nodes, root: root, dynamicAnchors: dynamicAnchorNodes, resourceURIs: resourceURIs)
    }

    // MARK: Scan: identifiers and anchors

    private mutating func scan(_ rootValue: JSONValue, at rootLocation: SchemaLocation, base rootBase: URIReference) throws(JSONSchemaError) {
        var work: [(value: JSONValue, location: SchemaLocation, base: URIReference, resourceRoot: [String])] =
            [(rootValue, rootLocation, rootBase, [])]
        while let (value, location, inheritedBase, inheritedRoot) = work.popLast() {
            guard case .object(let object) = value else {
                scanned[location] = ScanRecord(resourceURI: inheritedBase.description, resourceRoot: inheritedRoot)
                continue
            }
            var base = inheritedBase
            var resourceRoot = inheritedRoot
            if let id = object["$id"] {
                guard case .string(let text) = id else {
                    throw fail(.invalidKeywordValue(keyword: "$id", expected: "a string (a URI reference)"), location.appending("$id"))
                }
                let reference = URIReference(text)
                if let fragment = reference.fragment, !fragment.isEmpty {
                    throw fail(.invalidKeywordValue(keyword: "$id", expected: "a URI without a fragment (use $anchor for \"#\(fragment)\")"),
                               location.appending("$id"))
                }
                let resolved = reference.resolved(against: base).withoutFragment
                let key = resolved.description
                if let existing = resources[key], existing != location {
                    throw fail(.duplicateIdentifier(key), location.appending("$id"))
                }
                resources[key] = location
                base = resolved
                resourceRoot = location.pointer
            }
            scanned[location] = ScanRecord(resourceURI: base.description, resourceRoot: resourceRoot)
            for anchorKeyword in ["$anchor", "$dynamicAnchor"] {
                guard let anchorValue = object[anchorKeyword] else { continue }
                guard case .string(let name) = anchorValue, Self.isValidAnchor(name) else {
                    throw fail(.invalidKeywordValue(keyword: anchorKeyword, expected: "a name matching ^[A-Za-z_][-A-Za-z0-9._]*$"),
                               location.appending(anchorKeyword))
                }
                let key = base.description + "#" + name
                if let existing = anchors[key], existing != location {
                    throw fail(.duplicateIdentifier(key), location.appending(anchorKeyword))
                }
                anchors[key] = location
                if anchorKeyword == "$dynamicAnchor" { dynamicAnchorLocations[key] = location }
            }
            for (keyword, child) in object {
                if KeywordCatalog.singleSchema.contains(keyword) {
                    work.append((child, location.appending(keyword), base, resourceRoot))
                } else if KeywordCatalog.schemaMap.contains(keyword), case .object(let members) = child {
                    for (name, member) in members {
                        work.append((member, location.appending(keyword, name), base, resourceRoot))
                    }
                } else if KeywordCatalog.schemaArray.contains(keyword), case .array(let elements) = child {
                    for (index, element) in elements.enumerated() {
                        work.append((element, location.appending(keyword, String(index)), base, resourceRoot))
                    }
                }
            }
        }
    }

    static func isValidAnchor(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII,
            (first >= "A" && first <= "Z") || (first >= "a" && first <= "z") || first == "_"
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.isASCII && (($0 >= "A" && $0 <= "Z") || ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9")
                || $0 == "-" || $0 == "." || $0 == "_")
        }
    }

    // MARK: References

    /// Resolves a `$ref` value written in the subschema at `location`.
    private mutating func resolveReference(_ text: String, keyword: String, from location: SchemaLocation) throws(JSONSchemaError) -> SchemaLocation {
        let here = location.appending(keyword)
        let base = URIReference(scanned[location]?.resourceURI ?? documentBases[location.document].description)
        let target = URIReference(text).resolved(against: base)
        let resourceKey = target.withoutFragment.description
        if resources[resourceKey] == nil, resourceKey == MetaSchema.uri {
            try loadMetaSchema()
        }
        guard let resource = resources[resourceKey] else {
            throw fail(.unresolvableReference(text, resolved: target.description), here)
        }
        let fragment = target.fragment ?? ""
        if fragment.isEmpty { return resource }
        if fragment.hasPrefix("/") {
            guard let decoded = percentDecoded(fragment), let tokens = JSONPointer.tokens(decoded) else {
                throw fail(.invalidKeywordValue(keyword: keyword, expected: "a valid JSON Pointer fragment, found \"#\(fragment)\""), here)
            }
            let targetLocation = SchemaLocation(document: resource.document, pointer: resource.pointer + tokens)
            guard JSONPointer.resolve(targetLocation.pointer, in: documents[resource.document]) != nil else {
                throw fail(.unresolvableReference(text, resolved: target.description), here)
            }
            return targetLocation
        }
        let anchorName = percentDecoded(fragment) ?? fragment
        guard let anchored = anchors[resourceKey + "#" + anchorName] else {
            throw fail(.unresolvableReference(text, resolved: target.description), here)
        }
        return anchored
    }

    /// Adds the built-in meta-schema as one more document, the first time something refers to it.
    private mutating func loadMetaSchema() throws(JSONSchemaError) {
        let metaSchema: JSONValue
        do {
            metaSchema = try JSONValue.parse(MetaSchema.text)
        } catch {
            throw JSONSchemaError(kind: .invalidJSON(error), schemaLocation: MetaSchema.uri)  // a bug in MetaSchema.text
        }
        let index = documents.count
        documents.append(metaSchema)
        documentBases.append(URIReference(MetaSchema.uri))
        trustedDocuments.insert(index)
        let rootLocation = SchemaLocation(document: index, pointer: [])
        try scan(metaSchema, at: rootLocation, base: URIReference(MetaSchema.uri))
    }

    // MARK: Compile

    private func value(at location: SchemaLocation) -> JSONValue? {
        JSONPointer.resolve(location.pointer, in: documents[location.document])
    }

    /// The node index for the subschema at `location`; its keywords are compiled later by
    /// ``compilePending()`` (so references and nesting never recurse here).
    private mutating func compileNode(at location: SchemaLocation) throws(JSONSchemaError) -> Int {
        if let existing = nodeIndex[location] { return existing }
        guard value(at: location) != nil else {
            throw fail(.unresolvableReference(JSONPointer.string(location.pointer), resolved: locationString(location)), location)
        }
        let record = scanned[location] ?? nearestRecord(for: location)
        let relative = Array(location.pointer.dropFirst(record.resourceRoot.count))
        let index = nodes.count
        nodes.append(CompiledNode(boolean: nil, keywords: [], resourceURI: record.resourceURI,
                                  absoluteLocation: record.resourceURI + "#" + JSONPointer.string(relative),
                                  dynamicAnchor: nil))
        nodeIndex[location] = index
        pending.append((index, location))
        return index
    }

    /// Compiles the keywords of every node handed out by ``compileNode(at:)`` so far.
    private mutating func compilePending() throws(JSONSchemaError) {
        while let (index, location) = pending.popLast() {
            switch value(at: location) {
            case .bool(let boolean):
                nodes[index].boolean = boolean
            case .object(let object):
                let (keywords, dynamicAnchor) = try compileKeywords(object, at: location)
                nodes[index].keywords = keywords
                nodes[index].dynamicAnchor = dynamicAnchor
            case let other:
                throw fail(.notASchema(found: other?.typeName ?? "nothing"), location)
            }
        }
    }

    /// For a location reached by a JSON Pointer into a place the scan did not visit.
    private func nearestRecord(for location: SchemaLocation) -> ScanRecord {
        var pointer = location.pointer
        while !pointer.isEmpty {
            pointer.removeLast()
            if let record = scanned[SchemaLocation(document: location.document, pointer: pointer)] { return record }
        }
        return ScanRecord(resourceURI: documentBases[location.document].withoutFragment.description, resourceRoot: [])
    }

    private func nonNegativeInteger(_ value: JSONValue, _ keyword: String, _ location: SchemaLocation) throws(JSONSchemaError) -> Int {
        if let number = JSONNumber(value), number.isWhole, number.asDouble >= 0 {
            switch number.storage {
            case .int(let int): return Int(clamping: int)
            case .double(let double): return double >= 9.2e18 ? Int.max : Int(double)
            }
        }
        throw fail(.invalidKeywordValue(keyword: keyword, expected: "a non-negative integer, found \(value)"), location.appending(keyword))
    }

    private func number(_ value: JSONValue, _ keyword: String, _ location: SchemaLocation) throws(JSONSchemaError) -> JSONNumber {
        guard let number = JSONNumber(value), number.asDouble.isFinite else {
            throw fail(.invalidKeywordValue(keyword: keyword, expected: "a number, found \(value)"), location.appending(keyword))
        }
        return number
    }

    private func stringArray(_ value: JSONValue, _ keyword: String, _ location: SchemaLocation) throws(JSONSchemaError) -> [String] {
        guard case .array(let elements) = value else {
            throw fail(.invalidKeywordValue(keyword: keyword, expected: "an array of unique strings"), location.appending(keyword))
        }
        var strings: [String] = []
        for element in elements {
            guard case .string(let string) = element, !strings.contains(where: { $0.utf8.elementsEqual(string.utf8) }) else {
                throw fail(.invalidKeywordValue(keyword: keyword, expected: "an array of unique strings"), location.appending(keyword))
            }
            strings.append(string)
        }
        return strings
    }

    private mutating func schemaArray(_ value: JSONValue, _ keyword: String, _ location: SchemaLocation) throws(JSONSchemaError) -> [Int] {
        guard case .array(let elements) = value, !elements.isEmpty else {
            throw fail(.invalidKeywordValue(keyword: keyword, expected: "a non-empty array of schemas"), location.appending(keyword))
        }
        var indices: [Int] = []
        for offset in elements.indices {
            indices.append(try compileNode(at: location.appending(keyword, String(offset))))
        }
        return indices
    }

    private mutating func schemaMap(_ value: JSONValue, _ keyword: String, _ location: SchemaLocation) throws(JSONSchemaError) -> [(String, Int)] {
        guard case .object(let members) = value else {
            throw fail(.invalidKeywordValue(keyword: keyword, expected: "an object whose values are schemas"), location.appending(keyword))
        }
        var result: [(String, Int)] = []
        for name in members.keys {
            result.append((name, try compileNode(at: location.appending(keyword, name))))
        }
        return result
    }

    private func pattern(_ source: String, _ location: SchemaLocation) throws(JSONSchemaError) -> Pattern {
        do {
            return try Pattern(source)
        } catch {
            throw fail(.invalidRegularExpression(pattern: source, reason: error.reason), location)
        }
    }

    private mutating func compileKeywords(_ object: JSONObject, at location: SchemaLocation) throws(JSONSchemaError) -> ([CompiledKeyword], String?) {
        var keywords: [CompiledKeyword] = []
        var last: [CompiledKeyword] = []
        var dynamicAnchor: String?
        let trusted = trustedDocuments.contains(location.document)

        for (keyword, value) in object {
            let here = location.appending(keyword)
            func add(_ rule: CompiledKeyword.Rule) { keywords.append(CompiledKeyword(keyword: keyword, rule: rule)) }
            switch keyword {
            case "$schema":
                guard case .string(let uri) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a URI string"), here)
                }
                guard KeywordCatalog.dialects.contains(uri) || trusted else { throw fail(.unsupportedDialect(uri), here) }
            case "$id", "$anchor":
                break  // registered by the scan
            case "$dynamicAnchor":
                dynamicAnchor = value.stringValue
            case "$comment", "title", "description", "contentEncoding", "contentMediaType", "format":
                guard case .string = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a string"), here)
                }
            case "deprecated", "readOnly", "writeOnly":
                guard case .bool = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a boolean"), here)
                }
            case "default":
                break
            case "examples":
                guard case .array = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "an array"), here)
                }
            case "contentSchema":
                _ = try compileNode(at: here)  // annotation only: compiled so its errors surface
            case "$defs":
                _ = try schemaMap(value, keyword, location)
            case "$vocabulary" where trusted:
                break
            case "$ref":
                guard case .string(let text) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a URI reference string"), here)
                }
                let target = try resolveReference(text, keyword: keyword, from: location)
                add(.ref(try compileNode(at: target)))
            case "$dynamicRef":
                guard case .string(let text) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a URI reference string"), here)
                }
                let target = try resolveReference(text, keyword: keyword, from: location)
                let fragment = URIReference(text).fragment
                let anchor = fragment.flatMap { $0.isEmpty || $0.hasPrefix("/") ? nil : $0 }
                add(.dynamicRef(staticTarget: try compileNode(at: target), anchor: anchor))
            case "type":
                let allowed: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]
                var names: [String] = []
                switch value {
                case .string(let name): names = [name]
                case .array(let elements):
                    for element in elements {
                        guard case .string(let name) = element else { names = ["?"]; break }
                        names.append(name)
                    }
                default: names = ["?"]
                }
                guard !names.isEmpty, names.allSatisfy(allowed.contains), Set(names).count == names.count else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a type name or an array of unique type names "
                        + "(null, boolean, object, array, number, string, integer)"), here)
                }
                add(.type(names))
            case "enum":
                guard case .array(let options) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "an array"), here)
                }
                add(.enumeration(options))
            case "const":
                add(.const(value))
            case "multipleOf":
                let divisor = try number(value, keyword, location)
                guard divisor.asDouble > 0 else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a number greater than 0"), here)
                }
                add(.multipleOf(divisor))
            case "maximum": add(.maximum(try number(value, keyword, location)))
            case "exclusiveMaximum": add(.exclusiveMaximum(try number(value, keyword, location)))
            case "minimum": add(.minimum(try number(value, keyword, location)))
            case "exclusiveMinimum": add(.exclusiveMinimum(try number(value, keyword, location)))
            case "maxLength": add(.maxLength(try nonNegativeInteger(value, keyword, location)))
            case "minLength": add(.minLength(try nonNegativeInteger(value, keyword, location)))
            case "pattern":
                guard case .string(let source) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a regular expression string"), here)
                }
                add(.pattern(try pattern(source, here)))
            case "maxItems": add(.maxItems(try nonNegativeInteger(value, keyword, location)))
            case "minItems": add(.minItems(try nonNegativeInteger(value, keyword, location)))
            case "uniqueItems":
                guard case .bool(let unique) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "a boolean"), here)
                }
                if unique { add(.uniqueItems) }
            case "contains":
                let minimum = try object["minContains"].map { (v) throws(JSONSchemaError) in try nonNegativeInteger(v, "minContains", location) } ?? 1
                let maximum = try object["maxContains"].map { (v) throws(JSONSchemaError) in try nonNegativeInteger(v, "maxContains", location) }
                add(.contains(schema: try compileNode(at: here), min: minimum, max: maximum))
            case "minContains", "maxContains":
                _ = try nonNegativeInteger(value, keyword, location)  // applied with "contains"; ignored without it
            case "prefixItems":
                add(.prefixItems(try schemaArray(value, keyword, location)))
            case "items":
                let start = object["prefixItems"]?.arrayValue?.count ?? 0
                add(.items(schema: try compileNode(at: here), startIndex: start))
            case "maxProperties": add(.maxProperties(try nonNegativeInteger(value, keyword, location)))
            case "minProperties": add(.minProperties(try nonNegativeInteger(value, keyword, location)))
            case "required": add(.required(try stringArray(value, keyword, location)))
            case "dependentRequired":
                guard case .object(let members) = value else {
                    throw fail(.invalidKeywordValue(keyword: keyword, expected: "an object whose values are arrays of strings"), here)
                }
                var rules: [(property: String, required: [String])] = []
                for (property, list) in members {
                    rules.append((property, try stringArray(list, property, here)))
                }
                add(.dependentRequired(rules))
            case "dependentSchemas":
                add(.dependentSchemas(try schemaMap(value, keyword, location).map { (property: $0.0, schema: $0.1) }))
            case "properties":
                add(.properties(try schemaMap(value, keyword, location).map { (name: $0.0, schema: $0.1) }))
            case "patternProperties":
                let members = try schemaMap(value, keyword, location)
                var compiled: [(pattern: Pattern, schema: Int)] = []
                for (source, schema) in members {
                    compiled.append((try pattern(source, here.appending(source)), schema))
                }
                add(.patternProperties(compiled))
            case "additionalProperties":
                let declared = Set((object["properties"]?.objectValue?.keys ?? []).map(JSONKey.init))
                var patterns: [Pattern] = []
                for source in object["patternProperties"]?.objectValue?.keys ?? [] {
                    patterns.append(try pattern(source, location.appending("patternProperties", source)))
                }
                add(.additionalProperties(schema: try compileNode(at: here), declared: declared, patterns: patterns))
            case "propertyNames":
                add(.propertyNames(try compileNode(at: here)))
            case "allOf": add(.allOf(try schemaArray(value, keyword, location)))
            case "anyOf": add(.anyOf(try schemaArray(value, keyword, location)))
            case "oneOf": add(.oneOf(try schemaArray(value, keyword, location)))
            case "not": add(.not(try compileNode(at: here)))
            case "if":
                let thenSchema = object["then"] == nil ? nil : try compileNode(at: location.appending("then"))
                let elseSchema = object["else"] == nil ? nil : try compileNode(at: location.appending("else"))
                add(.conditional(if: try compileNode(at: here), then: thenSchema, else: elseSchema))
            case "then", "else":
                _ = try compileNode(at: here)  // applied with "if"; ignored without it
            case "unevaluatedItems":
                last.append(CompiledKeyword(keyword: keyword, rule: .unevaluatedItems(try compileNode(at: here))))
            case "unevaluatedProperties":
                last.append(CompiledKeyword(keyword: keyword, rule: .unevaluatedProperties(try compileNode(at: here))))
            default:
                if KeywordCatalog.unsupported.contains(keyword) {
                    throw fail(.unsupportedKeyword(keyword), here)
                }
                if options.unknownKeywords == .reject {
                    throw fail(.unknownKeyword(keyword, hint: KeywordCatalog.hints[keyword]), here)
                }
            }
        }
        return (keywords + last, dynamicAnchor)
    }

    // MARK: Discriminated allOf

    /// The ``Discriminator`` of `allOf` subschemas `list`, when each is exactly an `if` (with a
    /// `then`, without `else`, nothing else evaluated) whose condition is exactly
    /// `properties: {P: {const: C}}` plus `required: [P]`, P the same for all.
    private func discriminator(_ list: [Int]) -> Discriminator? {
        var property: String?
        var values: [JSONValue] = []
        for element in list {
            let node = nodes[element]
            guard node.boolean == nil, node.keywords.count == 1,
                  case .conditional(let ifSchema, let thenSchema, let elseSchema) = node.keywords[0].rule,
                  thenSchema != nil, elseSchema == nil else { return nil }
            let condition = nodes[ifSchema]
            guard condition.boolean == nil, condition.keywords.count == 2 else { return nil }
            var name: String?
            var value: JSONValue?
            var requiredOnly: String?
            for keyword in condition.keywords {
                switch keyword.rule {
                case .properties(let members) where members.count == 1:
                    let constant = nodes[members[0].schema]
                    guard constant.boolean == nil, constant.keywords.count == 1,
                          case .const(let expected) = constant.keywords[0].rule else { return nil }
                    name = members[0].name
                    value = expected
                case .required(let names) where names.count == 1:
                    requiredOnly = names[0]
                default:
                    return nil
                }
            }
            guard let name, let value, let requiredOnly, requiredOnly.utf8.elementsEqual(name.utf8) else { return nil }
            if let property, !property.utf8.elementsEqual(name.utf8) { return nil }
            property = name
            values.append(value)
        }
        guard let property, values.count > 1 else { return nil }
        return Discriminator(property: property, values: values)
    }

    // MARK: Loop detection

    /// Children evaluated against the same instance location as their parent.
    private func inPlaceChildren(_ node: CompiledNode) -> [Int] {
        var children: [Int] = []
        for keyword in node.keywords {
            switch keyword.rule {
            case .ref(let target): children.append(target)
            case .dynamicRef(let target, _): children.append(target)
            case .allOf(let list), .anyOf(let list), .oneOf(let list): children += list
            case .not(let child): children.append(child)
            case .conditional(let ifSchema, let thenSchema, let elseSchema):
                children.append(ifSchema)
                if let thenSchema { children.append(thenSchema) }
                if let elseSchema { children.append(elseSchema) }
            case .dependentSchemas(let list): children += list.map(\.schema)
            default: break
            }
        }
        return children
    }

    private func detectCycles() throws(JSONSchemaError) {
        enum Mark { case unvisited, active, done }
        var marks = Array(repeating: Mark.unvisited, count: nodes.count)
        for start in nodes.indices where marks[start] == .unvisited {
            // Iterative depth-first search; `stack` holds (node, next child position).
            var stack: [(node: Int, children: [Int], next: Int)] = [(start, inPlaceChildren(nodes[start]), 0)]
            marks[start] = .active
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].children.count {
                    let child = stack[top].children[stack[top].next]
                    stack[top].next += 1
                    switch marks[child] {
                    case .active:
                        var cycle: [String] = []
                        if let from = stack.firstIndex(where: { $0.node == child }) {
                            cycle = stack[from...].map { nodes[$0.node].absoluteLocation }
                        }
                        cycle.append(nodes[child].absoluteLocation)
                        throw JSONSchemaError(kind: .referenceCycle(cycle: cycle), schemaLocation: nodes[child].absoluteLocation)
                    case .unvisited:
                        marks[child] = .active
                        stack.append((child, inPlaceChildren(nodes[child]), 0))
                    case .done:
                        break
                    }
                } else {
                    marks[stack[top].node] = .done
                    stack.removeLast()
                }
            }
        }
    }
}
