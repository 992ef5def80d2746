import Foundation
import Testing
@testable import JSONSchema

/// The compile error a schema produces, or nil when it compiles.
func compileError(_ schema: JSONValue, options: JSONSchema.Options = .init()) -> JSONSchemaError? {
    do {
        _ = try JSONSchema(schema, options: options)
        return nil
    } catch {
        return error
    }
}

@Suite("JSONSchema validator: errors a person can act on")
struct ValidatorReportTests {
    static let layerSchema: JSONValue = [
        "type": "object",
        "required": ["name", "layers"],
        "properties": [
            "name": ["type": "string", "minLength": 1],
            "layers": ["type": "array", "items": ["$ref": "#/$defs/layer"]],
        ],
        "additionalProperties": false,
        "$defs": [
            "layer": [
                "properties": [
                    "units": ["type": "integer", "minimum": 0],
                    "activation": ["enum": ["relu", "linear"]],
                ],
            ],
        ],
    ]

    @Test("instance location, keyword location through $ref, absolute location, message")
    func locations() throws {
        let schema = try JSONSchema(Self.layerSchema, baseURI: "file:///schemas/model.schema.json")
        let errors = schema.validate(["name": "m", "layers": [["units": 4], ["units": -3]]])
        #expect(errors.count == 1)
        let error = try #require(errors.first)
        #expect(error.instanceLocation == "/layers/1/units")
        #expect(error.keywordLocation == "/properties/layers/items/$ref/properties/units/minimum")
        #expect(error.absoluteKeywordLocation == "file:///schemas/model.schema.json#/$defs/layer/properties/units/minimum")
        #expect(error.keyword == "minimum")
        #expect(error.message == "value -3 is less than minimum 0")
        #expect(error.description == "/layers/1/units: value -3 is less than minimum 0 [schema /properties/layers/items/$ref/properties/units/minimum]")
    }

    @Test("every failure is reported, each with its own message")
    func allErrors() throws {
        let schema = try JSONSchema(Self.layerSchema)
        let errors = schema.validate(["name": "", "layers": [["units": 1.5, "activation": "tanh"]], "extra": true])
        let messages = errors.map { "\($0.instanceLocation) \($0.keyword): \($0.message)" }
        #expect(messages == [
            "/name minLength: string is 0 characters long, shorter than minLength 1",
            "/layers/0/units type: value 1.5 is a number, expected integer",
            "/layers/0/activation enum: value \"tanh\" is not one of [\"relu\",\"linear\"]",
            "/extra additionalProperties: property \"extra\" is not allowed: it is not declared in properties or patternProperties (additionalProperties is false)",
        ])
        #expect(schema.validate(["layers": []]).map(\.message) == ["missing required property \"name\""])
        #expect(schema.validate(["name": "ok", "layers": [["units": 3]]]).isEmpty)
        #expect(schema.isValid(["name": "ok", "layers": []]))
    }

    @Test("anyOf / oneOf report one error with the branch failures as causes")
    func causes() throws {
        let schema = try JSONSchema(["oneOf": [["type": "string"], ["type": "integer", "maximum": 3]]])
        let errors = schema.validate(7)
        #expect(errors.count == 1)
        #expect(errors.first?.message == "value matches none of the 2 schemas in oneOf")
        #expect(errors.first?.causes.map(\.keywordLocation) == ["/oneOf/0/type", "/oneOf/1/maximum"])
        let overlapping = try JSONSchema(["oneOf": [["type": "integer"], ["minimum": 0]]])
        #expect(overlapping.validate(2).first?.message == "value matches the schemas at indices 0, 1 in oneOf, but must match exactly one")
    }

    @Test("messages for numbers, strings, arrays and objects")
    func messages() throws {
        func message(_ schema: JSONValue, _ instance: JSONValue) throws -> String? {
            try JSONSchema(schema).validate(instance).first?.message
        }
        #expect(try message(["exclusiveMaximum": 10], 10) == "value 10 is not less than exclusiveMaximum 10")
        #expect(try message(["multipleOf": 0.5], 1.25) == "value 1.25 is not a multiple of 0.5")
        #expect(try message(["maxLength": 2], "héllo") == "string is 5 characters long, longer than maxLength 2")
        #expect(try message(["pattern": "^[a-z]+$"], "A1") == "string \"A1\" does not match pattern ^[a-z]+$")
        #expect(try message(["uniqueItems": true], [1, 2, 1.0]) == "items at index 0 and 2 are equal, but uniqueItems is true")
        #expect(try message(["contains": ["const": 1], "minContains": 2], [1, 2]) == "array has 1 item matching the contains schema, fewer than minContains 2")
        #expect(try message(["dependentRequired": ["a": ["b"]]], ["a": 1]) == "property \"a\" requires \"b\", which is missing")
        #expect(try message(["const": ["a": 1]], ["a": 2]) == "value {\"a\":2} is not the required constant {\"a\":1}")
        #expect(try message(false, 1) == "no value is allowed here (the schema is false)")
        #expect(try message(["prefixItems": [true], "items": false], [1, 2]) == "item 1 is not allowed: the array may hold at most 1 item")
        #expect(try message(["type": ["string", "null"]], 1) == "value 1 is an integer, expected one of string, null")
    }
}

