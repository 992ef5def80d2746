// Target 3: the strict JSON parser and the draft 2020-12 schema compiler and evaluator.
//
// Input: JSON text. A document `{"schema": S, "tests": [{"data": D}, …]}` (the shape of the
// JSON-Schema test suite the seeds come from) compiles S and validates every D; any other
// document is compiled as a schema and validated against itself. Every document is also
// validated against the embedded `.bnm` manifest schema, and must survive
// serialize → parse unchanged (a property, not just "no crash").
import BNModel
import FuzzSupport
import JSONSchema

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes)
    } catch {
        _ = error.description
        return 0
    }
    // Round trip: what the serializer writes, the parser reads back as the same value.
    if let text = try? value.serialized() {
        do {
            let again = try JSONValue.parse(text)
            precondition(again == value, "serialize → parse changed the value: \(text)")
        } catch {
            preconditionFailure("the parser refuses the serializer's output (\(error)): \(text)")
        }
        _ = try? value.serialized(sortedKeys: true, pretty: true)
    }
    // Unknown keywords: both policies, chosen by the input so that each input is deterministic.
    let options = JSONSchema.Options(unknownKeywords: size % 2 == 0 ? .reject : .ignore)
    if let schemaValue = value["schema"] {
        if let schema = try? JSONSchema(schemaValue, options: options) {
            for test in value["tests"]?.arrayValue ?? [] {
                if let instance = test["data"] { _ = schema.validate(instance).map(\.description) }
            }
            if let instance = value["data"] { _ = schema.isValid(instance) }
        }
    } else if let schema = try? JSONSchema(value, options: options) {
        _ = schema.validate(value).map(\.description)
    }
    _ = try? BNMSchema.validate(value).count
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    Mutators.mutatePrefixedJSON(data, size: size, maxSize: maxSize, seed: seed, prefixLength: 0, structuredPercent: 50)
}
