import BNModel
import Foundation
import JSONSchema
import Testing

/// What `expected.json` (written by scripts/fixtures/defects.py) says one defect file must give.
struct ExpectedDefect: CustomTestStringConvertible, Sendable {
    var file: String
    var defect: String
    var unusable: Bool
    /// Findings as comparable lines: "CODE severity layer=… tensor=… index=…".
    var findings: [String]

    var testDescription: String { "\(file): \(defect)" }

    static func load(folder: String) -> [ExpectedDefect] {
        guard let url = Bundle.module.url(forResource: "expected", withExtension: "json", subdirectory: folder) else {
            Issue.record("no \(folder)/expected.json in the test bundle")
            return []
        }
        do {
            let json = try JSONValue.parse(Array(try Data(contentsOf: url)))
            return (json["files"]?.arrayValue ?? []).map { entry in
                ExpectedDefect(file: entry["file"]?.stringValue ?? "?",
                               defect: entry["defect"]?.stringValue ?? "clean",
                               unusable: entry["unusable"]?.boolValue ?? false,
                               findings: (entry["findings"]?.arrayValue ?? []).map(key).sorted())
            }
        } catch {
            Issue.record("cannot read \(folder)/expected.json: \(error)")
            return []
        }
    }

    static func key(_ json: JSONValue) -> String {
        key(code: json["code"]?.stringValue ?? "?", severity: json["severity"]?.stringValue ?? "?",
            layer: json["layer"]?.stringValue, tensor: json["tensor"]?.stringValue, index: json["index"]?.intValue.map { Int($0) })
    }

    static func key(_ finding: Finding) -> String {
        key(code: finding.code.rawValue, severity: finding.severity.rawValue, layer: finding.location.layer,
            tensor: finding.location.tensor, index: finding.location.index)
    }

    static func key(code: String, severity: String, layer: String?, tensor: String?, index: Int?) -> String {
        "\(code) \(severity) layer=\(layer ?? "-") tensor=\(tensor ?? "-") index=\(index.map(String.init) ?? "-")"
    }

    static func path(_ file: String, folder: String) -> String {
        Bundle.module.url(forResource: file, withExtension: nil, subdirectory: folder)?.path ?? "\(folder)/\(file) missing"
    }
}

@Suite("Validation: the planted-defect .bnm corpus")
struct ValidationBNMDefectTests {
    static let folder = "Fixtures/defects"
    static let expected = ExpectedDefect.load(folder: folder)

    @Test("the corpus lists every kind of .bnm defect the issue asks for")
    func corpusIsComplete() {
        let codes = Set(Self.expected.flatMap(\.findings).map { String($0.prefix { $0 != " " }) })
        for code in ["FILE001", "BN006", "BN005", "VAL001", "BN003", "BN004", "CH003"] {
            #expect(codes.contains(code), "no .bnm defect yields \(code)")
        }
        #expect(Self.expected.contains { $0.unusable })
        #expect(Self.expected.contains { $0.findings.isEmpty && !$0.unusable })
    }

    @Test("each file yields exactly its expected findings", arguments: expected)
    func exactFindings(_ defect: ExpectedDefect) {
        let path = ExpectedDefect.path(defect.file, folder: Self.folder)
        let result = Validator.validateFile(bnmPath: path)
        #expect((result.unusable != nil) == defect.unusable, "unusable: \(result.unusable ?? "no")")
        let found = result.findings.map(ExpectedDefect.key).sorted()
        #expect(found == defect.findings, "all findings:\n\(result.findings.map(\.description).joined(separator: "\n"))")
        for finding in result.findings {
            #expect(finding.location.file == path)
            #expect(!finding.message.isEmpty && !finding.hint.isEmpty)
        }
    }

    @Test("an unusable file becomes one FILE008 finding in validate(bnmPath:)")
    func unusableAsFinding() {
        let path = ExpectedDefect.path("not_bnm.bnm", folder: Self.folder)
        let findings = Validator.validate(bnmPath: path)
        #expect(findings.map(\.code) == [.file008])
        #expect(Finding.exitStatus(findings, strict: false) == 1)
        #expect(Finding.exitStatus([], strict: false, unusable: true) == 2)
        #expect(Validator.validate(bnmPath: "/nonexistent/x.bnm").map(\.code) == [.file008])
    }

