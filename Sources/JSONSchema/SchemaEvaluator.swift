// Applies compiled keywords to an instance, collecting errors and the annotations that
// `unevaluatedItems` / `unevaluatedProperties` depend on.
//
// Cost model (a manifest of 200,000 layers is evaluated in well under a second):
// - Two modes. `collect` builds a `ValidationError` for every failure, in schema keyword order.
//   `decide` only answers valid / invalid: it builds no error, stops at the first failure, and
//   is used wherever the errors would be thrown away — the `if` condition, `not`, the branches
//   of `anyOf` / `oneOf`, the items tried by `contains`, `propertyNames`. Where a failure of
//   those does report its subschemas' errors (`causes`), the failing subschemas are evaluated a
//   second time in `collect` mode, which only happens on the way to an error.
// - Paths are two stacks of tokens pushed and popped around each step; the JSON Pointer strings
//   are built only when an error is recorded.
// - Annotations (which properties / items a subschema evaluated) are recorded only where an
//   `unevaluated*` keyword at the same instance location can read them.

/// What a subschema evaluated, as far as `unevaluated*` care.
struct EvaluatedAnnotations {
    var properties: Set<JSONKey> = []
    var items: Set<Int> = []
    var allItems = false

    mutating func merge(_ other: EvaluatedAnnotations) {
        if !other.properties.isEmpty { properties.formUnion(other.properties) }
        if !other.items.isEmpty { items.formUnion(other.items) }
        allItems = allItems || other.allItems
    }
}

struct EvaluationOutcome {
    var errors: [ValidationError] = []
    /// Set instead of `errors` in `decide` mode.
    var failed = false
    var annotations = EvaluatedAnnotations()
    var isValid: Bool { !failed && errors.isEmpty }
}

/// One reference token of a path under construction: a member name or an array index.
enum PathToken {
    case key(String)
    case index(Int)

    var text: String {
        switch self {
        case .key(let key): return key
        case .index(let index): return String(index)
        }
    }

    static func pointer<C: Collection>(_ tokens: C) -> String where C.Element == PathToken {
        var result = ""
        for token in tokens {
            result += "/"
            result += escapePointerToken(token.text)
        }
        return result
    }
}

/// Per-call state: depth guard, the dynamic scope (resources entered, outermost first) and the
/// instance / schema paths of the subschema being evaluated.
struct SchemaEvaluator {
    enum Mode {
        /// Every failure becomes a `ValidationError`.
        case collect
        /// Only validity (and, where needed, annotations); no error is built.
        case decide
    }

    let schemas: CompiledSchemaSet
    let maxDepth: Int
    var depth = 0
    var dynamicScope: [Int] = []
    var instancePath: [PathToken] = []
    var schemaPath: [PathToken] = []

    init(schemas: CompiledSchemaSet, maxDepth: Int) {
        self.schemas = schemas
        self.maxDepth = maxDepth
        instancePath.reserveCapacity(32)
        schemaPath.reserveCapacity(64)
    }

    // MARK: Nodes

    /// Evaluates node `index` against `instance`; the paths are those of the node.
    ///
    /// `annotate`: whether the caller (a schema at the same instance location with an
    /// `unevaluated*` keyword, or one of its in-place subschemas) needs the annotations.
    mutating func evaluate(_ index: Int, _ instance: JSONValue, _ mode: Mode, annotate: Bool) -> EvaluationOutcome {
        let node = schemas.nodes[index]
        var outcome = EvaluationOutcome()
        if let boolean = node.boolean {
            if !boolean {
                fail(&outcome, mode, node, "false", keywordInPath: false, "no value is allowed here (the schema is false)")
            }
            return outcome
        }
        guard depth < maxDepth else {
            if mode == .collect {
                outcome.errors.append(ValidationError(
                    kind: .evaluationDepthExceeded, instanceLocation: PathToken.pointer(instancePath),
                    keywordLocation: PathToken.pointer(schemaPath), absoluteKeywordLocation: node.absoluteLocation,
                    keyword: schemaPath.last?.text ?? "",
                    message: "evaluation went deeper than \(maxDepth) schemas; the schema recurses too deeply for this instance"))
            } else {
                outcome.failed = true
            }
            return outcome
        }
        depth += 1
        let pushed = dynamicScope.last != node.resourceID
        if pushed { dynamicScope.append(node.resourceID) }
        defer {
            depth -= 1
            if pushed { dynamicScope.removeLast() }
        }
        let annotate = annotate || node.readsAnnotations
        for (position, keyword) in node.keywords.enumerated() {
            if !annotate, !node.discriminators.isEmpty, let discriminator = node.discriminators[position],
               case .object(let object) = instance,
               depth + 3 < maxDepth {
                applyDiscriminated(keyword, discriminator, object, instance, mode, &outcome)
            } else {
                apply(keyword, node, instance, mode, annotate, &outcome)
            }
            if mode == .decide && outcome.failed { break }
        }
        return outcome
    }

