import JSONSchema

/// Structure-aware mutations of a JSON document: a few edits at random nodes that keep the
/// text valid JSON, so that a mutated manifest or architecture gets past the parser and into
/// the code that reads its meaning.
///
/// Edits: numbers to boundary values (0, ±1, 63/64/65, 2³¹, 2³², 2⁵³, Int64 extremes, NaN-free
/// doubles), strings to other strings of the document (names, dtypes, roles, class names) or
/// to edge strings, arrays and objects lose, gain, duplicate or swap members, and any node can
/// become a copy of another node of the document (splicing) or a value of another type.
public struct JSONMutator {
    public var random: FuzzRandom
    private var strings: [String] = []
    private var nodes: [JSONValue] = []
    private var keys: [String] = []

    public init(seed: UInt32) { random = FuzzRandom(seed: seed) }

    static let boundaryInts: [Int64] = [0, 1, -1, 2, 3, 4, 7, 8, 16, 63, 64, 65, 127, 128, 255, 256, 1023, 1024, 4096, 65535, 65536,
                                        Int64(Int32.max), Int64(Int32.max) + 1, Int64(UInt32.max), Int64(UInt32.max) + 1,
                                        1 << 40, (1 << 53) - 1, 1 << 53, (1 << 53) + 1, 1 << 62, Int64.max, Int64.min,
                                        -(1 << 53), Int64(Int32.min)]
    static let boundaryDoubles: [Double] = [0.0, -0.0, 0.5, -0.5, 1e-300, 4.9406564584124654e-324, 1e300, -1e300, 1.7976931348623157e308,
                                            3.4028234663852886e38, 3.5e38, 1e-45, 0.1, 1e-3, 1e16, 9007199254740993.0]
    static let edgeStrings: [String] = ["", " ", "/", "//", "..", "../x", "/../../x", "a/b", "\u{0}", "é", "\u{10FFFF}", "\u{FFFD}",
                                        "null", "0", "-1", "1e999", "NaN", "f32", "f16", "bf16", "f64", "i8", "u8", "i64",
                                        "channels_first", "channels_last", "same", "valid", "relu", "softmax", "linear",
                                        "transpose", "identity", "flatten_reorder", "<f4", "|u1", String(repeating: "A", count: 300)]

    /// Applies 1–4 edits to `value`.
    public mutating func mutate(_ value: inout JSONValue) {
        strings = []; nodes = []; keys = []
        collect(value)
        let edits = 1 + random.below(4)
        for _ in 0..<edits {
            var target = random.below(max(1, count(value)))
            edit(&value, target: &target, depth: 0)
        }
    }

    private mutating func collect(_ value: JSONValue) {
        if nodes.count < 4096 { nodes.append(value) }
        switch value {
        case .string(let s): if strings.count < 4096 { strings.append(s) }
        case .array(let items): items.forEach { collect($0) }
        case .object(let object):
            for (key, member) in object { if keys.count < 4096 { keys.append(key) }; collect(member) }
        default: break
        }
    }

    private func count(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + items.reduce(0) { $0 + count($1) }
        case .object(let object): 1 + object.values.reduce(0) { $0 + count($1) }
        default: 1
        }
    }

    /// Walks in pre-order; edits the node where `target` reaches 0.
    @discardableResult
    private mutating func edit(_ value: inout JSONValue, target: inout Int, depth: Int) -> Bool {
        if target == 0 {
            target = -1
            apply(&value, depth: depth)
            return true
        }
        target -= 1
        switch value {
        case .array(var items):
            for index in items.indices where edit(&items[index], target: &target, depth: depth + 1) {
                value = .array(items)
                return true
            }
        case .object(var object):
            for key in object.keys {
                guard var member = object[key] else { continue }
                if edit(&member, target: &target, depth: depth + 1) {
                    object[key] = member
                    value = .object(object)
                    return true
                }
            }
        default: break
        }
        return false
    }

    private mutating func anyString() -> String {
        if !strings.isEmpty, random.chance(70) { return strings[random.below(strings.count)] }
        return Self.edgeStrings[random.below(Self.edgeStrings.count)]
    }

    private mutating func anyNode(depth: Int) -> JSONValue {
        if !nodes.isEmpty, random.chance(60), depth < 64 { return nodes[random.below(nodes.count)] }
        switch random.below(7) {
        case 0: return .null
        case 1: return .bool(random.chance(50))
        case 2: return .int(Self.boundaryInts[random.below(Self.boundaryInts.count)])
        case 3: return .double(Self.boundaryDoubles[random.below(Self.boundaryDoubles.count)])
        case 4: return .string(anyString())
        case 5: return .array([])
        default: return .object([:])
        }
    }

    private mutating func apply(_ value: inout JSONValue, depth: Int) {
        // A fifth of the time: replace the node whatever it is.
        if random.chance(20) {
            value = anyNode(depth: depth)
            return
        }
        switch value {
        case .int(let n):
            switch random.below(4) {
            case 0: value = .int(Self.boundaryInts[random.below(Self.boundaryInts.count)])
            case 1: value = .int(n &+ (Int64(random.below(5)) - 2))
            case 2: value = .int(n == Int64.min ? 0 : -n)
            default: value = .double(Double(n) + [0.5, 1e-9, -0.25][random.below(3)])
            }
        case .double(let d):
            switch random.below(3) {
            case 0: value = .double(Self.boundaryDoubles[random.below(Self.boundaryDoubles.count)])
            case 1: value = .double(-d)
            default: value = .int(d.isFinite && abs(d) < 9e18 ? Int64(d) : 0)
            }
        case .bool(let b): value = .bool(!b)
        case .null: value = anyNode(depth: depth)
        case .string(let s):
            switch random.below(5) {
            case 0, 1: value = .string(anyString())
            case 2: value = .string(s + anyString())
            case 3: value = .string(String(s.prefix(random.below(s.count + 1))))
            default: value = .string(s.isEmpty ? "x" : String(s.dropFirst()))
            }
        case .array(var items):
            switch random.below(7) {
            case 0 where !items.isEmpty: items.remove(at: random.below(items.count))
            case 1 where !items.isEmpty: items.insert(items[random.below(items.count)], at: random.below(items.count + 1))
            case 2 where items.count > 1:
                items.swapAt(random.below(items.count), random.below(items.count))
            case 3: items.insert(anyNode(depth: depth + 1), at: random.below(items.count + 1))
            case 4: items = []
            case 5 where !items.isEmpty: items = Array(items.prefix(random.below(items.count)))
            default: items.reverse()
            }
            value = .array(items)
        case .object(var object):
            let keys = object.keys
            switch random.below(5) {
            case 0 where !keys.isEmpty: object[keys[random.below(keys.count)]] = nil
            case 1 where !keys.isEmpty:
                // Rename a member (to another key of the document or an edge string).
                let key = keys[random.below(keys.count)]
                let member = object[key]
                object[key] = nil
                let newKey = !self.keys.isEmpty && random.chance(70) ? self.keys[random.below(self.keys.count)] : anyString()
                object[newKey] = member
            case 2:
                let newKey = !self.keys.isEmpty && random.chance(80) ? self.keys[random.below(self.keys.count)] : anyString()
                object[newKey] = anyNode(depth: depth + 1)
            case 3 where keys.count > 1:
                let a = keys[random.below(keys.count)], b = keys[random.below(keys.count)]
                let va = object[a], vb = object[b]
                object[a] = vb
                object[b] = va
            default: object = [:]
            }
            value = .object(object)
        }
    }
}
