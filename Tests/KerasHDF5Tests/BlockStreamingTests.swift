import BNModel
import Foundation
import Testing
@testable import KerasHDF5

/// A weight too large to permute whole is produced a block of native rows at a time, each the
/// transform of one hyperslab of the Keras dataset. Streamed in any chunk size, the bytes must
/// be exactly those of the whole-tensor transform, for every transform that streams by rows.
@Suite struct BlockStreamingTests {
    @Test(arguments: [
        ("flatten_dense_bn_head.h5", "dense"), ("conv_bn_relu.h5", "conv"), ("residual_depthwise.h5", "dw"),
        ("per_activation_bn_full.h5", "dense"), ("channels_first.h5", "dense"), ("mobilenetv2.h5", "block"),
    ])
    func blocksEqualTheWholeTransform(_ fixture: String, _ layerPrefix: String) throws {
        let imported = try KerasImporter.read(path: KerasFixture.path(fixture))
        var checked = 0
        for layer in imported.model.layers where layer.name.hasPrefix(layerPrefix) {
            for named in layer.tensors {
                guard case .lazy(let source) = named.tensor.storage, let transformed = source as? TransformedSource,
                      transformed.transform.rowSource(kerasShape: transformed.keras.shape) != nil else { continue }
                let whole = try transformed.transform.forwardNow(transformed.keras).bytes()
                // Blocks of one Keras index, and of a few: every block boundary is crossed.
                for blockBytes in [1, 100, 1000] {
                    let blocked = TransformedSource(keras: transformed.keras, transform: transformed.transform,
                                                    byteCount: transformed.byteCount, wholeLimit: 0, blockBytes: blockBytes)
                    let tensor = try Tensor(dtype: named.tensor.dtype, shape: named.tensor.shape, source: blocked)
                    for chunk in [4, 52, 4096] {
                        var streamed: [UInt8] = []
                        try tensor.forEachChunk(maxChunkBytes: chunk) { streamed += $0 }
                        #expect(streamed == whole, "\(fixture) \(layer.name)/\(named.role.rawValue) block \(blockBytes) chunk \(chunk)")
                    }
                }
                checked += 1
            }
        }
        #expect(checked > 0, "no streamed tensor in \(fixture)")
    }
}