    /// Evaluates `index` one step down the schema (`token` appended to the schema path).
    mutating func evaluate(_ index: Int, _ instance: JSONValue, schemaToken token: PathToken, _ mode: Mode,
                           annotate: Bool) -> EvaluationOutcome {
        schemaPath.append(token)
        defer { schemaPath.removeLast() }
        return evaluate(index, instance, mode, annotate: annotate)
    }

    /// Evaluates `index` at `keyword` / `token` of the schema, on a member or item of the
    /// instance (`instanceToken`); annotations of a child instance are never needed here.
    mutating func evaluate(_ index: Int, _ instance: JSONValue, keyword: String, _ token: PathToken?,
                           instanceToken: PathToken?, _ mode: Mode, annotate: Bool = false) -> EvaluationOutcome {
        schemaPath.append(.key(keyword))
        if let token { schemaPath.append(token) }
        if let instanceToken { instancePath.append(instanceToken) }
        defer {
            schemaPath.removeLast()
            if token != nil { schemaPath.removeLast() }
            if instanceToken != nil { instancePath.removeLast() }
        }
        return evaluate(index, instance, mode, annotate: annotate)
    }

    /// Records a failure of `keyword`: an error in `collect` mode, the flag in `decide` mode.
    /// The message (and causes) are only computed in `collect` mode.
    func fail(_ outcome: inout EvaluationOutcome, _ mode: Mode, _ node: CompiledNode, _ keyword: String,
              keywordInPath: Bool = true, instanceToken: String? = nil,
              _ message: @autoclosure () -> String, causes: @autoclosure () -> [ValidationError] = []) {
        guard mode == .collect else {
            outcome.failed = true
            return
        }
        var keywordLocation = PathToken.pointer(schemaPath)
        if keywordInPath { keywordLocation += "/" + escapePointerToken(keyword) }
        var instanceLocation = PathToken.pointer(instancePath)
        if let instanceToken { instanceLocation += "/" + escapePointerToken(instanceToken) }
        let absolute = keywordInPath
            ? node.absoluteLocation + "/" + escapePointerToken(keyword)
            : node.absoluteLocation
        outcome.errors.append(ValidationError(instanceLocation: instanceLocation, keywordLocation: keywordLocation,
                                              absoluteKeywordLocation: absolute, keyword: keyword, message: message(),
                                              causes: causes()))
    }

    /// Adds a subschema's result to `outcome`.
    static func absorb(_ result: EvaluationOutcome, into outcome: inout EvaluationOutcome, annotations: Bool) {
        if result.failed { outcome.failed = true }
        if !result.errors.isEmpty { outcome.errors += result.errors }
        if annotations { outcome.annotations.merge(result.annotations) }
    }

    // MARK: Keywords

    /// Dispatches one keyword. Kept small, with each applicator in its own function, because
    /// this sits on the recursion path (evaluate → apply → applicator → evaluate) and a large
    /// frame here would limit how deep an instance can be validated.
    mutating func apply(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        switch compiled.rule {
        case .type, .enumeration, .const, .multipleOf, .maximum, .exclusiveMaximum, .minimum, .exclusiveMinimum,
             .maxLength, .minLength, .pattern, .maxItems, .minItems, .uniqueItems, .maxProperties, .minProperties,
             .required, .dependentRequired:
            checkAssertion(compiled, node, instance, mode, &outcome)
        case .contains:
            applyContains(compiled, node, instance, mode, annotate, &outcome)
        case .prefixItems:
            applyPrefixItems(compiled, node, instance, mode, annotate, &outcome)
        case .items:
            applyItems(compiled, node, instance, mode, annotate, &outcome)
        case .dependentSchemas:
            applyDependentSchemas(compiled, node, instance, mode, annotate, &outcome)
        case .properties:
            applyProperties(compiled, node, instance, mode, annotate, &outcome)
        case .patternProperties:
            applyPatternProperties(compiled, node, instance, mode, annotate, &outcome)
        case .additionalProperties:
            applyAdditionalProperties(compiled, node, instance, mode, annotate, &outcome)
        case .propertyNames:
            applyPropertyNames(compiled, node, instance, mode, &outcome)
        case .allOf:
            applyAllOf(compiled, node, instance, mode, annotate, &outcome)
        case .anyOf:
            applyAnyOf(compiled, node, instance, mode, annotate, &outcome)
        case .oneOf:
            applyOneOf(compiled, node, instance, mode, annotate, &outcome)
        case .not:
            applyNot(compiled, node, instance, mode, &outcome)
        case .conditional:
            applyConditional(compiled, node, instance, mode, annotate, &outcome)
        case .ref, .dynamicRef:
            applyReference(compiled, node, instance, mode, annotate, &outcome)
        case .unevaluatedItems:
            applyUnevaluatedItems(compiled, node, instance, mode, &outcome)
        case .unevaluatedProperties:
            applyUnevaluatedProperties(compiled, node, instance, mode, &outcome)
        }
    }

