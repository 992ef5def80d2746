// Applies compiled keywords to an instance, collecting errors and the annotations that
// `unevaluatedItems` / `unevaluatedProperties` depend on.

/// What a subschema evaluated, as far as `unevaluated*` care.
struct EvaluatedAnnotations {
    var properties: Set<JSONKey> = []
    var items: Set<Int> = []
    var allItems = false

    mutating func merge(_ other: EvaluatedAnnotations) {
        properties.formUnion(other.properties)
        items.formUnion(other.items)
        allItems = allItems || other.allItems
    }
}

struct EvaluationOutcome {
    var errors: [ValidationError] = []
    var annotations = EvaluatedAnnotations()
    var isValid: Bool { errors.isEmpty }
}

/// Per-call state: depth guard and the dynamic scope (resources entered, outermost first).
struct SchemaEvaluator {
    let schemas: CompiledSchemaSet
    let maxDepth: Int
    var depth = 0
    var dynamicScope: [String] = []

    init(schemas: CompiledSchemaSet, maxDepth: Int) {
        self.schemas = schemas
        self.maxDepth = maxDepth
    }

    // MARK: Nodes

    mutating func evaluate(_ index: Int, _ instance: JSONValue, instancePath: [String], schemaPath: [String]) -> EvaluationOutcome {
        let node = schemas.nodes[index]
        var outcome = EvaluationOutcome()
        if let boolean = node.boolean {
            if !boolean {
                outcome.errors.append(error(node, "false", instancePath, schemaPath, keywordInPath: false,
                                            "no value is allowed here (the schema is false)"))
            }
            return outcome
        }
        guard depth < maxDepth else {
            outcome.errors.append(ValidationError(
                kind: .evaluationDepthExceeded, instanceLocation: JSONPointer.string(instancePath),
                keywordLocation: JSONPointer.string(schemaPath), absoluteKeywordLocation: node.absoluteLocation,
                keyword: schemaPath.last ?? "",
                message: "evaluation went deeper than \(maxDepth) schemas; the schema recurses too deeply for this instance"))
            return outcome
        }
        depth += 1
        let pushed = dynamicScope.last != node.resourceURI
        if pushed { dynamicScope.append(node.resourceURI) }
        defer {
            depth -= 1
            if pushed { dynamicScope.removeLast() }
        }
        for keyword in node.keywords {
            apply(keyword, node, instance, instancePath, schemaPath, &outcome)
        }
        return outcome
    }

    func error(_ node: CompiledNode, _ keyword: String, _ instancePath: [String], _ schemaPath: [String],
               keywordInPath: Bool = true, _ message: String, causes: [ValidationError] = []) -> ValidationError {
        let keywordPath = keywordInPath ? schemaPath + [keyword] : schemaPath
        let absolute = keywordInPath
            ? node.absoluteLocation + "/" + escapePointerToken(keyword)
            : node.absoluteLocation
        return ValidationError(instanceLocation: JSONPointer.string(instancePath),
                               keywordLocation: JSONPointer.string(keywordPath),
                               absoluteKeywordLocation: absolute, keyword: keyword, message: message, causes: causes)
    }

    // MARK: Keywords

