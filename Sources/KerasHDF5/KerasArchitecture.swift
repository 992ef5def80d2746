import Foundation
import BNModel
import JSONSchema

/// One Keras layer as the architecture JSON describes it, with nested models already inlined.
public struct KerasLayerSpec: Sendable {
    public var name: String
    public var className: String
    public var config: JSONObject
    /// Names of the layers feeding this one, in argument order.
    public var inbound: [String]
    /// Where a Keras 3 `.weights.h5` keeps this layer: `layers/<snake_case class>[_n]`,
    /// nested models adding `/layers/…` (the key is positional, not the layer's name).
    public var keras3Key: String = ""
    /// Non-tensor positional arguments of the call, as JSON text (Keras 3 saves `x + 3.0` as
    /// an `Add` node with the argument `3.0`): the converter has nowhere to put them, so a
    /// layer that has any is refused rather than converted without them.
    public var constantArguments: [String] = []
}

/// A Keras model's graph, read from `model_config` or from `model.to_json()`, strictly as data:
/// nothing in it is evaluated (a Lambda layer is reported, never run).
public struct KerasArchitecture: Sendable {
    public var name: String
    /// Layers in the order the config lists them (Keras' model order, topological).
    public var layers: [KerasLayerSpec]
    public var inputs: [String]
    public var outputs: [String]
    /// The verbatim JSON text it was read from.
    public var sourceText: String

    /// Parses Sequential and Functional configs of Keras 2 (tf_keras) and Keras 3, including
    /// models used as layers (inlined, their layers keeping their own names).
    public init(json text: String, source: String) throws {
        let root: JSONValue
        do { root = try JSONValue.parse(text) } catch {
            throw KerasError.invalidConfig(source: source, field: "/", detail: "not JSON: \(error)")
        }
        let parser = ArchitectureParser(source: source)
        let model = try parser.model(root, pointer: "", keyPrefix: "")
        name = model.name
        layers = model.layers
        inputs = model.inputs
        outputs = model.outputs
        sourceText = text
    }

    public func layer(named name: String) -> KerasLayerSpec? { layers.first { $0.name == name } }
}

/// The recursive part of parsing: a model becomes a flat list of layers.
private struct ArchitectureParser {
    let source: String

    struct Parsed {
        var name: String
        var layers: [KerasLayerSpec]
        var inputs: [String]
        var outputs: [String]
    }

    func fail(_ pointer: String, _ detail: String) -> KerasError {
        .invalidConfig(source: source, field: pointer.isEmpty ? "/" : pointer, detail: detail)
    }

    func model(_ value: JSONValue, pointer: String, keyPrefix: String) throws -> Parsed {
        guard let className = value["class_name"]?.stringValue else { throw fail(pointer + "/class_name", "missing") }
        guard let config = value["config"]?.objectValue else { throw fail(pointer + "/config", "missing") }
        let name = config["name"]?.stringValue ?? className
        guard let layerList = config["layers"]?.arrayValue else {
            throw fail(pointer + "/config/layers", "a \(className) config needs a layers list")
        }
        if className == "Sequential" {
            return try sequential(name: name, layers: layerList, config: config, pointer: pointer + "/config", keyPrefix: keyPrefix)
        }
        return try functional(name: name, layers: layerList, config: config, pointer: pointer + "/config", keyPrefix: keyPrefix)
    }