    /// A discriminated `allOf` (see ``Discriminator``) on an object: only the subschemas whose
    /// constant equals the object's member are evaluated, in order. The others' conditions fail,
    /// and a failed condition without `else` adds no error and (annotations not being needed
    /// here) nothing else; `depth + 3 < maxDepth` rules out a depth error in the skipped ones.
    @inline(never)
    mutating func applyDiscriminated(
        _ compiled: CompiledKeyword, _ discriminator: Discriminator, _ object: JSONObject, _ instance: JSONValue,
        _ mode: Mode, _ outcome: inout EvaluationOutcome
    ) {
        guard case .allOf(let list) = compiled.rule, let selector = object[discriminator.property] else { return }
        for (offset, value) in discriminator.values.enumerated() where value.isJSONEqual(to: selector) {
            let result = evaluate(list[offset], instance, keyword: compiled.keyword, .index(offset), instanceToken: nil, mode)
            Self.absorb(result, into: &outcome, annotations: false)
            if mode == .decide && outcome.failed { return }
        }
    }

    /// Whether `instance` is of the JSON Schema type `name`.
    static func hasType(_ name: String, _ instance: JSONValue) -> Bool {
        switch instance {
        case .null: return name == "null"
        case .bool: return name == "boolean"
        case .string: return name == "string"
        case .array: return name == "array"
        case .object: return name == "object"
        case .int: return name == "number" || name == "integer"
        case .double: return name == "number" || (name == "integer" && (JSONNumber(instance)?.isWhole ?? false))
        }
    }