    @Test("the clean files open with the strict reader, and the value defects still do (they are model defects, not format defects)")
    func strictReaderAgrees() throws {
        for name in ["clean.bnm", "clean_per_activation.bnm", "epsilon_zero.bnm", "negative_variance.bnm", "nan_gamma.bnm"] {
            let file = try BNMFile(path: ExpectedDefect.path(name, folder: Self.folder))
            try file.validate()
            #expect(Validator.validate(try file.model(), file: name).map(ExpectedDefect.key)
                == Validator.validateFile(bnmPath: file.path).findings.map(ExpectedDefect.key))
        }
    }

    @Test("validating a damaged copy at every truncation point never traps and always reports")
    func truncations() throws {
        let source = ExpectedDefect.path("clean.bnm", folder: Self.folder)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("validation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { _ = try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cut.bnm").path
        for length in stride(from: 0, to: bytes.count, by: 97) {
            try Data(bytes[0..<length]).write(to: URL(fileURLWithPath: path))
            let result = Validator.validateFile(bnmPath: path)
            #expect(result.unusable != nil || result.findings.contains { $0.severity == .error }, "cut at \(length)")
        }
        // Every single-byte flip in the header and the first tensors is found too.
        for offset in [0, 9, 17, 30, 45, 50, 61, 70, 100, bytes.count - 5] {
            var damaged = bytes
            damaged[offset] ^= 0x40
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            let result = Validator.validateFile(bnmPath: path)
            #expect(result.unusable != nil || result.findings.contains { $0.severity == .error }, "flip at \(offset)")
        }
    }
}

@Suite("Validation: hostile .bnm manifests")
struct ValidationHostileManifestTests {
    /// `value` with some numbers replaced by extreme ones and some array elements dropped or
    /// repeated, decided by `rng`.
    static func mutate(_ value: JSONValue, _ rng: inout SeededGenerator) -> JSONValue {
        let extremes: [Int64] = [0, -1, 1, 2, 3, 7, 1 << 31, 1 << 53, (1 << 53) - 1, 1 << 40]
        switch value {
        case .int(let number):
            guard Int.random(in: 0..<12, using: &rng) == 0 else { return value }
            return .int(Bool.random(using: &rng) ? extremes.randomElement(using: &rng)! : number + 1)
        case .double:
            guard Int.random(in: 0..<6, using: &rng) == 0 else { return value }
            return .double([0, -1, 1e-300, 1e308, -0.0, 0.5].randomElement(using: &rng)!)
        case .array(var items):
            items = items.map { mutate($0, &rng) }
            if !items.isEmpty, Int.random(in: 0..<25, using: &rng) == 0 {
                let index = Int.random(in: 0..<items.count, using: &rng)
                if Bool.random(using: &rng) { items.remove(at: index) } else { items.append(items[index]) }
            }
            return .array(items)
        case .object(let object):
            var copy = object
            for (key, member) in object where key != "crc32" { copy[key] = mutate(member, &rng) }
            return .object(copy)
        default:
            return value
        }
    }

    @Test("random manifest edits (CRCs made to match) give findings, never a trap")
    func randomManifests() throws {
        let source = ExpectedDefect.path("clean.bnm", folder: "Fixtures/defects")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source)))
        let original = try BNMFile(path: source)
        let manifest = try JSONValue.parse(Array(original.manifestText.utf8))
        guard case .object(let root) = manifest, let model = root["model"] else {
            Issue.record("clean.bnm has no model object")
            return
        }
        let data = Array(bytes[Int(original.header.dataOffset)...])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("validation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { _ = try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("hostile.bnm").path
        var rng = SeededGenerator(seed: 99)
        var reported = 0
        for iteration in 0..<300 {
            // Half the edits touch only the model, so that they get past the tensor table to the IR rules.
            var edited = root
            if iteration.isMultiple(of: 2) { edited["model"] = Self.mutate(model, &rng) } else {
                edited = Self.mutate(manifest, &rng).objectValue ?? root
            }
            let text = Array(try JSONValue.object(edited).serialized().utf8)
            let dataOffset = (64 + text.count + 63) / 64 * 64
            let header = BNMHeader(manifestOffset: 64, manifestLength: UInt64(text.count), manifestCRC32: CRC32.checksum(text),
                                   dataOffset: UInt64(dataOffset), dataLength: UInt64(data.count))
            let file = header.encoded + text + [UInt8](repeating: 0, count: dataOffset - 64 - text.count) + data
            try Data(file).write(to: URL(fileURLWithPath: path))
            let result = Validator.validateFile(bnmPath: path)
            #expect(result.unusable == nil)
            if !result.findings.isEmpty { reported += 1 }
        }
        #expect(reported > 100, "only \(reported) of 300 mutated manifests gave findings")
    }
}
