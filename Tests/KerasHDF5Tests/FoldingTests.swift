import BNModel
import Foundation
import KerasHDF5
import Testing

/// `BatchNormFolding` proven on Keras' own predictions: every fixture with a batch norm, folded,
/// written to a `.bnm` and read back, still matches what Keras predicted; and every batch norm
/// the pass keeps has a reason a reader can check against the model.
@Suite struct FoldingTests {
    static let withBatchNorm = ParityTests.withPredictions.filter { fixture in
        (try? KerasImporter.read(path: KerasFixture.path(fixture.file), options: KerasImportOptions(architectureJSON: fixture.configText)))?
            .model.layers.contains { if case .batchNorm = $0.op { true } else { false } } ?? false
    }

    @Test(arguments: withBatchNorm)
    func foldedModelMatchesKerasPredictions(_ fixture: KerasFixture) throws {
        let imported = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                              options: KerasImportOptions(architectureJSON: fixture.configText))
        let (folded, outcomes) = try BatchNormFolding.fold(imported.model)
        let batchNorms = imported.model.layers.filter { if case .batchNorm = $0.op { true } else { false } }
        #expect(outcomes.map(\.batchNorm) == batchNorms.map(\.name))
        let foldedNames = Set(outcomes.compactMap { $0.foldedInto == nil ? nil : $0.batchNorm })
        #expect(Set(folded.layers.map(\.name)) == Set(imported.model.layers.map(\.name)).subtracting(foldedNames))
        #expect(BatchNormFolding.recordedFolds(in: folded).map(\.batchNorm) == outcomes.filter { $0.foldedInto != nil }.map(\.batchNorm))

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fold-\(UUID().uuidString).bnm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BNMWriter.write(try ShapeInference.infer(folded), to: path)
        let model = try BNMFile(path: path).model(verifyChecksums: true)
        let input = try NPY.read(KerasFixture.path(try #require(fixture.input)))
        let expected = try fixture.expectedOutputs.map { try NPY.read(KerasFixture.path($0)) }
        for (output, comparison) in try KerasParity.compare(model: model, kerasInputs: [input], kerasExpected: expected) {
            #expect(comparison.passed, "\(fixture.name), output \(output): \(comparison)")
        }
    }

    /// Which batch norms fold, on fixtures whose structure decides it.
    @Test func legalityFollowsTheGraph() throws {
        func outcomes(_ name: String) throws -> [String: String?] {
            let fixture = try #require(ParityTests.withPredictions.first { $0.name == name })
            let model = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                               options: KerasImportOptions(architectureJSON: fixture.configText)).model
            let all = try BatchNormFolding.fold(model).outcomes
            return Dictionary(uniqueKeysWithValues: all.map { ($0.batchNorm, $0.foldedInto) })
        }
        // Conv → BN: backwards into the convolution.
        let convBN = try outcomes("conv_bn_relu")
        #expect(convBN == ["bn": "conv"], "\(convBN)")
        // Per-activation BN after a convolution: kept (its scale varies by position).
        let perActivation = try outcomes("per_activation_bn")
        #expect(perActivation.count == 1 && perActivation.values.allSatisfy { $0 == nil })
        // BN after Flatten: forwards into the dense layer that follows.
        #expect(try outcomes("bn_after_flatten").values.allSatisfy { $0 != nil })
    }

    /// A pass that dropped the shift would be caught: folding only the scale breaks parity.
    @Test func foldingWithoutTheShiftIsCaught() throws {
        let fixture = try #require(ParityTests.withPredictions.first { $0.name == "conv_bn_relu" })
        var model = try KerasImporter.read(path: KerasFixture.path(fixture.file)).model
        let index = try #require(model.layers.firstIndex { if case .batchNorm = $0.op { true } else { false } })
        for role in [TensorRole.beta, .mean] {
            let position = try #require(model.layers[index].tensors.firstIndex { $0.role == role })
            let shape = model.layers[index].tensors[position].tensor.shape
            model.layers[index].tensors[position].tensor = try Tensor(float32: [Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
        }
        let folded = try BatchNormFolding.fold(model).model
        let comparison = try KerasParity.compare(
            model: try ShapeInference.infer(folded), kerasInput: try NPY.read(KerasFixture.path(fixture.input!)),
            kerasExpected: try NPY.read(KerasFixture.path(fixture.expected!)))
        #expect(!comparison.passed)
    }
}
