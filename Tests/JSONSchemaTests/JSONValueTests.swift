import Foundation
import Testing
@testable import JSONSchema

/// Deterministic generator so a failing property case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomString(_ rng: inout SplitMix64) -> String {
    let pool: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}",
                                  "é", "€", "\u{FFFF}", "😀", "\u{10FFFF}", "~", "{", "]"]
    var result = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...8, using: &rng) {
        result.append(pool[Int.random(in: 0..<pool.count, using: &rng)])
    }
    return String(result)
}

func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
    let choice = Int.random(in: 0..<(depth > 4 ? 5 : 7), using: &rng)
    switch choice {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2:
        let picks: [Int64] = [0, 1, -1, .max, .min, 42, -9_007_199_254_740_992]
        return Bool.random(using: &rng) ? .int(picks[Int.random(in: 0..<picks.count, using: &rng)])
                                        : .int(Int64.random(in: .min ... .max, using: &rng))
    case 3:
        let picks: [Double] = [0, -0.0, 1, -1.5, 0.1, 1e300, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                               123456789.125, 9_007_199_254_740_992, 1e16]
        if Bool.random(using: &rng) { return .double(picks[Int.random(in: 0..<picks.count, using: &rng)]) }
        var double: Double
        repeat { double = Double(bitPattern: rng.next()) } while !double.isFinite
        return .double(double)
    case 4: return .string(randomString(&rng))
    case 5:
        return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
    default:
        var object = JSONObject()
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            object[randomString(&rng)] = randomValue(&rng, depth: depth + 1)
        }
        return .object(object)
    }
}

@Suite("JSONValue")
struct JSONValueTests {
    @Test("parse(serialize(x)) == x for random values, in every output style")
    func roundTripRandomValues() throws {
        var rng = SplitMix64(state: 0x5EED)
        for iteration in 0..<2000 {
            let value = randomValue(&rng)
            for (sorted, pretty) in [(false, false), (true, false), (false, true), (true, true)] {
                let text = try value.serialized(sortedKeys: sorted, pretty: pretty)
                let back = try JSONValue.parse(text)
                #expect(back == value, "iteration \(iteration): \(text) read back as \(back)")
                if !sorted, case .object(let original) = value, case .object(let reread) = back {
                    #expect(original.keys == reread.keys, "key order changed in \(text)")
                }
            }
        }
    }

    @Test("numbers keep their kind: 1 is int, 1.0 is double and prints as 1.0")
    func numberKinds() throws {
        #expect(try JSONValue.parse("1") == .int(1))
        #expect(try JSONValue.parse("1.0") == .double(1))
        #expect(try JSONValue.parse("1e2") == .double(100))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSONValue.double(1).serialized() == "1.0")
        #expect(try JSONValue.double(-0.0).serialized() == "-0.0")
        #expect(try JSONValue.double(0.1).serialized() == "0.1")
        #expect(try JSONValue.double(1e300).serialized() == "1e+300")
        #expect(try JSONValue.int(1).serialized() == "1")
    }

    @Test("non-finite doubles cannot be serialized; the error names the path")
    func nonFiniteThrows() {
        let value: JSONValue = ["a": [1, .double(.nan)]]
        do {
            _ = try value.serialized()
            Issue.record("expected a throw")
        } catch {
            guard case .nonFiniteNumber(let number, let path) = error else { return }
            #expect(number.isNaN && path == "/a/1")
        }
        do {
            _ = try JSONValue.double(.infinity).serialized()
            Issue.record("expected a throw")
        } catch {
            #expect(error == .nonFiniteNumber(.infinity, at: ""))
        }
    }

