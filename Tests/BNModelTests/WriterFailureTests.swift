import Foundation
import Testing
@testable import BNModel

/// A failed write leaves nothing behind and never damages an existing file.
@Suite("Failed writes leave no output")
struct WriterFailureTests {
    struct SourceBroke: Error, Equatable {}

    /// Delivers `failAfter` bytes, then throws.
    struct FailingSource: TensorSource {
        let byteCount: Int
        let failAfter: Int
        func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
            if byteOffset + buffer.count > failAfter { throw SourceBroke() }
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: byteOffset + index) }
        }
    }

    /// Claims `byteCount` bytes, but its bytes come from a different-sized array.
    static func model(with tensor: Tensor) -> Model {
        var model = TestModels.handMade()
        model.layers[1].tensors[0] = NamedTensor(role: .kernel, tensor: tensor)
        return model
    }

    @Test("a lazy source that throws midway: no file, no temporary, the source's error passed on")
    func sourceThrows() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let source = FailingSource(byteCount: 4 * 3 * 3 * 3 * 4, failAfter: 100)
        let model = Self.model(with: try Tensor(dtype: .f32, shape: [4, 3, 3, 3], source: source))
        do {
            try BNMWriter.write(model, to: folder.path("out.bnm"), chunkSize: 64)
            Issue.record("write succeeded")
        } catch {
            guard case .tensorSourceFailed(_, "conv1/kernel", let underlying) = error else { Issue.record("got \(error)"); return }
            #expect(underlying is SourceBroke)
        }
        #expect(try folder.contents() == [])
    }

    @Test("a failed write over an existing file leaves that file untouched")
    func existingFileKept() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("out.bnm")
        try BNMWriter.write(TestModels.handMade(), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let source = FailingSource(byteCount: 4 * 3 * 3 * 3 * 4, failAfter: 0)
        #expect(throws: BNMError.self) {
            try BNMWriter.write(Self.model(with: try Tensor(dtype: .f32, shape: [4, 3, 3, 3], source: source)), to: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try folder.contents() == ["out.bnm"])
    }

    @Test("a destination folder that does not exist: .io, nothing created")
    func missingFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        do {
            try BNMWriter.write(TestModels.handMade(), to: folder.path("no/such/folder/out.bnm"))
            Issue.record("write succeeded")
        } catch {
            guard case .io(_, _, ENOENT) = error else { Issue.record("got \(error)"); return }
        }
        #expect(try folder.contents() == [])
    }

    @Test("a destination that is a folder: .io from rename, temporary removed")
    func destinationIsFolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path("taken"), withIntermediateDirectories: false)
        do {
            try BNMWriter.write(TestModels.handMade(), to: folder.path("taken"))
            Issue.record("write succeeded")
        } catch {
            guard case .io(_, let operation, _) = error else { Issue.record("got \(error)"); return }
            #expect(operation.hasPrefix("rename"))
        }
        #expect(try folder.contents() == ["taken"])
    }

    @Test("an invalid model or an unencodable attribute is refused before any file is made")
    func invalidModels() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var duplicate = TestModels.handMade()
        duplicate.layers[2].name = "conv1"
        #expect {
            try BNMWriter.write(duplicate, to: folder.path("a.bnm"))
        } throws: { error in
            guard case .invalidModel(_, _, .duplicateLayerName("conv1")) = error as? BNMError else { return false }
            return true
        }
        var badBN = TestModels.handMade()
        badBN.layers[2].tensors[0] = NamedTensor(role: .gamma, tensor: TestModels.floatTensor([1, 2, 3, 4], [4]))
        #expect {
            try BNMWriter.write(badBN, to: folder.path("b.bnm"))
        } throws: { error in
            guard case .invalidModel(_, _, .badTensor(layer: "bn1", role: "gamma", shape: [4], _, _)) = error as? BNMError else { return false }
            return true
        }
        var nan = TestModels.handMade()
        nan.layers[2].op = .batchNorm(BatchNormConfig(mode: .spatial, epsilon: .nan))
        #expect {
            try BNMWriter.write(nan, to: folder.path("c.bnm"))
        } throws: { error in
            guard case .unencodableValue(_, "/model/layers/2/attributes/epsilon", _) = error as? BNMError else { return false }
            return true
        }
        #expect(try folder.contents() == [])
    }

    @Test("a source that delivers fewer bytes than its shape needs is refused")
    func shortSource() throws {
        struct ShortSource: TensorSource {
            var byteCount: Int { 432 }
            func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
                // Pretends to read but the tensor was built over a source of a different size.
                for index in buffer.indices { buffer[index] = 0 }
            }
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A tensor cannot be made over a source of the wrong size at all.
        #expect(throws: TensorError.byteCountMismatch(expected: 400, actual: 432)) {
            _ = try Tensor(dtype: .f32, shape: [100], source: ShortSource())
        }
        #expect(try folder.contents() == [])
    }
}

/// What the writer writes, the reader reads: integers the manifest cannot carry are refused
/// at writing time, naming the field.
@Suite struct WriterIntegerRangeTests {
    @Test func integerBeyondTwoToThe53IsRefused() throws {
        let model = Model(
            name: "m", inputs: ["in"], outputs: ["pad"],
            layers: [Layer(name: "in", op: .input(shape: [1, 2, 2])),
                     Layer(name: "pad", op: .zeroPadding2d(padding: [1 << 60, 0, 0, 0]), inbound: ["in"])],
            provenance: Provenance(sourceFormat: "test"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("range-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.bnm").path
        let outcome = Result { () throws(BNMError) in try BNMWriter.write(model, to: path) }
        guard case .failure(.unencodableValue(_, let pointer, _)) = outcome else {
            Issue.record("expected unencodableValue, got \(outcome)")
            return
        }
        #expect(pointer.hasSuffix("/padding/0"), "\(pointer)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
