import Foundation
import JSONSchema
import Testing
@testable import BNModel

/// Reader rule 9 is "the manifest matches the schema" (plus the integer-token rule, which only
/// the decoder can see). Opening a file runs the typed decoder, `validate()` the schema: they must
/// accept exactly the same manifests, or a file would open and then fail validation (or the
/// reverse) for one and the same rule.
@Suite("Rule 9: the typed decoder and the schema agree")
struct DecoderSchemaAgreementTests {
    /// Values every member is in turn replaced with: each JSON type, range edges, empty forms.
    static let replacements: [JSONValue] = [
        .null, .bool(true), .int(-1), .int(0), .int(1), .int(9), .int(1 << 53), .int((1 << 53) + 1), .double(0.5),
        .string(""), .string("x"), .string("relu"), .string("spatial"), .array([]), .array([.int(1), .int(1)]), .object([:]),
    ]

    /// Every edit of `value` at one place: each replacement, removal of an object member, an
    /// unknown member added, an array element added or dropped.
    static func edits(of value: JSONValue, at path: [JSONPathElement], into out: inout [([JSONPathElement], JSONValue?)]) {
        // provenance.extra and an unmapped layer's config are free-form: any JSON at all.
        if case .key("extra")? = path.last { return }
        if case .key("config")? = path.last { return }
        for replacement in replacements { out.append((path, replacement)) }
        switch value {
        case .object(let object):
            out.append((path + [.key("unknown_member")], .int(1)))
            for (key, member) in object {
                out.append((path + [.key(key)], nil))
                edits(of: member, at: path + [.key(key)], into: &out)
            }
        case .array(let items):
            if let last = items.last { out.append((path, .array(items + [last]))) }
            if !items.isEmpty { out.append((path, .array(Array(items.dropLast())))) }
            for (index, item) in items.enumerated() { edits(of: item, at: path + [.index(index)], into: &out) }
        default:
            break
        }
    }

    static func set(_ root: JSONValue, _ path: ArraySlice<JSONPathElement>, _ value: JSONValue?) -> JSONValue {
        guard let first = path.first else { return value ?? .null }
        switch (root, first) {
        case (.object(var object), .key(let key)):
            if path.count == 1, value == nil { object[key] = nil } else { object[key] = set(object[key] ?? .null, path.dropFirst(), value) }
            return .object(object)
        case (.array(var array), .index(let index)):
            array[index] = set(array[index], path.dropFirst(), value)
            return .array(array)
        default:
            return root
        }
    }

