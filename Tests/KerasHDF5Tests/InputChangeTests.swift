import BNModel
import Foundation
import HDF5
import KerasHDF5
import Testing

/// A Keras file rewritten or truncated while it is converted must not yield a `.bnm`: libhdf5
/// reads past a new end of file as zeros, so the bytes would look clean and be wrong.
@Suite struct InputChangeTests {
    @Test(arguments: ["truncate", "append"])
    func changedInputFailsTheConversionAndWritesNothing(_ change: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("change-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("model.h5").path
        try FileManager.default.copyItem(atPath: KerasFixture.path("flatten_dense_bn_head.h5"), toPath: input)
        let imported = try KerasImporter.read(path: input)
        let handle = try #require(FileHandle(forWritingAtPath: input))
        if change == "truncate" {
            try handle.truncate(atOffset: 4096)
        } else {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(count: 64))
        }
        try handle.close()
        let output = folder.appendingPathComponent("model.bnm").path
        let result = Result<Void, BNMError> { () throws(BNMError) in try BNMWriter.write(imported.model, to: output) }
        guard case .failure(.tensorSourceFailed(_, _, let underlying)) = result,
              case HDF5Error.changedWhileReading(let file, _) = underlying else {
            Issue.record("expected a failure caused by .changedWhileReading, got \(result)")
            return
        }
        #expect(file == input)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.h5"])
    }
}