    /// Keywords that only assert; never recurses.
    @inline(never)
    func checkAssertion(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        switch compiled.rule {
        case .type(let names):
            if !names.contains(where: { Self.hasType($0, instance) }) {
                fail(&outcome, mode, node, keyword, {
                    let expected = names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")
                    return "value \(brief(instance)) is \(article(instance.typeName)), expected \(expected)"
                }())
            }
        case .enumeration(let options):
            if !options.contains(where: { $0.isJSONEqual(to: instance) }) {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is not one of \(brief(.array(options), limit: 120))")
            }
        case .const(let expected):
            if !expected.isJSONEqual(to: instance) {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is not the required constant \(brief(expected))")
            }
        case .multipleOf(let divisor):
            if let value = JSONNumber(instance), !isMultiple(value, of: divisor) {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is not a multiple of \(numberText(divisor))")
            }
        case .maximum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) == .greater {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is greater than maximum \(numberText(limit))")
            }
        case .exclusiveMaximum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) != .less {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is not less than exclusiveMaximum \(numberText(limit))")
            }
        case .minimum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) == .less {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is less than minimum \(numberText(limit))")
            }
        case .exclusiveMinimum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) != .greater {
                fail(&outcome, mode, node, keyword, "value \(brief(instance)) is not greater than exclusiveMinimum \(numberText(limit))")
            }
        case .maxLength(let limit):
            if case .string(let string) = instance, exceedsScalarCount(string, limit) {
                fail(&outcome, mode, node, keyword,
                     "string is \(string.unicodeScalars.count) characters long, longer than maxLength \(limit)")
            }
        case .minLength(let limit):
            if case .string(let string) = instance, !reachesScalarCount(string, limit) {
                fail(&outcome, mode, node, keyword,
                     "string is \(string.unicodeScalars.count) characters long, shorter than minLength \(limit)")
            }
        case .pattern(let pattern):
            if case .string(let string) = instance, !pattern.matches(string) {
                fail(&outcome, mode, node, keyword, "string \(brief(instance)) does not match pattern \(pattern.source)")
            }
        case .maxItems(let limit):
            if case .array(let elements) = instance, elements.count > limit {
                fail(&outcome, mode, node, keyword, "array has \(elements.count) items, more than maxItems \(limit)")
            }
        case .minItems(let limit):
            if case .array(let elements) = instance, elements.count < limit {
                fail(&outcome, mode, node, keyword, "array has \(elements.count) items, fewer than minItems \(limit)")
            }
        case .uniqueItems:
            if case .array(let elements) = instance, elements.count > 1 {
                var firstIndex: [JSONEqualityKey: Int] = [:]
                firstIndex.reserveCapacity(elements.count)
                for (offset, element) in elements.enumerated() {
                    if let earlier = firstIndex.updateValue(offset, forKey: JSONEqualityKey(value: element)) {
                        fail(&outcome, mode, node, keyword, "items at index \(earlier) and \(offset) are equal, but uniqueItems is true")
                        break
                    }
                }
            }
        case .maxProperties(let limit):
            if case .object(let object) = instance, object.count > limit {
                fail(&outcome, mode, node, keyword, "object has \(object.count) properties, more than maxProperties \(limit)")
            }
        case .minProperties(let limit):
            if case .object(let object) = instance, object.count < limit {
                fail(&outcome, mode, node, keyword, "object has \(object.count) properties, fewer than minProperties \(limit)")
            }
        case .required(let names):
            if case .object(let object) = instance, !names.allSatisfy({ object.contains(key: $0) }) {
                fail(&outcome, mode, node, keyword, {
                    let missing = names.filter { !object.contains(key: $0) }
                    return "missing required propert\(missing.count == 1 ? "y" : "ies") "
                        + missing.map { "\"\($0)\"" }.joined(separator: ", ")
                }())
            }
        case .dependentRequired(let rules):
            guard case .object(let object) = instance else { break }
            for rule in rules where object.contains(key: rule.property) {
                if !rule.required.allSatisfy({ object.contains(key: $0) }) {
                    fail(&outcome, mode, node, keyword, {
                        let missing = rule.required.filter { !object.contains(key: $0) }
                        return "property \"\(rule.property)\" requires " + missing.map { "\"\($0)\"" }.joined(separator: ", ")
                            + ", which \(missing.count == 1 ? "is" : "are") missing"
                    }())
                    if mode == .decide { break }
                }
            }
        default:
            break
        }
    }

    @inline(never)
    mutating func applyContains(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .contains(let schema, let minimum, let maximum) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        var matching: [Int] = []
        for (offset, element) in elements.enumerated() {
            let result = evaluate(schema, element, keyword: keyword, nil, instanceToken: .index(offset), .decide)
            if result.isValid { matching.append(offset) }
        }
        if annotate { outcome.annotations.items.formUnion(matching) }
        if matching.count < minimum {
            let name = minimum == 1 ? "contains" : "minContains"
            let causes = mode == .collect
                ? collectCauses(elements.indices.map { (schema, elements[$0], keyword, nil, PathToken.index($0)) }) : []
            fail(&outcome, mode, node, name,
                 "array has \(matching.count) item\(matching.count == 1 ? "" : "s") matching the contains schema, "
                 + "fewer than \(name == "contains" ? "the 1 required" : "minContains \(minimum)")", causes: causes)
        }
        if let maximum, matching.count > maximum {
            fail(&outcome, mode, node, "maxContains",
                 "array has \(matching.count) items matching the contains schema, more than maxContains \(maximum)")
        }
    }

    /// The errors of each failing subschema, evaluated again in `collect` mode: the `causes` of
    /// an error whose subschemas were first tried in `decide` mode. Subschemas that pass add
    /// nothing.
    mutating func collectCauses(_ attempts: [(schema: Int, instance: JSONValue, keyword: String, token: PathToken?,
                                              instanceToken: PathToken?)]) -> [ValidationError] {
        var causes: [ValidationError] = []
        for attempt in attempts {
            let result = evaluate(attempt.schema, attempt.instance, keyword: attempt.keyword, attempt.token,
                                  instanceToken: attempt.instanceToken, .collect)
            causes += result.errors
        }
        return causes
    }

    /// Every branch of `anyOf` / `oneOf`, as `collectCauses` takes them.
    func branches(_ list: [Int], _ instance: JSONValue, _ keyword: String)
        -> [(schema: Int, instance: JSONValue, keyword: String, token: PathToken?, instanceToken: PathToken?)] {
        list.enumerated().map { (schema: $1, instance: instance, keyword: keyword, token: PathToken.index($0), instanceToken: nil) }
    }

    @inline(never)
    mutating func applyPrefixItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .prefixItems(let schemas) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        for (offset, schema) in schemas.enumerated() where offset < elements.count {
            let result = evaluate(schema, elements[offset], keyword: compiled.keyword, .index(offset),
                                  instanceToken: .index(offset), mode)
            Self.absorb(result, into: &outcome, annotations: false)
            if annotate { outcome.annotations.items.insert(offset) }
            if mode == .decide && outcome.failed { return }
        }
    }

    @inline(never)
    mutating func applyItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .items(let schema, let start) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        if start < elements.count {
            let forbidden = schemas.nodes[schema].boolean == false
            for offset in start..<elements.count {
                if forbidden {
                    fail(&outcome, mode, node, keyword,
                         "item \(offset) is not allowed: the array may hold at most \(start) item\(start == 1 ? "" : "s")")
                } else {
                    let result = evaluate(schema, elements[offset], keyword: keyword, nil, instanceToken: .index(offset), mode)
                    Self.absorb(result, into: &outcome, annotations: false)
                }
                if mode == .decide && outcome.failed { return }
            }
        }
        if annotate { outcome.annotations.allItems = true }
    }

    @inline(never)
    mutating func applyDependentSchemas(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .dependentSchemas(let rules) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for rule in rules where object.contains(key: rule.property) {
            let result = evaluate(rule.schema, instance, keyword: compiled.keyword, .key(rule.property), instanceToken: nil,
                                  mode, annotate: annotate)
            Self.absorb(result, into: &outcome, annotations: annotate)
            if mode == .decide && outcome.failed { return }
        }
    }

    @inline(never)
    mutating func applyProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .properties(let members) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for member in members {
            guard let value = object[member.name] else { continue }
            if schemas.nodes[member.schema].boolean == false {
                fail(&outcome, mode, node, keyword, "property \"\(member.name)\" is not allowed")
            } else {
                let result = evaluate(member.schema, value, keyword: keyword, .key(member.name),
                                      instanceToken: .key(member.name), mode)
                Self.absorb(result, into: &outcome, annotations: false)
            }
            if annotate { outcome.annotations.properties.insert(JSONKey(member.name)) }
            if mode == .decide && outcome.failed { return }
        }
    }

    @inline(never)
    mutating func applyPatternProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .patternProperties(let members) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for (key, value) in object {
            for member in members where member.pattern.matches(key) {
                let result = evaluate(member.schema, value, keyword: compiled.keyword, .key(member.pattern.source),
                                      instanceToken: .key(key), mode)
                Self.absorb(result, into: &outcome, annotations: false)
                if annotate { outcome.annotations.properties.insert(JSONKey(key)) }
                if mode == .decide && outcome.failed { return }
            }
        }
    }

    @inline(never)
    mutating func applyAdditionalProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .additionalProperties(let schema, let declared, let patterns) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for (key, value) in object where !isDeclared(key, declared) && !patterns.contains(where: { $0.matches(key) }) {
            applyLeftover(schema, key: key, value: value, keyword: compiled.keyword, node, mode, annotate, &outcome)
            if mode == .decide && outcome.failed { return }
        }
    }

    /// Whether `key` is in `declared`; a few names are compared byte by byte, without hashing.
    func isDeclared(_ key: String, _ declared: Set<JSONKey>) -> Bool {
        if declared.count > 16 { return declared.contains(JSONKey(key)) }
        return declared.contains { $0.string.utf8.count == key.utf8.count && $0.string.utf8.elementsEqual(key.utf8) }
    }

    @inline(never)
    mutating func applyPropertyNames(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .propertyNames(let schema) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for key in object.keys {
            let result = evaluate(schema, .string(key), keyword: keyword, nil, instanceToken: nil, .decide)
            if !result.isValid {
                let causes = mode == .collect ? collectCauses([(schema, .string(key), keyword, nil, nil)]) : []
                fail(&outcome, mode, node, keyword, "property name \"\(key)\" does not satisfy propertyNames", causes: causes)
                if mode == .decide { return }
            }
        }
    }

    @inline(never)
    mutating func applyAllOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .allOf(let list) = compiled.rule else { return }
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, keyword: compiled.keyword, .index(offset), instanceToken: nil,
                                  mode, annotate: annotate)
            Self.absorb(result, into: &outcome, annotations: annotate)
            if mode == .decide && outcome.failed { return }
        }
    }

    @inline(never)
    mutating func applyAnyOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .anyOf(let list) = compiled.rule else { return }
        var matched = false
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, keyword: keyword, .index(offset), instanceToken: nil, .decide,
                                  annotate: annotate)
            if result.isValid {
                matched = true
                guard annotate else { break }  // one match decides; only annotations need the rest
                outcome.annotations.merge(result.annotations)
            }
        }
        if !matched {
            let causes = mode == .collect ? collectCauses(branches(list, instance, keyword)) : []
            fail(&outcome, mode, node, keyword, "value matches none of the \(list.count) schemas in anyOf", causes: causes)
        }
    }

    @inline(never)
    mutating func applyOneOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .oneOf(let list) = compiled.rule else { return }
        var matchedIndices: [Int] = []
        var matchedAnnotations = EvaluatedAnnotations()
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, keyword: keyword, .index(offset), instanceToken: nil, .decide,
                                  annotate: annotate)
            if result.isValid {
                matchedIndices.append(offset)
                // A second match decides; only the message lists every matching index.
                if mode == .decide && matchedIndices.count > 1 { break }
                if annotate { matchedAnnotations.merge(result.annotations) }
            }
        }
        if matchedIndices.isEmpty {
            let causes = mode == .collect ? collectCauses(branches(list, instance, keyword)) : []
            fail(&outcome, mode, node, keyword, "value matches none of the \(list.count) schemas in oneOf", causes: causes)
        } else if matchedIndices.count > 1 {
            fail(&outcome, mode, node, keyword,
                 "value matches the schemas at indices \(matchedIndices.map(String.init).joined(separator: ", ")) "
                 + "in oneOf, but must match exactly one")
        } else if annotate {
            outcome.annotations.merge(matchedAnnotations)
        }
    }

    @inline(never)
    mutating func applyNot(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .not(let schema) = compiled.rule else { return }
        let result = evaluate(schema, instance, keyword: compiled.keyword, nil, instanceToken: nil, .decide)
        if result.isValid { fail(&outcome, mode, node, compiled.keyword, "value \(brief(instance)) must not match the schema in not") }
    }

    @inline(never)
    mutating func applyConditional(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .conditional(let ifSchema, let thenSchema, let elseSchema) = compiled.rule else { return }
        let condition = evaluate(ifSchema, instance, keyword: compiled.keyword, nil, instanceToken: nil, .decide,
                                 annotate: annotate)
        let branch: (schema: Int, keyword: String)?
        if condition.isValid {
            if annotate { outcome.annotations.merge(condition.annotations) }
            branch = thenSchema.map { ($0, "then") }
        } else {
            branch = elseSchema.map { ($0, "else") }
        }
        if let branch {
            let result = evaluate(branch.schema, instance, keyword: branch.keyword, nil, instanceToken: nil, mode,
                                  annotate: annotate)
            Self.absorb(result, into: &outcome, annotations: annotate)
        }
    }

    /// `$ref` and `$dynamicRef`.
    @inline(never)
    mutating func applyReference(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode, _ annotate: Bool,
        _ outcome: inout EvaluationOutcome
    ) {
        let target: Int
        switch compiled.rule {
        case .ref(let reference):
            target = reference
        case .dynamicRef(let staticTarget, let anchor):
            target = dynamicTarget(staticTarget, anchor: anchor)
        default:
            return
        }
        let result = evaluate(target, instance, keyword: compiled.keyword, nil, instanceToken: nil, mode, annotate: annotate)
        Self.absorb(result, into: &outcome, annotations: annotate)
    }

    /// The outermost resource in the dynamic scope that declares `anchor`, when the static
    /// target declares it too; the static target otherwise.
    func dynamicTarget(_ staticTarget: Int, anchor: String?) -> Int {
        guard let anchor, schemas.nodes[staticTarget].dynamicAnchor == anchor else { return staticTarget }
        for resource in dynamicScope {
            if let dynamic = schemas.dynamicAnchors[schemas.resourceURIs[resource] + "#" + anchor] {
                return dynamic
            }
        }
        return staticTarget
    }

    @inline(never)
    mutating func applyUnevaluatedItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode,
        _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .unevaluatedItems(let schema) = compiled.rule else { return }
        guard case .array(let elements) = instance, !outcome.annotations.allItems else { return }
        let forbidden = schemas.nodes[schema].boolean == false
        for offset in elements.indices where !outcome.annotations.items.contains(offset) {
            if forbidden {
                fail(&outcome, mode, node, keyword, "item \(offset) is not allowed: no keyword here evaluates it (unevaluatedItems is false)")
            } else {
                let result = evaluate(schema, elements[offset], keyword: keyword, nil, instanceToken: .index(offset), mode)
                Self.absorb(result, into: &outcome, annotations: false)
            }
            if mode == .decide && outcome.failed { return }
        }
        outcome.annotations.allItems = true
    }

    @inline(never)
    mutating func applyUnevaluatedProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue, _ mode: Mode,
        _ outcome: inout EvaluationOutcome
    ) {
        guard case .unevaluatedProperties(let schema) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        let evaluated = outcome.annotations.properties
        for (key, value) in object where !evaluated.contains(JSONKey(key)) {
            applyLeftover(schema, key: key, value: value, keyword: compiled.keyword, node, mode, true, &outcome)
            if mode == .decide && outcome.failed { return }
        }
    }

    /// `additionalProperties` / `unevaluatedProperties` applied to one property.
    mutating func applyLeftover(_ schema: Int, key: String, value: JSONValue, keyword: String, _ node: CompiledNode,
                                _ mode: Mode, _ annotate: Bool, _ outcome: inout EvaluationOutcome) {
        if schemas.nodes[schema].boolean == false {
            fail(&outcome, mode, node, keyword, instanceToken: key, {
                let reason = keyword == "additionalProperties"
                    ? "it is not declared in properties or patternProperties"
                    : "no keyword here evaluates it"
                return "property \"\(key)\" is not allowed: \(reason) (\(keyword) is false)"
            }())
        } else {
            let result = evaluate(schema, value, keyword: keyword, nil, instanceToken: .key(key), mode)
            Self.absorb(result, into: &outcome, annotations: false)
        }
        if annotate { outcome.annotations.properties.insert(JSONKey(key)) }
    }
}