@Suite("JSONSchema compiler: strict about what it does not understand")
struct CompilerTests {
    @Test("a misspelt keyword is an error naming it and its path")
    func unknownKeyword() throws {
        let error = try #require(compileError(["properties": ["units": ["minimun": 0]]]))
        #expect(error.kind == .unknownKeyword("minimun", hint: nil))
        #expect(error.schemaLocation == "urn:bnconvert:schema#/properties/units/minimun")
        #expect(error.description.contains("unknown keyword \"minimun\""))
    }

    @Test("keywords of older drafts get a hint")
    func olderDrafts() {
        #expect(compileError(["definitions": [:]])?.kind == .unknownKeyword("definitions", hint: "draft 2020-12 uses \"$defs\""))
        #expect(compileError(["additionalItems": false])?.kind
            == .unknownKeyword("additionalItems", hint: "draft 2020-12 uses \"items\" after \"prefixItems\""))
    }

    @Test("unknown keywords can be ignored on request, and are then not schemas")
    func ignorePolicy() throws {
        let options = JSONSchema.Options(unknownKeywords: .ignore)
        let schema = try JSONSchema(["x-vendor": ["$id": "http://x/", "minimun": 3], "type": "integer"], options: options)
        #expect(schema.isValid(5))
        #expect(!schema.isValid("5"))
        // Unimplemented 2020-12 keywords stay errors even then.
        #expect(compileError(["$vocabulary": [:]], options: options)?.kind == .unsupportedKeyword("$vocabulary"))
    }

    @Test("bad keyword values are typed errors")
    func badValues() {
        #expect(compileError(["minLength": -1])?.kind == .invalidKeywordValue(keyword: "minLength", expected: "a non-negative integer, found -1"))
        #expect(compileError(["minLength": 2.0]) == nil)
        #expect(compileError(["type": "float"]) != nil)
        #expect(compileError(["required": ["a", "a"]]) != nil)
        #expect(compileError(["multipleOf": 0]) != nil)
        #expect(compileError(["allOf": []]) != nil)
        #expect(compileError(["properties": ["a": 3]])?.kind == .notASchema(found: "integer"))
        #expect(compileError(["properties": ["a": 3]])?.schemaLocation == "urn:bnconvert:schema#/properties/a")
        #expect(compileError(3)?.kind == .notASchema(found: "integer"))
        #expect(compileError(["$schema": "http://json-schema.org/draft-07/schema#"])?.kind
            == .unsupportedDialect("http://json-schema.org/draft-07/schema#"))
        if case .invalidRegularExpression(let pattern, _) = compileError(["pattern": "(unclosed"])?.kind {
            #expect(pattern == "(unclosed")
        } else {
            Issue.record("an invalid pattern compiled")
        }
        #expect(compileError(["$anchor": "1bad"]) != nil)
        #expect(compileError(["$id": "http://x/y#frag"]) != nil)
    }

    @Test("unresolvable and remote references are compile errors")
    func unresolvable() {
        #expect(compileError(["$ref": "#/$defs/missing"])?.kind
            == .unresolvableReference("#/$defs/missing", resolved: "urn:bnconvert:schema#/$defs/missing"))
        #expect(compileError(["$ref": "#/$defs/missing"])?.schemaLocation == "urn:bnconvert:schema#/$ref")
        #expect(compileError(["$ref": "http://example.com/other.json"]) != nil)
        #expect(compileError(["$ref": "#nowhere"]) != nil)
    }

    @Test("$ref loops that never move into the instance are refused at compile time")
    func referenceCycles() throws {
        let direct = try #require(compileError(["$ref": "#"]))
        guard case .referenceCycle(let cycle) = direct.kind else {
            Issue.record("expected referenceCycle, got \(direct)")
            return
        }
        #expect(cycle == ["urn:bnconvert:schema#", "urn:bnconvert:schema#"])
        let indirect = compileError([
            "$defs": ["a": ["$ref": "#/$defs/b"], "b": ["anyOf": [["$ref": "#/$defs/a"], true]]],
            "$ref": "#/$defs/a",
        ])
        if case .referenceCycle = indirect?.kind {} else { Issue.record("expected referenceCycle, got \(String(describing: indirect))") }
        // Recursion that descends into the instance is fine.
        let tree = try JSONSchema(["type": "array", "items": ["$ref": "#"]])
        #expect(tree.isValid([[[], [[]]]]))
        #expect(!tree.isValid([[1]]))
    }

    @Test("reference resolution: escaped pointers, percent-encoding, $id, $anchor")
    func references() throws {
        let schema = try JSONSchema([
            "$id": "https://example.com/root.json",
            "$defs": [
                "a/b~c": ["type": "integer"],
                "with space": ["type": "string"],
                "nested": ["$id": "nested/", "$defs": ["x": ["$anchor": "leaf", "minimum": 10]]],
            ],
            "properties": [
                "p1": ["$ref": "#/$defs/a~1b~0c"],
                "p2": ["$ref": "#/$defs/with%20space"],
                "p3": ["$ref": "nested/#leaf"],
                "p4": ["$ref": "https://example.com/nested/#/$defs/x"],
            ],
        ])
        #expect(schema.isValid(["p1": 1, "p2": "s", "p3": 11, "p4": 12]))
        #expect(schema.validate(["p1": "x", "p2": 1, "p3": 1, "p4": 2]).map(\.instanceLocation) == ["/p1", "/p2", "/p3", "/p4"])
    }

    @Test("referenced documents can be supplied; nothing is fetched")
    func referencedSchemas() throws {
        let common: JSONValue = ["$defs": ["positive": ["type": "integer", "exclusiveMinimum": 0]]]
        let schema = try JSONSchema(
            ["items": ["$ref": "common.json#/$defs/positive"]],
            baseURI: "https://example.com/schemas/model.json",
            referencedSchemas: ["https://example.com/schemas/common.json": common])
        #expect(schema.isValid([1, 2]))
        let errors = schema.validate([1, 0])
        #expect(errors.first?.absoluteKeywordLocation == "https://example.com/schemas/common.json#/$defs/positive/exclusiveMinimum")
    }

    @Test("schemas can be validated against the built-in draft 2020-12 meta-schema")
    func metaSchema() throws {
        let meta = try JSONSchema(["$ref": "https://json-schema.org/draft/2020-12/schema"])
        #expect(meta.isValid(ValidatorReportTests.layerSchema))
        #expect(!meta.isValid(["type": "float"]))
        #expect(!meta.isValid(["properties": ["a": ["minLength": -1]]]))
        #expect(!meta.isValid(["$defs": ["x": ["items": ["type": 3]]]]))
    }
}