    /// A Sequential model is a chain; its input comes from an InputLayer entry (Keras 3 and
    /// tf_keras with an Input) or from the first layer's `batch_input_shape`/`batch_shape`.
    func sequential(name: String, layers: [JSONValue], config: JSONObject, pointer: String, keyPrefix: String) throws -> Parsed {
        var result: [KerasLayerSpec] = []
        var previous: String?
        var keys = Keras3Keys(prefix: keyPrefix)
        for (index, entry) in layers.enumerated() {
            let here = "\(pointer)/layers/\(index)"
            var spec = try layerHeader(entry, pointer: here)
            spec.keras3Key = keys.next(spec.className)
            if previous == nil, spec.className != "InputLayer" {
                // Keras 2 Sequential without an explicit Input: the first layer carries the shape.
                let shape = spec.config["batch_input_shape"] ?? spec.config["batch_shape"]
                guard let shape else { throw fail(here + "/config", "the first layer of Sequential '\(name)' has no input shape") }
                let inputName = "\(name)_input"
                result.append(KerasLayerSpec(name: inputName, className: "InputLayer",
                                             config: ["name": .string(inputName), "batch_shape": shape], inbound: []))
                previous = inputName
            }
            if isModel(entry) {
                let nested = try model(entry, pointer: here, keyPrefix: spec.keras3Key + "/")
                result += try inline(nested, feedingFrom: previous.map { [$0] } ?? [], pointer: here)
                previous = nested.outputs.first
                continue
            }
            spec.inbound = previous.map { [$0] } ?? []
            result.append(spec)
            previous = spec.name
        }
        guard let first = result.first, let last = result.last else { throw fail(pointer + "/layers", "empty model") }
        return Parsed(name: name, layers: result, inputs: [first.name], outputs: [last.name])
    }

    func functional(name: String, layers: [JSONValue], config: JSONObject, pointer: String, keyPrefix: String) throws -> Parsed {
        var result: [KerasLayerSpec] = []
        /// Nested models are replaced by their layers; references to them go to their outputs.
        var renamed: [String: String] = [:]
        var keys = Keras3Keys(prefix: keyPrefix)
        for (index, entry) in layers.enumerated() {
            let here = "\(pointer)/layers/\(index)"
            var spec = try layerHeader(entry, pointer: here)
            spec.keras3Key = keys.next(spec.className)
            let inboundNodes = entry["inbound_nodes"]?.arrayValue ?? []
            guard inboundNodes.count <= 1 else {
                throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                  detail: "is called \(inboundNodes.count) times (shared layers are not supported)")
            }
            let (inbound, constants) = try inboundNodes.first.map { try inboundNames($0, pointer: here + "/inbound_nodes/0") } ?? ([], [])
            spec.constantArguments = constants
            let resolved = inbound.map { renamed[$0] ?? $0 }
            if isModel(entry) {
                let nested = try model(entry, pointer: here, keyPrefix: spec.keras3Key + "/")
                result += try inline(nested, feedingFrom: resolved, pointer: here)
                guard nested.outputs.count == 1 else {
                    throw KerasError.unsupportedLayer(layer: spec.name, className: spec.className,
                                                      detail: "nested models with \(nested.outputs.count) outputs are not supported")
                }
                renamed[spec.name] = nested.outputs[0]
                continue
            }
            spec.inbound = resolved
            result.append(spec)
        }
        func endpoints(_ key: String) throws -> [String] {
            guard let list = config[key]?.arrayValue else { throw fail("\(pointer)/\(key)", "missing") }
            // [[name, node, tensor], …] in both versions; Keras 3 may also write a single [name, node, tensor].
            let entries: [JSONValue] = list.first?.stringValue != nil ? [.array(list)] : list
            return try entries.enumerated().map { position, item in
                guard let layer = item[0]?.stringValue else { throw fail("\(pointer)/\(key)/\(position)", "expected [name, node, tensor]") }
                return renamed[layer] ?? layer
            }
        }
        return Parsed(name: name, layers: result, inputs: try endpoints("input_layers"), outputs: try endpoints("output_layers"))
    }

    /// Inlines a nested model: its InputLayers disappear and their consumers read from `feedingFrom`.
    func inline(_ nested: Parsed, feedingFrom inbound: [String], pointer: String) throws -> [KerasLayerSpec] {
        guard nested.inputs.count == inbound.count else {
            throw fail(pointer, "nested model '\(nested.name)' takes \(nested.inputs.count) inputs but is given \(inbound.count)")
        }
        guard Set(nested.inputs).count == nested.inputs.count else {
            throw fail(pointer, "nested model '\(nested.name)' lists an input twice")
        }
        let substitutes = Dictionary(zip(nested.inputs, inbound), uniquingKeysWith: { first, _ in first })
        return nested.layers.compactMap { layer in
            if substitutes[layer.name] != nil { return nil }
            var copy = layer
            copy.inbound = layer.inbound.map { substitutes[$0] ?? $0 }
            return copy
        }
    }

    func isModel(_ entry: JSONValue) -> Bool {
        entry["config"]?["layers"]?.arrayValue != nil
    }

    func layerHeader(_ entry: JSONValue, pointer: String) throws -> KerasLayerSpec {
        guard let className = entry["class_name"]?.stringValue else { throw fail(pointer + "/class_name", "missing") }
        let config = entry["config"]?.objectValue ?? [:]
        guard let name = entry["name"]?.stringValue ?? config["name"]?.stringValue else {
            throw fail(pointer + "/config/name", "missing")
        }
        return KerasLayerSpec(name: name, className: className, config: config, inbound: [])
    }

    /// The producing layer names of one inbound node, in argument order. Keras 3 writes
    /// `{"args": [...], "kwargs": {...}}` holding `__keras_tensor__` objects with a
    /// `keras_history` [layer, node, tensor]; Keras 2 writes `[[layer, node, tensor, kwargs], …]`.
    /// Also returns the call's constant (non-tensor) positional arguments.
    func inboundNames(_ node: JSONValue, pointer: String) throws -> (names: [String], constants: [String]) {
        if let object = node.objectValue {
            var names: [String] = []
            var constants: [String] = []
            func collect(_ value: JSONValue) {
                if let history = value["config"]?["keras_history"]?.arrayValue, let name = history.first?.stringValue {
                    names.append(name)
                } else if let items = value.arrayValue {
                    items.forEach(collect)
                } else if value != .null {
                    constants.append((try? value.serialized()) ?? "\(value)")
                }
            }
            (object["args"]?.arrayValue ?? []).forEach(collect)
            return (names, constants)
        }
        guard let entries = node.arrayValue else { throw fail(pointer, "unrecognised inbound node") }
        // tf_keras writes a TFOpLambda's node one list level shallower: [layer, node, tensor, kwargs].
        if entries.first?.stringValue != nil { return ([entries[0].stringValue ?? ""], []) }
        return (try entries.enumerated().map { index, entry in
            guard let name = entry[0]?.stringValue else { throw fail("\(pointer)/\(index)", "expected [layer, node, tensor, kwargs]") }
            return name
        }, [])
    }
}

