import BNModel
import JSONSchema

/// Typed reads of a Keras layer config, failing with the layer and field named.
struct ConfigReader {
    let layer: KerasLayerSpec
    let source: String

    var config: JSONObject { layer.config }

    func fail(_ field: String, _ detail: String) -> KerasError {
        .invalidConfig(source: source, field: "layer '\(layer.name)'.\(field)", detail: detail)
    }

    func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        if let value = config[key]?.intValue { return Int(value) }
        if let fallback, config[key] == nil || config[key] == .null { return fallback }
        throw fail(key, "expected an integer, found \(config[key].map { "\($0)" } ?? "nothing")")
    }

    func double(_ key: String, default fallback: Double) throws -> Double {
        guard let value = config[key], value != .null else { return fallback }
        guard let number = value.doubleValue else { throw fail(key, "expected a number, found \(value)") }
        return number
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let value = config[key], value != .null else { return nil }
        guard let number = value.doubleValue else { throw fail(key, "expected a number, found \(value)") }
        return number
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let value = config[key], value != .null else { return fallback }
        guard let flag = value.boolValue else { throw fail(key, "expected true or false, found \(value)") }
        return flag
    }

    func string(_ key: String, default fallback: String) throws -> String {
        guard let value = config[key], value != .null else { return fallback }
        guard let text = value.stringValue else { throw fail(key, "expected a string, found \(value)") }
        return text
    }

    /// A positive integer (filters, units, depth multiplier): a count that a file could set
    /// to 0 or less, which would otherwise divide by zero or build an empty layer downstream.
    func positiveInt(_ key: String, default fallback: Int? = nil) throws -> Int {
        let value = try int(key, default: fallback)
        guard (1...Self.largestCount).contains(value) else { throw fail(key, "must be 1…\(Self.largestCount), found \(value)") }
        return value
    }

    /// A pair of positive integers (kernel size, strides, dilation, pool size).
    func positivePair(_ key: String, default fallback: [Int]? = nil) throws -> [Int] {
        let values = try pair(key, default: fallback)
        guard values.allSatisfy({ (1...Self.largestCount).contains($0) }) else {
            throw fail(key, "must be 1…\(Self.largestCount), found \(values)")
        }
        return values
    }

    /// The largest size, count or stride a config may give (2²⁴): far beyond any real layer,
    /// and small enough that padding and window arithmetic on such numbers cannot overflow.
    static let largestCount = 1 << 24

    /// An `(int, int)` pair written as `[a, b]` or a single int.
    func pair(_ key: String, default fallback: [Int]? = nil) throws -> [Int] {
        guard let value = config[key], value != .null else {
            if let fallback { return fallback }
            throw fail(key, "missing")
        }
        if let single = value.intValue { return [Int(single), Int(single)] }
        guard let items = value.arrayValue, items.count == 2, let a = items[0].intValue, let b = items[1].intValue else {
            throw fail(key, "expected two integers, found \(value)")
        }
        return [Int(a), Int(b)]
    }

    /// The `data_format` of a spatial layer ("channels_last" unless it says otherwise).
    func dataFormat() throws -> String {
        let format = try string("data_format", default: "channels_last")
        guard format == "channels_last" || format == "channels_first" else {
            throw fail("data_format", "unknown data format '\(format)'")
        }
        return format
    }

    /// A fused or standalone activation. Keras writes a name, or in some versions an object
    /// whose `config` is the name. `hard_sigmoid` changed definition between Keras 2 and 3.
    func activation(_ key: String = "activation", kerasMajorVersion: Int) throws -> Activation {
        guard let value = config[key], value != .null else { return .linear }
        let name: String
        if let text = value.stringValue {
            name = text
        } else if let text = value["config"]?.stringValue ?? value["config"]?["name"]?.stringValue {
            name = text
        } else {
            throw fail(key, "unrecognised activation \(value)")
        }
        switch name {
        case "linear": return .linear
        case "relu": return .relu
        case "relu6": return .relu6
        case "leaky_relu": return .leakyRelu(alpha: 0.2)
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "softmax": return .softmax(axis: -1)
        case "hard_sigmoid": return kerasMajorVersion >= 3 ? .hardSigmoid : .hardSigmoidLegacy
        case "swish", "silu": return .swish
        case "hard_swish", "hard_silu": return .hardSwish
        case "elu": return .elu(alpha: 1)
        case "selu": return .selu
        case "gelu": return .gelu(approximate: false)
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "exponential": return .exponential
        case "mish": return .mish
        default:
            throw KerasError.unsupportedLayer(layer: layer.name, className: layer.className,
                                              detail: "activation '\(name)' is not supported")
        }
    }
}