@Suite("JSONSchema evaluation limits and entry points")
struct EvaluationTests {
    static func nested(_ depth: Int) -> JSONValue {
        var value: JSONValue = []
        for _ in 0..<depth { value = [value] }
        return value
    }

    @Test("evaluation deeper than the limit is a typed error, not a crash")
    func depthLimit() throws {
        let tree = try JSONSchema(["type": "array", "items": ["$ref": "#"]], options: .init(maxEvaluationDepth: 50))
        let errors = tree.validate(Self.nested(100))
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .evaluationDepthExceeded)
        #expect(tree.isValid(Self.nested(10)))
    }

    @Test("a recursive schema validates a 450-deep instance with the default limits")
    func deepInstance() throws {
        let text = String(repeating: "[", count: 450) + String(repeating: "]", count: 450)
        let instance = try JSONValue.parse(text)
        let tree = try JSONSchema(["type": "array", "items": ["$ref": "#"]])
        #expect(tree.validate(instance).isEmpty)
    }

    @Test("hostile schemas: deep nesting and long $ref chains compile without exhausting the stack")
    func hostileSchemas() throws {
        let nots = String(repeating: "{\"not\":", count: 511) + "true" + String(repeating: "}", count: 511)
        let notSchema = try JSONSchema(JSONValue.parse(nots))
        #expect(notSchema.validate(1).count == 1)  // 511 nots: odd, so everything is refused
        let properties = String(repeating: "{\"properties\":{\"a\":", count: 255) + "false" + String(repeating: "}}", count: 255)
        #expect(try JSONSchema(JSONValue.parse(properties)).isValid(1))

        var definitions = JSONObject()
        for index in 0..<3_000 { definitions["d\(index)"] = ["$ref": .string("#/$defs/d\(index + 1)")] }
        definitions["d3000"] = ["type": "integer"]
        let chain = try JSONSchema(["$defs": .object(definitions), "$ref": "#/$defs/d0"])
        #expect(chain.validate(1).first?.kind == .evaluationDepthExceeded)
        let shortChain = try JSONSchema(["$defs": .object(definitions), "$ref": "#/$defs/d2900"])
        #expect(shortChain.isValid(1))
        #expect(!shortChain.isValid("1"))
    }

    @Test("uniqueItems is linear: 100 000 items, JSON equality (1 == 1.0, key order ignored)")
    func uniqueItemsAtScale() throws {
        let unique = try JSONSchema(["uniqueItems": true])
        let numbers: [JSONValue] = (0..<100_000).map { .int(Int64($0)) }
        #expect(unique.isValid(.array(numbers)))
        #expect(unique.validate(.array(numbers + [.double(99_999.0)])).first?.message
            == "items at index 99999 and 100000 are equal, but uniqueItems is true")
        #expect(!unique.isValid([["a": 1, "b": [1.0]], ["b": [1], "a": 1.0]]))
        #expect(unique.isValid([["a": 1], ["a": 2], ["b": 1], [1], [[1]], "1", 1.5, true, nil]))
        #expect(!unique.isValid([-0.0, 0]))
    }

    @Test("bytes and files: parse errors become schema errors; validate against a schema file")
    func entryPoints() throws {
        do {
            _ = try JSONSchema(bytes: Array(#"{"type": "string",}"#.utf8))
            Issue.record("a schema with a trailing comma compiled")
        } catch {
            guard case .invalidJSON(let parseError) = error.kind else {
                Issue.record("expected invalidJSON, got \(error)")
                return
            }
            #expect(parseError.column == 19)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jsonschema-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // cleanup only; failure is harmless
        let file = directory.appendingPathComponent("shape.schema.json")
        try Data(#"{"type": "array", "items": {"type": "integer", "minimum": 1}}"#.utf8).write(to: file)
        let errors = try JSONSchema.validate([2, 0], againstSchemaFile: file.path)
        #expect(errors.map(\.message) == ["value 0 is less than minimum 1"])
        #expect(errors.first?.absoluteKeywordLocation == file.absoluteString + "#/items/minimum")
        #expect(try JSONSchema.validate([1], againstSchemaFile: file.path).isEmpty)
        do {
            _ = try JSONSchema.validate([1], againstSchemaFile: directory.appendingPathComponent("missing.json").path)
            Issue.record("a missing schema file was accepted")
        } catch {
            if case .unreadableFile = error.kind {} else { Issue.record("expected unreadableFile, got \(error)") }
        }
    }

    @Test("a compiled schema can be shared between tasks")
    func concurrentUse() async throws {
        let schema = try JSONSchema(ValidatorReportTests.layerSchema)
        let counts = await withTaskGroup(of: Int.self) { group in
            for index in 0..<16 {
                group.addTask { schema.validate(["name": "n", "layers": [["units": .int(Int64(index) - 8)]]]).count }
            }
            var results: [Int] = []
            for await count in group { results.append(count) }
            return results
        }
        #expect(counts.sorted() == Array(repeating: 0, count: 8) + Array(repeating: 1, count: 8))

        // Regular expressions are shared too.
        let patterned = try JSONSchema(["items": ["pattern": #"^[a-z]+-\d+$"#], "propertyNames": ["pattern": "^k"]])
        let failures = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var count = 0
                    for round in 0..<200 {
                        count += patterned.validate(["layer-\(round)", "Bad\(worker)"]).count
                    }
                    return count
                }
            }
            var total = 0
            for await count in group { total += count }
            return total
        }
        #expect(failures == 8 * 200)
    }
}

@Suite("pattern: ECMA-262 meaning on top of ICU")
struct PatternTests {
    @Test("rewrites", arguments: [
        (#"^\d+$"#, #"^[0-9]+\z"#),
        (#"[\d\w-]"#, #"[0-9A-Za-z0-9_-]"#),
        (#"\W\D"#, #"[^A-Za-z0-9_][^0-9]"#),
        (#"a\$b[$]"#, #"a\$b[$]"#),
        (#"\\d"#, #"\\d"#),
    ])
    func rewrites(ecma: String, icu: String) {
        #expect(Pattern.icuPattern(fromECMA: ecma) == icu)
    }

    @Test("ASCII digits and word characters; $ only at the very end")
    func semantics() throws {
        let digits = try JSONSchema(["pattern": #"^\d+$"#])
        #expect(digits.isValid("123"))
        #expect(!digits.isValid("١٢٣"))  // Arabic-Indic digits are not \d in ECMA-262
        #expect(!digits.isValid("123\n"))
        let word = try JSONSchema(["pattern": #"^\w+$"#])
        #expect(word.isValid("abc_9"))
        #expect(!word.isValid("é"))
        #expect(try JSONSchema(["pattern": "b"]).isValid("abc"))  // not anchored
        #expect(try JSONSchema(["patternProperties": [#"^x-\d$"#: false]]).isValid(["x-٣": 1]))
    }
}

@Suite("URI references and JSON Pointers")
struct ReferenceSyntaxTests {
    /// RFC 3986 §5.4.1 and §5.4.2, base "http://a/b/c/d;p?q".
    @Test("RFC 3986 reference resolution", arguments: [
        ("g:h", "g:h"), ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"), ("//g", "http://g"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"), ("g#s", "http://a/b/c/g#s"), (";x", "http://a/b/c/;x"),
        ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("..", "http://a/b/"), ("../g", "http://a/b/g"),
        ("../..", "http://a/"), ("../../g", "http://a/g"), ("../../../g", "http://a/g"), ("/./g", "http://a/g"),
        ("/../g", "http://a/g"), ("g.", "http://a/b/c/g."), ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"), ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"),
    ])
    func resolution(reference: String, expected: String) {
        let base = URIReference("http://a/b/c/d;p?q")
        #expect(URIReference(reference).resolved(against: base).description == expected)
    }

    @Test("URNs and fragments")
    func urns() {
        let base = URIReference("urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed")
        #expect(URIReference("#/$defs/a").resolved(against: base).description == "urn:uuid:deadbeef-1234-ffff-ffff-4321feebdaed#/$defs/a")
        #expect(URIReference("urn:x#y").fragment == "y")
    }

    @Test("JSON Pointer tokens")
    func pointers() {
        #expect(JSONPointer.tokens("") == [])
        #expect(JSONPointer.tokens("/a~1b/~0c/") == ["a/b", "~c", ""])
        #expect(JSONPointer.tokens("a") == nil)
        #expect(JSONPointer.tokens("/~2") == nil)
        #expect(JSONPointer.string(["a/b", "~c"]) == "/a~1b/~0c")
        #expect(JSONPointer.resolve(["a", "1"], in: ["a": [10, 20]]) == 20)
        #expect(JSONPointer.resolve(["a", "01"], in: ["a": [10, 20]]) == nil)
        #expect(percentDecoded("with%20space%25") == "with space%")
        #expect(percentDecoded("bad%2") == nil)
    }
}