// MARK: - Helpers

/// Whether `string` has more than `limit` Unicode scalars, counting no further than needed.
func exceedsScalarCount(_ string: String, _ limit: Int) -> Bool {
    if string.utf8.count <= limit { return false }  // a scalar is at least one byte
    var count = 0
    for _ in string.unicodeScalars {
        count += 1
        if count > limit { return true }
    }
    return false
}

/// Whether `string` has at least `limit` Unicode scalars, counting no further than needed.
func reachesScalarCount(_ string: String, _ limit: Int) -> Bool {
    if limit <= 0 { return true }
    if string.utf8.count < limit { return false }
    var count = 0
    for _ in string.unicodeScalars {
        count += 1
        if count >= limit { return true }
    }
    return false
}

/// Whether `value / divisor` is a whole number. Integers are checked exactly; otherwise the
/// quotient is computed in `Double` and accepted when it is within a relative 1e-9 of a whole
/// number (so 0.0075 is a multiple of 0.0001). An overflowing quotient is never a multiple.
func isMultiple(_ value: JSONNumber, of divisor: JSONNumber) -> Bool {
    if case .int(let dividend) = value.storage, case .int(let integerDivisor) = divisor.storage, integerDivisor > 0 {
        return dividend % integerDivisor == 0
    }
    let quotient = value.asDouble / divisor.asDouble
    guard quotient.isFinite else { return false }
    let rounded = quotient.rounded()
    return abs(quotient - rounded) <= 1e-9 * max(1, abs(quotient))
}

func numberText(_ number: JSONNumber) -> String {
    switch number.storage {
    case .int(let int): return String(int)
    case .double(let double): return double.isFinite && double == double.rounded() && abs(double) < 1e15
        ? String(Int64(double)) : double.description
    }
}

/// A short rendering of a value for messages.
func brief(_ value: JSONValue, limit: Int = 60) -> String {
    let text = value.description
    guard text.count > limit else { return text }
    return String(text.prefix(limit)) + "…"
}

func article(_ typeName: String) -> String {
    (typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + typeName
}
