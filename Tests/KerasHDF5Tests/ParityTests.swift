import BNModel
import Foundation
import KerasHDF5
import Testing

/// The promise users care about most: a converted model reproduces Keras' own predictions.
/// Each fixture was saved by Keras with every weight and BN statistic randomised, together
/// with a fixed input and `model.predict`'s output. The conversion goes all the way through a
/// `.bnm` file and back before the reference pass runs, so the format is on the proof path.
@Suite struct ParityTests {
    static let withPredictions = KerasFixture.convertible.filter { $0.expected != nil && $0.input != nil }

    @Test(arguments: withPredictions)
    func matchesKerasPredictions(_ fixture: KerasFixture) throws {
        let imported = try KerasImporter.read(path: KerasFixture.path(fixture.file),
                                              options: KerasImportOptions(architectureJSON: fixture.configText))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parity-\(UUID().uuidString).bnm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try BNMWriter.write(imported.model, to: path)
        let model = try BNMFile(path: path).model(verifyChecksums: true)

        let input = try NPY.read(KerasFixture.path(try #require(fixture.input)))
        #expect(fixture.expectedOutputs.count == model.outputs.count, "\(fixture.name): one expected array per output")
        let expected = try fixture.expectedOutputs.map { try NPY.read(KerasFixture.path($0)) }
        for (output, comparison) in try KerasParity.compare(model: model, kerasInputs: [input], kerasExpected: expected) {
            #expect(comparison.passed, "\(fixture.name), output \(output): \(comparison)")
        }
    }

    /// The check must be able to fail: dropping the BN's learned shift (β → 0), the mistake
    /// the mission warns about, is caught by the same comparison.
    @Test func droppingBatchNormBetaIsCaught() throws {
        let fixture = try #require(Self.withPredictions.first { $0.name == "conv_bn_relu" })
        var model = try KerasImporter.read(path: KerasFixture.path(fixture.file)).model
        let index = try #require(model.layers.firstIndex { if case .batchNorm = $0.op { true } else { false } })
        let betaIndex = try #require(model.layers[index].tensors.firstIndex { $0.role == .beta })
        let beta = model.layers[index].tensors[betaIndex].tensor
        model.layers[index].tensors[betaIndex].tensor = try Tensor(float32: [Float](repeating: 0, count: beta.elementCount), shape: beta.shape)
        let comparison = try KerasParity.compare(
            model: model, kerasInput: try NPY.read(KerasFixture.path(fixture.input!)),
            kerasExpected: try NPY.read(KerasFixture.path(fixture.expected!)))
        #expect(!comparison.passed)
    }

    /// Flatten → Dense: without the row permutation (H,W,C → C,H,W) the head is wrong.
    @Test func unpermutedDenseRowsAreCaught() throws {
        let fixture = try #require(Self.withPredictions.first { $0.name == "flatten_dense_bn_head" })
        var model = try KerasImporter.read(path: KerasFixture.path(fixture.file)).model
        let index = try #require(model.layers.firstIndex { if case .dense = $0.op { true } else { false } })
        let kernel = model.layers[index].tensors[0].tensor
        // Rebuild the kernel the naive way: a plain [in, out] → [out, in] transpose of Keras' rows.
        let rows = kernel.shape[1], units = kernel.shape[0]
        let values = try kernel.floats()
        let flatten = try #require(model.layers.first { $0.op == .flatten })
        let map = try #require(model.layer(named: flatten.inbound[0])?.outputShape)
        let (c, h, w) = (map[0], map[1], map[2])
        var naive = [Float](repeating: 0, count: values.count)
        for o in 0..<units {
            for kerasRow in 0..<rows {
                // Keras row r is (y, x, ch) in H,W,C order; native column is ch·H·W + y·W + x.
                let (y, x, ch) = (kerasRow / (w * c), (kerasRow / c) % w, kerasRow % c)
                naive[o * rows + kerasRow] = values[o * rows + ch * h * w + y * w + x]
            }
        }
        model.layers[index].tensors[0].tensor = try Tensor(float32: naive, shape: kernel.shape)
        let comparison = try KerasParity.compare(
            model: model, kerasInput: try NPY.read(KerasFixture.path(fixture.input!)),
            kerasExpected: try NPY.read(KerasFixture.path(fixture.expected!)))
        #expect(!comparison.passed)
    }
}
