import BNModel
import Foundation
import JSONSchema
@testable import KerasHDF5
import Testing

/// The Keras provenance is one typed value: what the importer builds is what a `.bnm` holds and
/// what decoding that `.bnm` gives back, under the members FORMAT.md documents.
@Suite struct KerasProvenanceTests {
    @Test(arguments: Array(Set(KerasFixture.convertible.map(\.file))).sorted())
    func throughABNMAndBack(_ file: String) throws {
        let fixture = try #require(KerasFixture.all.first { $0.file == file })
        let imported = try KerasImporter.read(path: KerasFixture.path(file), options: KerasImportOptions(architectureJSON: fixture.configText))
        let keras = imported.kerasProvenance
        #expect(imported.model.provenance.extra == keras.encoded)
        #expect(keras.fileKind == imported.kind && keras.weightCount > 0)
        #expect(!keras.layerClasses.isEmpty)

        let bnm = FileManager.default.temporaryDirectory.appendingPathComponent("provenance-\(UUID().uuidString).bnm").path
        defer { try? FileManager.default.removeItem(atPath: bnm) }
        try BNMWriter.write(imported.model, to: bnm)
        let decoded = try #require(try KerasProvenance(decoding: BNMFile(path: bnm).model().provenance))
        #expect(decoded == keras)
    }

    /// The members, in the order every `.bnm` from Keras has had them.
    @Test func membersAndOrder() throws {
        let imported = try KerasImporter.read(path: KerasFixture.path("flatten_output.h5"))
        #expect(imported.kerasProvenance.encoded.keys == [
            "keras_file_kind", "backend", "data_format", "keras_class_names", "keras_weights", "keras_output_layouts",
            "keras_skeleton", "keras_architecture_in_file",
        ])
        let keras = imported.kerasProvenance
        #expect(keras.fileKind == .fullModel && keras.dataFormat == "channels_last" && !keras.isChannelsFirst)
        #expect(keras.architectureInFile)
        #expect(keras.classNames["flatten"] == "Flatten")
        guard case .flattened(_, let order)? = keras.outputLayouts["flatten"] else {
            Issue.record("no flattened layout for output 'flatten': \(keras.outputLayouts)")
            return
        }
        #expect(order != nil)
    }

    @Test func aModelNotFromKerasHasNone() throws {
        #expect(try KerasProvenance(decoding: Provenance(sourceFormat: "handmade")) == nil)
        #expect(!KerasProvenance.isRecorded(in: Provenance(sourceFormat: "handmade")))
    }

    /// A malformed member is an error naming it, for the tool that reads it; a tool that does
    /// not read it is not stopped by it.
    @Test func malformedMembersAreNamed() throws {
        var model = try KerasImporter.read(path: KerasFixture.path("flatten_output.h5")).model
        model.provenance.extra["keras_skeleton"] = .array([.object(["attributes": .array([])])])
        #expect(throws: KerasError.invalidConfig(source: "model '\(model.name)' provenance",
                                                 field: "provenance.extra.keras_skeleton.path", detail: "missing or malformed")) {
            try KerasExporter.checkProvenance(model)
        }
        #expect(throws: KerasError.invalidConfig(source: "provenance", field: "provenance.extra.keras_skeleton.path",
                                                 detail: "missing or malformed")) {
            try KerasProvenance(decoding: model.provenance)
        }
        // verify reads the output layouts and the data format only.
        #expect(try KerasProvenance.outputLayout(of: "flatten", in: model.provenance) != nil)
        model.provenance.extra["keras_output_layouts"] = .object(["flatten": 5])
        #expect(throws: KerasError.self) { try KerasProvenance.outputLayout(of: "flatten", in: model.provenance) }
        #expect(try KerasProvenance.outputLayout(of: "other", in: model.provenance) == nil)
    }
}
