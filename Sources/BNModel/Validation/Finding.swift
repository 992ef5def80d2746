import JSONSchema

/// How serious a finding is: an `error` means an engine would compute garbage or refuse the
/// model; a `warning` means the model runs but something is suspicious or not portable.
public enum Severity: String, Sendable, Hashable, CaseIterable {
    case error
    case warning
}

/// One problem validation found, with where it is and what to do about it.
///
/// A finding is plain data so that the command line can print it as one line
/// (`description`) or as JSON (`json`, `Finding.jsonArray(_:)`), and tests can compare the
/// code and location exactly.
public struct Finding: Sendable, Hashable, CustomStringConvertible {
    /// Where a finding is: always the file; the layer, tensor and element index when known.
    public struct Location: Sendable, Hashable {
        /// The file as the user named it.
        public var file: String
        public var layer: String?
        /// The tensor's role in `layer` (IR names such as `variance` for a model or `.bnm`;
        /// Keras variable names such as `moving_variance` for an `.h5`).
        public var tensor: String?
        /// A flat row-major element index into the tensor in its native layout.
        public var index: Int?

        public init(file: String, layer: String? = nil, tensor: String? = nil, index: Int? = nil) {
            self.file = file
            self.layer = layer
            self.tensor = tensor
            self.index = index
        }
    }

    public let code: FindingCode
    /// Always `code.severity` (a code never changes severity); stored so that a finding reads
    /// completely on its own.
    public let severity: Severity
    public var location: Location
    /// What is wrong, with the numbers that show it.
    public var message: String
    /// What the user can do about it.
    public var hint: String

    public init(_ code: FindingCode, _ location: Location, message: String, hint: String) {
        self.code = code
        self.severity = code.severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `file: layer 'bn', tensor 'variance', index 2: error BN005: message (hint: …)` — one
    /// line, the way compilers print diagnostics, so editors and `grep` can use it.
    public var description: String {
        var place = [location.file]
        var inside: [String] = []
        if let layer = location.layer { inside.append("layer '\(layer)'") }
        if let tensor = location.tensor { inside.append("tensor '\(tensor)'") }
        if let index = location.index { inside.append("index \(index)") }
        if !inside.isEmpty { place.append(inside.joined(separator: ", ")) }
        return place.joined(separator: ": ") + ": \(severity.rawValue) \(code.rawValue): \(message) (hint: \(hint))"
    }

    /// `{"severity", "code", "location": {"file", "layer"?, "tensor"?, "index"?}, "message", "hint"}`;
    /// absent location parts are left out rather than written as null.
    public var json: JSONValue {
        var place: JSONObject = ["file": .string(location.file)]
        if let layer = location.layer { place["layer"] = .string(layer) }
        if let tensor = location.tensor { place["tensor"] = .string(tensor) }
        if let index = location.index { place["index"] = .int(Int64(index)) }
        return .object([
            "severity": .string(severity.rawValue),
            "code": .string(code.rawValue),
            "location": .object(place),
            "message": .string(message),
            "hint": .string(hint),
        ])
    }

    /// All findings as one JSON array, in the order given.
    public static func jsonArray(_ findings: [Finding]) -> JSONValue {
        .array(findings.map(\.json))
    }

    /// `jsonArray(findings)` as text (pretty-printed when asked), ready to print.
    public static func jsonText(_ findings: [Finding], pretty: Bool = true) -> String {
        do {
            return try jsonArray(findings).serialized(pretty: pretty)
        } catch {
            // Findings hold only strings and integers; only a non-finite double can fail.
            preconditionFailure("findings always serialise: \(error)")
        }
    }

    /// The exit status `bnconvert validate` documents: 0 clean, 1 errors (or, with `strict`, any
    /// warning), 2 unusable input (pass `unusable: true` when the file could not be read at all).
    public static func exitStatus(_ findings: [Finding], strict: Bool, unusable: Bool = false) -> Int32 {
        if unusable { return 2 }
        if findings.contains(where: { $0.severity == .error }) { return 1 }
        if strict, !findings.isEmpty { return 1 }
        return 0
    }
}
