import BNModel
import Foundation
import HDF5
@testable import KerasHDF5
import Testing

/// `.bnm` → Keras: the file written back has the original's layout, dataset for dataset and
/// attribute for attribute, so Keras loads it as it loaded the original.
@Suite struct ReverseConversionTests {
    /// HDF5 sources only: a `.keras` archive is compared through its parity test.
    static let files = Array(Set(KerasFixture.convertible.filter { $0.fileKind != "keras_archive" }.map { $0.file })).sorted()

    @Test(arguments: files)
    func roundTripRestoresEveryDatasetAndAttribute(_ file: String) throws {
        let fixture = try #require(KerasFixture.all.first { $0.file == file })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reverse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("model.bnm").path
        // Keras reads Keras 3's layout only from a `.weights.h5` name (see outputNames below).
        let back = folder.appendingPathComponent(file.hasSuffix(".weights.h5") ? "back.weights.h5" : "back.h5").path

        let imported = try KerasImporter.read(path: KerasFixture.path(file), options: KerasImportOptions(architectureJSON: fixture.configText))
        try BNMWriter.write(imported.model, to: bnm)
        try KerasExporter.write(try BNMFile(path: bnm).model(verifyChecksums: true), to: back)

        let original = try HDF5File.open(KerasFixture.path(file))
        let restored = try HDF5File.open(back)
        try expectSameTree(try original.root, try restored.root)
        // Written a few rows at a time (as large tensors are), every dataset is the same.
        let blocked = folder.appendingPathComponent(file.hasSuffix(".weights.h5") ? "blocked.weights.h5" : "blocked.h5").path
        try KerasExporter.write(try BNMFile(path: bnm).model(verifyChecksums: true), to: blocked, blockBytes: 100)
        try expectSameTree(try original.root, try HDF5File.open(blocked).root)
    }

    /// Keras chooses its reader by the file's suffix, so the export refuses a name under which
    /// Keras would not load the layout, and names the one it would.
    @Test(arguments: [
        ("keras3_weights_with_config.weights.h5", "back.h5", "back.weights.h5"),
        ("conv_bn_relu.keras", "back.h5", "back.weights.h5"),
        ("conv_bn_relu.h5", "back.weights.h5", "back.h5"),
        ("per_activation_bn.h5", "back.weights.h5", "back.h5"),
    ])
    func outputNamesKerasWouldNotLoadAreRefused(_ file: String, _ wrong: String, _ right: String) throws {
        let fixture = try #require(KerasFixture.all.first { $0.file == file })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try KerasImporter.read(path: KerasFixture.path(file), options: KerasImportOptions(architectureJSON: fixture.configText)).model
        let refused = folder.appendingPathComponent(wrong).path
        #expect {
            try KerasExporter.write(model, to: refused)
        } throws: { error in
            guard case KerasError.outputName(let named, _, let suggested) = error else { return false }
            return named == refused && suggested == right
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        try KerasExporter.write(model, to: folder.appendingPathComponent(right).path)
    }

    @Test func modelWithoutKerasProvenanceIsRefused() throws {
        let model = Model(name: "m", inputs: [], outputs: [], layers: [], provenance: Provenance(sourceFormat: "handmade"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID().uuidString).h5").path
        #expect(throws: KerasError.self) { try KerasExporter.write(model, to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Same groups, datasets (element type, shape, bytes) and attributes (type, shape, value).
    private func expectSameTree(_ a: Group, _ b: Group) throws {
        #expect(try a.children() == b.children(), "\(a.path): children")
        #expect(try a.attributeNames() == b.attributeNames(), "\(a.path): attribute names")
        for name in try a.attributeNames() where try b.hasAttribute(name) {
            #expect(try a.attribute(name) == b.attribute(name), "\(a.path)@\(name)")
        }
        for name in try a.children() where try b.contains(name) {
            switch try a.kind(of: name) {
            case .group?:
                try expectSameTree(try a.group(name), try b.group(name))
            case .dataset?:
                let (x, y) = (try a.dataset(name), try b.dataset(name))
                #expect(x.elementType == y.elementType && x.shape == y.shape, "\(x.path): \(x.elementType) \(x.shape) vs \(y.elementType) \(y.shape)")
                #expect(try x.readBytes() == y.readBytes(), "\(x.path): bytes")
                #expect(try x.attributeNames() == y.attributeNames(), "\(x.path): attributes")
            default:
                break
            }
        }
    }
}

/// `.bnm` → `.keras`: the archive Keras 3 saves (config.json, metadata.json, model.weights.h5),
/// rebuilt from a `.bnm` that came from the Keras 3 weights layout.
@Suite struct ArchiveExportTests {
    static let sources = ["conv_bn_relu.keras", "per_activation_bn.keras", "keras3_weights_with_config.weights.h5"]

    /// Archive → .bnm → archive → .bnm gives the same `.bnm` bytes, the archive holds Keras'
    /// three members with the architecture verbatim, and writing it twice gives the same bytes.
    @Test(arguments: sources)
    func archiveRoundTripIsExactAndReproducible(_ file: String) throws {
        let fixture = try #require(KerasFixture.all.first { $0.file == file })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("first.bnm").path, second = folder.appendingPathComponent("second.bnm").path
        let archive = folder.appendingPathComponent("back.keras").path, again = folder.appendingPathComponent("again.keras").path
        let options = KerasImportOptions(architectureJSON: file.hasSuffix(".keras") ? nil : fixture.configText)
        let imported = try KerasImporter.read(path: KerasFixture.path(file), options: options)
        try BNMWriter.write(imported.model, to: first)
        let model = try BNMFile(path: first).model(verifyChecksums: true)
        try KerasExporter.writeArchive(model, to: archive)
        try KerasExporter.writeArchive(model, to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == Data(contentsOf: URL(fileURLWithPath: again)))

        let reread = try KerasImporter.read(path: archive)
        #expect(reread.model.provenance.sourceArchitecture == model.provenance.sourceArchitecture)
        try BNMWriter.write(reread.model, to: second)
        if file.hasSuffix(".keras") {
            #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
        } else {
            // From a .weights.h5 + config the provenance differs (the architecture now comes
            // from the archive); the model and every tensor must not.
            let roundTripped = try BNMFile(path: second).model(verifyChecksums: true)
            #expect(roundTripped.layers.map(\.op) == model.layers.map(\.op))
            for (a, b) in zip(model.layers, roundTripped.layers) {
                #expect(a.tensors.map(\.role) == b.tensors.map(\.role))
                for (x, y) in zip(a.tensors, b.tensors) { #expect(try x.tensor.isBitwiseEqual(to: y.tensor), "\(a.name) \(x.role)") }
            }
        }
        // Nothing but the archive is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["again.keras", "back.keras", "first.bnm", "second.bnm"])
    }

    /// A legacy-layout source has no Keras 3 weights layout to put in an archive: refused with
    /// the name that works, nothing written.
    @Test func legacySourceIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try KerasImporter.read(path: KerasFixture.path("conv_bn_relu.h5")).model
        let refused = folder.appendingPathComponent("back.keras").path
        #expect {
            try KerasExporter.writeArchive(model, to: refused)
        } throws: { error in
            guard case KerasError.outputName(let named, _, let suggested) = error else { return false }
            return named == refused && suggested.hasPrefix("back.h5")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
