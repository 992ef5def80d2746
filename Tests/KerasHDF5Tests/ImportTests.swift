import BNModel
import Foundation
import HDF5
import JSONSchema
import KerasHDF5
import Testing

@Suite struct ImportTests {
    @Test func manifestListsFixtures() {
        #expect(KerasFixture.all.count >= 12)
    }

    @Test(arguments: KerasFixture.all)
    func importsWithExpectedOutputShape(_ fixture: KerasFixture) throws {
        let result = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                            options: KerasImportOptions(architectureJSON: fixture.configText))
        let model = result.model
        let outputName = try #require(model.outputs.first)
        let output = try #require(model.layer(named: outputName))
        #expect(output.outputShape.map { [fixture.inputShape[0]] + $0 } == fixture.outputShape
                || output.outputShape == Array(fixture.outputShape.dropFirst()),
                "\(output.name): \(output.outputShape ?? []) vs \(fixture.outputShape)")
        #expect(result.warnings.isEmpty, "\(result.warnings)")
    }
}