    /// Layers of the kinds the hand-made model lacks (and activations with parameters), as a
    /// writer would write them.
    static let moreLayers = #"""
    [{"name":"a","kind":"input","inbound":[],"output_shape":[3,4,4],"attributes":{"shape":[3,4,4]},"tensors":[]},
     {"name":"b","kind":"max_pool2d","inbound":["a"],"attributes":{"pool_size":[2,2],"strides":[2,2],"padding":[0,0,0,0],"count_includes_padding":false},"tensors":[]},
     {"name":"c","kind":"global_max_pool2d","inbound":["a"],"attributes":{"keep_dims":true},"tensors":[]},
     {"name":"d","kind":"flatten","inbound":["a"],"attributes":{},"tensors":[]},
     {"name":"e","kind":"reshape","inbound":["a"],"attributes":{"target_shape":[-1,2]},"tensors":[]},
     {"name":"f","kind":"zero_padding2d","inbound":["a"],"attributes":{"padding":[1,0,1,0]},"tensors":[]},
     {"name":"g","kind":"rescale","inbound":["a"],"attributes":{"scale":0.5,"offset":-1},"tensors":[]},
     {"name":"h","kind":"multiply","inbound":["a","c"],"attributes":{},"tensors":[]},
     {"name":"i","kind":"upsample2d","inbound":["a"],"attributes":{"size":[2,2]},"tensors":[]},
     {"name":"j","kind":"cropping2d","inbound":["a"],"attributes":{"cropping":[1,0,0,1]},"tensors":[]},
     {"name":"k","kind":"normalize","inbound":["a"],"attributes":{"epsilon":1e-7},"tensors":[{"role":"mean","tensor":"k/mean"},{"role":"variance","tensor":"k/variance"}]},
     {"name":"l","kind":"activation","inbound":["a"],"attributes":{"activation":{"name":"elu","alpha":1.0}},"tensors":[]},
     {"name":"m","kind":"activation","inbound":["a"],"attributes":{"activation":{"name":"gelu","approximate":true}},"tensors":[]},
     {"name":"n","kind":"activation","inbound":["a"],"attributes":{"activation":{"name":"clipped_relu","max_value":6,"negative_slope":0,"threshold":0}},"tensors":[]}]
    """#

    @Test("every single edit of every kind of layer, tensor entry and top-level member is accepted by both or refused by both")
    func agreement() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("m.bnm")
        try BNMWriter.write(TestModels.handMade(), to: path)
        let manifest = try BNMFile(path: path).manifest.json
        guard case .array(let written)? = manifest["model"]?["layers"], case .array(let more) = try JSONValue.parse(Self.moreLayers),
              case .array(let tensors)? = manifest["tensors"] else { Issue.record("no layers"); return }
        // Each edit is judged on a small manifest — the skeleton plus the one layer or tensor entry
        // edited (rule 9 judges values alone, so nothing else is needed) — to keep this fast.
        let skeleton = Self.set(Self.set(manifest, [.key("model"), .key("layers")], .array([])), [.key("tensors")], .array([]))
        var bases: [(JSONValue, [JSONPathElement])] = [(skeleton, [])]
        bases += (written + more).map { (Self.set(skeleton, [.key("model"), .key("layers")], .array([$0])), [.key("model"), .key("layers"), .index(0)]) }
        bases += tensors.prefix(3).map { (Self.set(skeleton, [.key("tensors")], .array([$0])), [.key("tensors"), .index(0)]) }
        var count = 0
        var disagreements: [String] = []
        for (base, root) in bases {
            var edits: [([JSONPathElement], JSONValue?)] = []
            var node = base
            for element in root { node = Self.get(node, element) }
            Self.edits(of: node, at: root, into: &edits)
            if root.isEmpty {  // the skeleton: edit the top level only, not into layers/tensors again
                edits = edits.filter { edit in !(edit.0.count > 2 && ["layers", "tensors"].contains { Self.isKey(edit.0, $0) }) }
            }
            for (place, value) in edits {
                count += 1
                let edited = Self.set(base, place[...], value)
                let decoderAccepts = (try? BNMManifest(json: edited, strict: true)) != nil
                let schemaAccepts = try BNMSchema.validate(edited).isEmpty
                guard decoderAccepts != schemaAccepts else { continue }
                let pointer = place.map { element -> String in
                    switch element { case .key(let key): "/" + key; case .index(let index): "/\(index)" }
                }.joined()
                let shown = value.map { (try? $0.serialized()) ?? "?" } ?? "(removed)"
                disagreements.append("\(pointer) = \(shown): decoder \(decoderAccepts ? "accepts" : "refuses"), schema \(schemaAccepts ? "accepts" : "refuses")")
            }
        }
        #expect(count > 2000)
        let report = "\(disagreements.count) of \(count) edits:\n" + disagreements.prefix(40).joined(separator: "\n")
        #expect(disagreements.isEmpty, "\(report)")
    }

    static func isKey(_ path: [JSONPathElement], _ key: String) -> Bool {
        path.contains { if case .key(key) = $0 { true } else { false } }
    }

    static func get(_ value: JSONValue, _ element: JSONPathElement) -> JSONValue {
        switch (value, element) {
        case (.object(let object), .key(let key)): return object[key] ?? .null
        case (.array(let array), .index(let index)): return array[index]
        default: return .null
        }
    }
}