    @Test("serialization is deterministic and escapes control characters")
    func serializationFormat() throws {
        let value: JSONValue = ["b": 1, "a": ["x\n\u{1}\"\\/é", true, nil], "c": [:], "d": []]
        #expect(try value.serialized() == #"{"b":1,"a":["x\n\u0001\"\\/é",true,null],"c":{},"d":[]}"#)
        #expect(try value.serialized(sortedKeys: true) == #"{"a":["x\n\u0001\"\\/é",true,null],"b":1,"c":{},"d":[]}"#)
        #expect(try value.serialized(sortedKeys: true, pretty: true) == """
            {
              "a": [
                "x\\n\\u0001\\"\\\\/é",
                true,
                null
              ],
              "b": 1,
              "c": {},
              "d": []
            }
            """)
    }

    @Test("objects keep text order; equality ignores order")
    func objectOrder() throws {
        let parsed = try JSONValue.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(parsed.objectValue?.keys == ["z", "a", "m"])
        #expect(parsed == ["a": 2, "m": 3, "z": 1])
        var object: JSONObject = ["x": 1, "y": 2]
        object["x"] = 5
        object["w"] = 0
        object["y"] = nil
        #expect(object.keys == ["x", "w"])
        #expect(object.map(\.key) == ["x", "w"])
        #expect(Set([JSONValue.object(["a": 1, "b": 2]), .object(["b": 2, "a": 1])]).count == 1)
    }

    @Test("accessors")
    func accessors() throws {
        let value = try JSONValue.parse(#"{"s":"x","i":3,"d":2.5,"b":false,"a":[1,2],"o":{"k":null}}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.intValue == nil)
        #expect(value["b"]?.boolValue == false)
        #expect(value["a"]?[1] == 2)
        #expect(value["a"]?[2] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["o"]?["k"] == .null)
        #expect(value["o"]?.objectValue?.count == 1)
        #expect(value["a"]?.arrayValue?.count == 2)
        #expect(value["missing"] == nil)
        #expect(JSONValue.int(1)["x"] == nil)
    }

    @Test("JSON equality: 1 equals 1.0, object order ignored")
    func jsonEquality() {
        #expect(JSONValue.int(1).isJSONEqual(to: .double(1.0)))
        #expect(!JSONValue.int(1).isJSONEqual(to: .double(1.5)))
        #expect(JSONValue.int(.max).isJSONEqual(to: .double(9_223_372_036_854_775_808)) == false)
        #expect(JSONValue.object(["a": 1, "b": [1.0]]).isJSONEqual(to: ["b": [1], "a": 1.0]))
        #expect(!JSONValue.bool(true).isJSONEqual(to: 1))
        #expect(!JSONValue.array([]).isJSONEqual(to: .object([:])))
    }

    @Test("Codable round trip through Foundation")
    func codable() throws {
        struct Holder: Codable, Equatable { var name: String; var extra: JSONValue }
        let holder = Holder(name: "n", extra: ["a": [1, 2.5, "s", true, nil], "b": ["c": -7]])
        let data = try JSONEncoder().encode(holder)
        let decoded = try JSONDecoder().decode(Holder.self, from: data)
        #expect(decoded.extra.isJSONEqual(to: holder.extra))
        #expect(decoded.extra["a"]?[1] == .double(2.5))
        #expect(decoded.extra["b"]?["c"] == .int(-7))
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode([JSONValue.double(.infinity)]) }
    }
}

@Suite("JSON parser: strictness and hostile input")
struct JSONParserTests {
    static let rejected: [(String, String)] = [
        ("[1,]", "trailing comma in array"),
        (#"{"a":1,}"#, "trailing comma in object"),
        ("[1,,2]", "double comma"),
        ("// c\n1", "line comment"),
        ("/* c */ 1", "block comment"),
        ("01", "leading zero"),
        ("-01", "leading zero after minus"),
        ("1.", "fraction without digits"),
        (".5", "no integer part"),
        ("1e", "exponent without digits"),
        ("+1", "plus sign"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-", "lone minus"),
        (#""\ud800""#, "lone high surrogate"),
        (#""\udc00""#, "lone low surrogate"),
        (#""\ud800\u0041""#, "high surrogate followed by non-surrogate"),
        ("\"a\u{1}b\"", "raw control character"),
        ("\"a\nb\"", "raw newline in string"),
        (#""\x""#, "unknown escape"),
        (#""\u12G4""#, "bad hex escape"),
        ("[1] 2", "trailing value"),
        ("1 x", "trailing garbage"),
        ("{} }", "extra brace"),
        ("", "empty"),
        ("   ", "whitespace only"),
        ("\u{FEFF}1", "byte order mark"),
        (#"{"a":1,"a":2}"#, "duplicate key"),
        ("{'a':1}", "single quotes"),
        ("{a:1}", "unquoted key"),
        ("[true false]", "missing comma"),
        ("tru", "truncated literal"),
        ("nul", "truncated null"),
        ("\"abc", "unterminated string"),
        ("1e400", "overflowing number"),
        ("-1e400", "overflowing negative number"),
        ("[1}", "mismatched bracket"),
        ("\u{00A0}1", "non-JSON whitespace"),
    ]

    @Test("strict RFC 8259: rejects", arguments: rejected)
    func rejects(text: String, reason: String) {
        do {
            let value = try JSONValue.parse(text)
            Issue.record("\(reason): \(text.debugDescription) was accepted as \(value)")
        } catch {
            #expect(!error.message.isEmpty)
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
        }
    }

    @Test("accepts valid edge cases")
    func accepts() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == "😀")
        #expect(try JSONValue.parse(#""\u0000\/""#) == "\u{0}/")
        #expect(try JSONValue.parse(" \t\r\n[ ] ") == [])
        #expect(try JSONValue.parse("1E+2") == .double(100))
        #expect(try JSONValue.parse("0.5e-1") == .double(0.05))
        #expect(try JSONValue.parse(#"{"":""}"#) == ["": ""])
        #expect(try JSONValue.parse(Array("\"é€😀\"".utf8)) == "é€😀")
    }

    @Test("typed error kinds and positions")
    func errorKinds() {
        func kind(_ text: String) -> JSONParseError? {
            do { _ = try JSONValue.parse(text); return nil } catch { return error }
        }
        #expect(kind(#"{"a":1,"a":2}"#)?.kind == .duplicateKey("a"))
        #expect(kind(#"{"a":1,"a":2}"#)?.offset == 7)
        #expect(kind("[1,\n  2,\n  ]")?.line == 3)
        #expect(kind("[1,\n  2,\n  ]")?.column == 3)
        #expect(kind("[\"é\", x]")?.column == 7)
        #expect(kind("01")?.kind == .invalidNumber("leading zeros are not allowed"))
        #expect(kind("1e400")?.kind == .numberOutOfRange("1e400"))
        #expect(kind(#""\ud800""#)?.kind == .loneSurrogate("\\uD800"))
        #expect(kind("\"\u{1}\"")?.kind == .controlCharacterInString(1))
        #expect(kind("[1] 2")?.kind == .trailingCharacters)
        #expect(kind("")?.kind == .emptyInput)
        #expect(kind("[1,")?.kind == .unexpectedEndOfInput(expected: "a value"))
        let error = kind("[1,]")
        #expect(error?.description == "JSON parse error at line 1, column 4 (byte 3): unexpected ']'; expected a value (trailing commas are not allowed)")
    }

    @Test("nesting deeper than the limit is a typed error, not a crash")
    func deepNesting() {
        for text in [String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 100_000)] {
            #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(text) }
            do { _ = try JSONValue.parse(text) } catch { #expect(error.kind == .nestingTooDeep(limit: 512)) }
        }
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { _ = try JSONValue.parse(ok) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(tooDeep) }
        #expect(throws: JSONParseError.self) {
            _ = try JSONValue.parse("[[[1]]]", limits: JSONParseLimits(maxDepth: 2))
        }
    }

    @Test("huge numbers: typed errors or doubles, never traps")
    func hugeNumbers() throws {
        #expect(throws: JSONParseError.self) { _ = try JSONValue.parse("1" + String(repeating: "0", count: 5000)) }
        #expect(try JSONValue.parse("1" + String(repeating: "0", count: 300)) == .double(1e300))
        #expect(try JSONValue.parse("1e-400") == .double(0))
        #expect(try JSONValue.parse("0." + String(repeating: "0", count: 500) + "1") == .double(0))
    }

    @Test("invalid UTF-8 is a typed error")
    func invalidUTF8() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3],
            [0x22, 0x80, 0x22], [0xFF], [0x22, 0xE2, 0x82, 0x22],
        ]
        for bytes in cases {
            do {
                _ = try JSONValue.parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.kind == .invalidUTF8 || error.kind == .unexpectedCharacter(found: "byte 0xFF", expected: "a value (object, array, string, number, true, false or null)"))
            }
        }
    }

    @Test("every truncation of a valid document either parses or throws a typed error")
    func truncations() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null,"x\u00e9\ud83d\ude00é"],"b":{"c":{}}}"#
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(bytes[0..<length]) }
        }
        #expect(throws: Never.self) { _ = try JSONValue.parse(bytes) }
    }

    @Test("random byte mutations never trap")
    func mutationFuzz() throws {
        var rng = SplitMix64(state: 7)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = Array(try randomValue(&rng).serialized().utf8)
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[index] = UInt8.random(in: 0...255, using: &rng)
            }
            let value: JSONValue
            do {
                value = try JSONValue.parse(bytes)
            } catch {
                #expect(!error.description.isEmpty)
                continue
            }
            // Whatever was accepted must print and re-read to itself.
            #expect(try JSONValue.parse(value.serialized()) == value)
            accepted += 1
        }
        #expect(accepted > 0)
    }
}