    /// Dispatches one keyword. Kept small, with each applicator in its own function, because
    /// this sits on the recursion path (evaluate → apply → applicator → evaluate) and a large
    /// frame here would limit how deep an instance can be validated.
    mutating func apply(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        switch compiled.rule {
        case .type, .enumeration, .const, .multipleOf, .maximum, .exclusiveMaximum, .minimum, .exclusiveMinimum,
             .maxLength, .minLength, .pattern, .maxItems, .minItems, .uniqueItems, .maxProperties, .minProperties,
             .required, .dependentRequired:
            checkAssertion(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .contains:
            applyContains(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .prefixItems:
            applyPrefixItems(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .items:
            applyItems(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .dependentSchemas:
            applyDependentSchemas(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .properties:
            applyProperties(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .patternProperties:
            applyPatternProperties(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .additionalProperties:
            applyAdditionalProperties(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .propertyNames:
            applyPropertyNames(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .allOf:
            applyAllOf(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .anyOf:
            applyAnyOf(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .oneOf:
            applyOneOf(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .not:
            applyNot(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .conditional:
            applyConditional(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .ref:
            applyRef(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .dynamicRef:
            applyDynamicRef(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .unevaluatedItems:
            applyUnevaluatedItems(compiled, node, instance, instancePath, schemaPath, &outcome)
        case .unevaluatedProperties:
            applyUnevaluatedProperties(compiled, node, instance, instancePath, schemaPath, &outcome)
        }
    }

    /// Keywords that only assert; never recurses.
    @inline(never)
    func checkAssertion(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        switch compiled.rule {
        case .type(let names):
            let matches = names.contains { name in
                switch (name, instance) {
                case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array),
                     ("object", .object), ("number", .int), ("number", .double), ("integer", .int):
                    return true
                case ("integer", .double):
                    return JSONNumber(instance)?.isWhole ?? false
                default:
                    return false
                }
            }
            if !matches {
                let expected = names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")
                fail("value \(brief(instance)) is \(article(instance.typeName)), expected \(expected)")
            }
        case .enumeration(let options):
            if !options.contains(where: { $0.isJSONEqual(to: instance) }) {
                fail("value \(brief(instance)) is not one of \(brief(.array(options), limit: 120))")
            }
        case .const(let expected):
            if !expected.isJSONEqual(to: instance) {
                fail("value \(brief(instance)) is not the required constant \(brief(expected))")
            }
        case .multipleOf(let divisor):
            if let value = JSONNumber(instance), !isMultiple(value, of: divisor) {
                fail("value \(brief(instance)) is not a multiple of \(numberText(divisor))")
            }
        case .maximum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) == .greater {
                fail("value \(brief(instance)) is greater than maximum \(numberText(limit))")
            }
        case .exclusiveMaximum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) != .less {
                fail("value \(brief(instance)) is not less than exclusiveMaximum \(numberText(limit))")
            }
        case .minimum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) == .less {
                fail("value \(brief(instance)) is less than minimum \(numberText(limit))")
            }
        case .exclusiveMinimum(let limit):
            if let value = JSONNumber(instance), value.compare(limit) != .greater {
                fail("value \(brief(instance)) is not greater than exclusiveMinimum \(numberText(limit))")
            }
        case .maxLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count > limit {
                fail("string is \(string.unicodeScalars.count) characters long, longer than maxLength \(limit)")
            }
        case .minLength(let limit):
            if case .string(let string) = instance, string.unicodeScalars.count < limit {
                fail("string is \(string.unicodeScalars.count) characters long, shorter than minLength \(limit)")
            }
        case .pattern(let pattern):
            if case .string(let string) = instance, !pattern.matches(string) {
                fail("string \(brief(instance)) does not match pattern \(pattern.source)")
            }
        case .maxItems(let limit):
            if case .array(let elements) = instance, elements.count > limit {
                fail("array has \(elements.count) items, more than maxItems \(limit)")
            }
        case .minItems(let limit):
            if case .array(let elements) = instance, elements.count < limit {
                fail("array has \(elements.count) items, fewer than minItems \(limit)")
            }
        case .uniqueItems:
            if case .array(let elements) = instance {
                var firstIndex: [JSONEqualityKey: Int] = [:]
                for (offset, element) in elements.enumerated() {
                    if let earlier = firstIndex.updateValue(offset, forKey: JSONEqualityKey(value: element)) {
                        fail("items at index \(earlier) and \(offset) are equal, but uniqueItems is true")
                        break
                    }
                }
            }

        case .maxProperties(let limit):
            if case .object(let object) = instance, object.count > limit {
                fail("object has \(object.count) properties, more than maxProperties \(limit)")
            }
        case .minProperties(let limit):
            if case .object(let object) = instance, object.count < limit {
                fail("object has \(object.count) properties, fewer than minProperties \(limit)")
            }
        case .required(let names):
            if case .object(let object) = instance {
                let missing = names.filter { !object.contains(key: $0) }
                if !missing.isEmpty {
                    fail("missing required propert\(missing.count == 1 ? "y" : "ies") "
                         + missing.map { "\"\($0)\"" }.joined(separator: ", "))
                }
            }
        case .dependentRequired(let rules):
            guard case .object(let object) = instance else { break }
            for rule in rules where object.contains(key: rule.property) {
                let missing = rule.required.filter { !object.contains(key: $0) }
                if !missing.isEmpty {
                    fail("property \"\(rule.property)\" requires "
                         + missing.map { "\"\($0)\"" }.joined(separator: ", ") + ", which \(missing.count == 1 ? "is" : "are") missing")
                }
            }
        default:
            break
        }
    }

    @inline(never)
    mutating func applyContains(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .contains(let schema, let minimum, let maximum) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        var matching: [Int] = []
        var causes: [ValidationError] = []
        for (offset, element) in elements.enumerated() {
            let result = evaluate(schema, element, instancePath: instancePath + [String(offset)], schemaPath: keywordPath)
            if result.isValid { matching.append(offset) } else { causes += result.errors }
        }
        outcome.annotations.items.formUnion(matching)
        if matching.count < minimum {
            let name = minimum == 1 ? "contains" : "minContains"
            outcome.errors.append(error(node, name, instancePath, schemaPath,
                "array has \(matching.count) item\(matching.count == 1 ? "" : "s") matching the contains schema, "
                + "fewer than \(name == "contains" ? "the 1 required" : "minContains \(minimum)")", causes: causes))
        }
        if let maximum, matching.count > maximum {
            outcome.errors.append(error(node, "maxContains", instancePath, schemaPath,
                "array has \(matching.count) items matching the contains schema, more than maxContains \(maximum)"))
        }
    }

    @inline(never)
    mutating func applyPrefixItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .prefixItems(let schemas) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        for (offset, schema) in schemas.enumerated() where offset < elements.count {
            let result = evaluate(schema, elements[offset], instancePath: instancePath + [String(offset)],
                                  schemaPath: keywordPath + [String(offset)])
            outcome.errors += result.errors
            outcome.annotations.items.insert(offset)
        }
    }

    @inline(never)
    mutating func applyItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .items(let schema, let start) = compiled.rule else { return }
        guard case .array(let elements) = instance else { return }
        if start < elements.count {
            for offset in start..<elements.count {
                let result = evaluate(schema, elements[offset], instancePath: instancePath + [String(offset)], schemaPath: keywordPath)
                if schemas.nodes[schema].boolean == false {
                    fail("item \(offset) is not allowed: the array may hold at most \(start) item\(start == 1 ? "" : "s")")
                } else {
                    outcome.errors += result.errors
                }
            }
        }
        outcome.annotations.allItems = true
    }

    @inline(never)
    mutating func applyDependentSchemas(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .dependentSchemas(let rules) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for rule in rules where object.contains(key: rule.property) {
            let result = evaluate(rule.schema, instance, instancePath: instancePath, schemaPath: keywordPath + [rule.property])
            outcome.errors += result.errors
            outcome.annotations.merge(result.annotations)
        }
    }

    @inline(never)
    mutating func applyProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .properties(let members) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for member in members {
            guard let value = object[member.name] else { continue }
            let result = evaluate(member.schema, value, instancePath: instancePath + [member.name],
                                  schemaPath: keywordPath + [member.name])
            if schemas.nodes[member.schema].boolean == false {
                fail("property \"\(member.name)\" is not allowed")
            } else {
                outcome.errors += result.errors
            }
            outcome.annotations.properties.insert(JSONKey(member.name))
        }
    }

    @inline(never)
    mutating func applyPatternProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .patternProperties(let members) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for (key, value) in object {
            for member in members where member.pattern.matches(key) {
                let result = evaluate(member.schema, value, instancePath: instancePath + [key],
                                      schemaPath: keywordPath + [member.pattern.source])
                outcome.errors += result.errors
                outcome.annotations.properties.insert(JSONKey(key))
            }
        }
    }

    @inline(never)
    mutating func applyAdditionalProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .additionalProperties(let schema, let declared, let patterns) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for (key, value) in object where !declared.contains(JSONKey(key)) && !patterns.contains(where: { $0.matches(key) }) {
            applyLeftover(schema, key: key, value: value, keyword: keyword, node, instancePath, schemaPath, &outcome)
        }
    }

    @inline(never)
    mutating func applyPropertyNames(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .propertyNames(let schema) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        for key in object.keys {
            let result = evaluate(schema, .string(key), instancePath: instancePath, schemaPath: keywordPath)
            if !result.isValid {
                fail("property name \"\(key)\" does not satisfy propertyNames", causes: result.errors)
            }
        }
    }

    @inline(never)
    mutating func applyAllOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .allOf(let list) = compiled.rule else { return }
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, instancePath: instancePath, schemaPath: keywordPath + [String(offset)])
            outcome.errors += result.errors
            outcome.annotations.merge(result.annotations)
        }
    }

    @inline(never)
    mutating func applyAnyOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .anyOf(let list) = compiled.rule else { return }
        var causes: [ValidationError] = []
        var matched = false
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, instancePath: instancePath, schemaPath: keywordPath + [String(offset)])
            if result.isValid {
                matched = true
                outcome.annotations.merge(result.annotations)
            } else {
                causes += result.errors
            }
        }
        if !matched { fail("value matches none of the \(list.count) schemas in anyOf", causes: causes) }
    }

    @inline(never)
    mutating func applyOneOf(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .oneOf(let list) = compiled.rule else { return }
        var causes: [ValidationError] = []
        var matchedIndices: [Int] = []
        var matchedAnnotations = EvaluatedAnnotations()
        for (offset, schema) in list.enumerated() {
            let result = evaluate(schema, instance, instancePath: instancePath, schemaPath: keywordPath + [String(offset)])
            if result.isValid {
                matchedIndices.append(offset)
                matchedAnnotations.merge(result.annotations)
            } else {
                causes += result.errors
            }
        }
        if matchedIndices.isEmpty {
            fail("value matches none of the \(list.count) schemas in oneOf", causes: causes)
        } else if matchedIndices.count > 1 {
            fail("value matches the schemas at indices \(matchedIndices.map(String.init).joined(separator: ", ")) "
                 + "in oneOf, but must match exactly one")
        } else {
            outcome.annotations.merge(matchedAnnotations)
        }
    }

    @inline(never)
    mutating func applyNot(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .not(let schema) = compiled.rule else { return }
        let result = evaluate(schema, instance, instancePath: instancePath, schemaPath: keywordPath)
        if result.isValid { fail("value \(brief(instance)) must not match the schema in not") }
    }

    @inline(never)
    mutating func applyConditional(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .conditional(let ifSchema, let thenSchema, let elseSchema) = compiled.rule else { return }
        let condition = evaluate(ifSchema, instance, instancePath: instancePath, schemaPath: keywordPath)
        if condition.isValid {
            outcome.annotations.merge(condition.annotations)
            if let thenSchema {
                let result = evaluate(thenSchema, instance, instancePath: instancePath, schemaPath: schemaPath + ["then"])
                outcome.errors += result.errors
                outcome.annotations.merge(result.annotations)
            }
        } else if let elseSchema {
            let result = evaluate(elseSchema, instance, instancePath: instancePath, schemaPath: schemaPath + ["else"])
            outcome.errors += result.errors
            outcome.annotations.merge(result.annotations)
        }
    }

    @inline(never)
    mutating func applyRef(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .ref(let target) = compiled.rule else { return }
        let result = evaluate(target, instance, instancePath: instancePath, schemaPath: keywordPath)
        outcome.errors += result.errors
        outcome.annotations.merge(result.annotations)
    }

    @inline(never)
    mutating func applyDynamicRef(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        guard case .dynamicRef(let staticTarget, let anchor) = compiled.rule else { return }
        var target = staticTarget
        if let anchor, schemas.nodes[staticTarget].dynamicAnchor == anchor {
            for resource in dynamicScope {
                if let dynamic = schemas.dynamicAnchors[resource + "#" + anchor] {
                    target = dynamic
                    break
                }
            }
        }
        let result = evaluate(target, instance, instancePath: instancePath, schemaPath: keywordPath)
        outcome.errors += result.errors
        outcome.annotations.merge(result.annotations)
    }

    @inline(never)
    mutating func applyUnevaluatedItems(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        let keywordPath = schemaPath + [keyword]
        func fail(_ message: String, causes: [ValidationError] = []) {
            outcome.errors.append(error(node, keyword, instancePath, schemaPath, message, causes: causes))
        }
        guard case .unevaluatedItems(let schema) = compiled.rule else { return }
        guard case .array(let elements) = instance, !outcome.annotations.allItems else { return }
        for offset in elements.indices where !outcome.annotations.items.contains(offset) {
            let result = evaluate(schema, elements[offset], instancePath: instancePath + [String(offset)], schemaPath: keywordPath)
            if schemas.nodes[schema].boolean == false {
                fail("item \(offset) is not allowed: no keyword here evaluates it (unevaluatedItems is false)")
            } else {
                outcome.errors += result.errors
            }
        }
        outcome.annotations.allItems = true
    }

    @inline(never)
    mutating func applyUnevaluatedProperties(
        _ compiled: CompiledKeyword, _ node: CompiledNode, _ instance: JSONValue,
        _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome
    ) {
        let keyword = compiled.keyword
        guard case .unevaluatedProperties(let schema) = compiled.rule else { return }
        guard case .object(let object) = instance else { return }
        let evaluated = outcome.annotations.properties
        for (key, value) in object where !evaluated.contains(JSONKey(key)) {
            applyLeftover(schema, key: key, value: value, keyword: keyword, node, instancePath, schemaPath, &outcome)
        }
    }

    /// `additionalProperties` / `unevaluatedProperties` applied to one property.
    mutating func applyLeftover(_ schema: Int, key: String, value: JSONValue, keyword: String, _ node: CompiledNode,
                                _ instancePath: [String], _ schemaPath: [String], _ outcome: inout EvaluationOutcome) {
        if schemas.nodes[schema].boolean == false {
            let reason = keyword == "additionalProperties"
                ? "it is not declared in properties or patternProperties"
                : "no keyword here evaluates it"
            outcome.errors.append(error(node, keyword, instancePath + [key], schemaPath,
                                        "property \"\(key)\" is not allowed: \(reason) (\(keyword) is false)"))
        } else {
            let result = evaluate(schema, value, instancePath: instancePath + [key], schemaPath: schemaPath + [keyword])
            outcome.errors += result.errors
        }
        outcome.annotations.properties.insert(JSONKey(key))
    }
}

// MARK: - Helpers

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