/// Keras 3's names for the layers of one model in a `.weights.h5`: the class name in
/// snake_case, then `_1`, `_2`, … for later layers of the same class, in model order.
struct Keras3Keys {
    let prefix: String
    private var used: [String: Int] = [:]

    init(prefix: String) { self.prefix = prefix }

    mutating func next(_ className: String) -> String {
        let base = Self.snakeCase(className)
        let name: String
        if let count = used[base] {
            used[base] = count + 1
            name = "\(base)_\(count + 1)"
        } else {
            used[base] = 0
            name = base
        }
        return prefix + "layers/" + name
    }

    /// Keras' `to_snake_case`: drop non-word characters, then split before capitalised words
    /// and between a lowercase letter and a capital (`ReLU` → `re_lu`, `Conv2D` → `conv2d`).
    static func snakeCase(_ name: String) -> String {
        var text = name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        text = replace(text, #"(.)([A-Z][a-z]+)"#, "$1_$2")
        text = replace(text, #"([a-z])([A-Z])"#, "$1_$2")
        return text.lowercased()
    }

    private static func replace(_ text: String, _ pattern: String, _ template: String) -> String {
        // The patterns are constants, so compiling them cannot fail.
        let expression = try! NSRegularExpression(pattern: pattern)
        return expression.stringByReplacingMatches(
            in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
    }
}
