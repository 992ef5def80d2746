import Foundation
import JSONSchema
import KerasHDF5
import Testing

/// `bnconvert inspect --json FILE.h5` prints a view that `schemas/keras-h5.schema.json` describes.
@Suite struct HDF5JSONViewTests {
    static let schema = Result {
        try JSONSchema(contentsOfFile: Paths.repositoryRoot.appendingPathComponent("schemas/keras-h5.schema.json").path)
    }

    static let files = Array(Set(KerasFixture.all.map(\.file))).sorted()

    @Test(arguments: files)
    func viewMatchesSchema(_ file: String) throws {
        let view = try HDF5JSONView.describe(path: KerasFixture.path(file))
        let errors = try Self.schema.get().validate(view)
        #expect(errors.isEmpty, "\(file): \(errors.prefix(3).map(\.message))")
        #expect(view["keras"]?["layout"]?.stringValue != nil, "\(file) is detected as a Keras layout")
        // Round trip through text keeps it a valid document.
        let text = try view.serialized(pretty: true)
        #expect(try JSONValue.parse(text) == view)
    }

    @Test func viewReportsDatasetsWithoutValues() throws {
        let view = try HDF5JSONView.describe(path: KerasFixture.path("per_activation_bn.h5"))
        let objects = try #require(view["objects"]?.arrayValue)
        let gamma = try #require(objects.first { $0["path"]?.stringValue == "/bn/bn/gamma:0" })
        #expect(gamma["dtype"] == "f32")
        #expect(gamma["shape"] == [1, 6, 5, 4])
        #expect(gamma["values"] == nil)
        #expect(view["keras"]?["layout"] == "keras-h5-weights")
    }

    @Test func schemaRejectsAViewWithoutObjects() throws {
        var view = try HDF5JSONView.describe(path: KerasFixture.path("conv_bn_relu.h5"))
        guard case var .object(object) = view else { Issue.record("not an object"); return }
        object["objects"] = .array([])
        view = .object(object)
        #expect(!(try Self.schema.get().validate(view)).isEmpty)
    }
}
