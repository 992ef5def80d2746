import BNModel
import Foundation
import JSONSchema
import KerasHDF5
import Testing

/// The reverse conversion trusts numbers from a `.bnm`'s provenance (segment lengths, map
/// shapes, Keras shapes). Any of them made huge or inconsistent must give a typed error from
/// both the check `validate` runs and the export itself, never an arithmetic trap.
@Suite struct ProvenanceTrustTests {
    /// Replaces every integer under a key in `keys` with `value`, anywhere in `json`.
    static func replacing(_ keys: Set<String>, in json: JSONValue, with value: Int64) -> JSONValue {
        switch json {
        case let .object(members):
            var edited = members
            for (key, member) in members {
                if keys.contains(key), case .int = member {
                    edited[key] = .int(value)
                } else if keys.contains(key), case let .array(items) = member {
                    edited[key] = .array(items.map { _ in .int(value) })
                } else {
                    edited[key] = replacing(keys, in: member, with: value)
                }
            }
            return .object(edited)
        case let .array(items):
            return .array(items.map { replacing(keys, in: $0, with: value) })
        default:
            return json
        }
    }

    @Test(arguments: [
        (["length"], Int64(1) << 62), (["length"], Int64(7)), (["map_shape"], Int64(1) << 31),
        (["native_shape"], Int64(1) << 40), (["shape"], Int64(1) << 62), (["shape"], Int64(3)),
    ])
    func hugeOrWrongNumbersAreTypedErrors(_ keys: [String], _ value: Int64) throws {
        for fixture in ["concat_flattened.h5", "per_activation_bn_full.h5", "flatten_dense_bn_head.h5"] {
            var model = try KerasImporter.read(path: KerasFixture.path(fixture)).model
            let records = try #require(model.provenance.extra["keras_weights"])
            let edited = Self.replacing(Set(keys), in: records, with: value)
            guard edited != records else { continue }
            model.provenance.extra["keras_weights"] = edited
            #expect(throws: (any Error).self, "\(fixture) \(keys) = \(value)") { try KerasExporter.checkProvenance(model) }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            #expect(throws: (any Error).self) { try KerasExporter.write(model, to: folder.appendingPathComponent("back.h5").path) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }
    }
}

/// An architecture too large for any `.bnm` manifest is refused before it is parsed, by the
/// importer that convert and validate share, so both give the same verdict.
@Suite struct OversizedArchitectureTests {
    @Test func architectureOverTheManifestLimitIsRefusedUnparsed() throws {
        let huge = String(repeating: " ", count: BNMHeader.maxManifestLength) + "{}"
        let options = KerasImportOptions(architectureJSON: huge, architectureSource: "big.json")
        let path = KerasFixture.path("per_activation_bn.h5")
        #expect {
            try KerasImporter.read(path: path, options: options)
        } throws: { error in
            guard case KerasError.invalidConfig(let source, let field, let detail) = error else { return false }
            return source == "big.json" && field == "architecture" && detail.contains("64 MiB")
        }
        let (findings, unusable) = KerasValidation.validate(path: path, options: options)
        #expect(findings.isEmpty && unusable?.contains("at most 64 MiB") == true, "\(String(describing: unusable))")
    }
}
