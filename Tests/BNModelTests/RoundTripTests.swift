import Foundation
import Testing
@testable import BNModel

@Suite("IR → .bnm → IR round trip")
struct RoundTripTests {
    @Test("hand-made model with every layer kind comes back bit-exact")
    func handMade() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let model = TestModels.handMade()
        let path = folder.path("hand.bnm")
        try BNMWriter.write(model, to: path)
        let file = try BNMFile(path: path)
        try file.validate()
        let back = try file.model(verifyChecksums: true)
        #expect(try TestModels.difference(model, back) == nil)
        #expect(file.manifest.tensors.allSatisfy { $0.offset % 64 == 0 })
        #expect(file.header.dataOffset % 64 == 0)
    }

    @Test("random models of every dtype round-trip bit-exact (200 seeds)", arguments: 0..<4)
    func randomModels(block: UInt64) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for seed in (block * 50)..<(block * 50 + 50) {
            let model = TestModels.random(seed: seed)
            let path = folder.path("m\(seed).bnm")
            // Small chunks exercise the chunked streaming path.
            try BNMWriter.write(model, to: path, chunkSize: 64 + Int(seed % 7))
            let back = try BNMFile(path: path).model(verifyChecksums: true)
            let difference = try TestModels.difference(model, back)
            #expect(difference == nil, "seed \(seed): \(difference ?? "")")
            try BNMFile.validate(path: path)
        }
    }

    @Test("every dtype keeps NaN payloads, -0.0, infinities and subnormals")
    func specialValues() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var rng = SeededGenerator(seed: 1)
        let tensors = DType.allCases.map { NamedTensor(role: .other($0.rawValue), tensor: TestModels.randomTensor($0, [3, 5], &rng)) }
        let model = Model(name: "dtypes", inputs: ["in"], outputs: ["w"],
                          layers: [Layer(name: "in", op: .input(shape: [15])),
                                   Layer(name: "w", op: .unmapped(className: "Weights", config: .null), inbound: ["in"], tensors: tensors)],
                          provenance: Provenance(sourceFormat: "test"))
        let path = folder.path("dtypes.bnm")
        try BNMWriter.write(model, to: path)
        let back = try BNMFile(path: path).model()
        #expect(try TestModels.difference(model, back) == nil)
        let f32 = try #require(back.layers[1].tensor(.other("f32")))
        let bits = try f32.values(as: Float.self).prefix(4).map(\.bitPattern)
        #expect(bits == [0x0000_0000, 0x8000_0000, 0x7FC0_0001, 0xFFA0_1234])
        let f64 = try #require(back.layers[1].tensor(.other("f64")))
        #expect(try f64.values(as: Double.self)[3].bitPattern == 0xFFF4_0000_DEAD_BEEF)
    }

    @Test("writing the same model twice gives identical bytes")
    func deterministic() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for model in [TestModels.handMade(), TestModels.random(seed: 99)] {
            try BNMWriter.write(model, to: folder.path("a.bnm"))
            try BNMWriter.write(model, to: folder.path("b.bnm"), chunkSize: 100)
            let a = try Data(contentsOf: URL(fileURLWithPath: folder.path("a.bnm")))
            let b = try Data(contentsOf: URL(fileURLWithPath: folder.path("b.bnm")))
            #expect(a == b)
        }
    }

    @Test("a mapped model re-written gives the same file (mmap storage streams too)")
    func rewriteFromMapping() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try BNMWriter.write(TestModels.handMade(), to: folder.path("a.bnm"))
        let mapped = try BNMFile(path: folder.path("a.bnm")).model()
        try BNMWriter.write(mapped, to: folder.path("b.bnm"))
        #expect(try Data(contentsOf: folder.url.appendingPathComponent("a.bnm"))
                == Data(contentsOf: folder.url.appendingPathComponent("b.bnm")))
    }

    @Test("lazy sources are streamed in bounded chunks")
    func lazySourceChunks() throws {
        final class CountingSource: TensorSource, @unchecked Sendable {
            let bytes: [UInt8]
            let lock = NSLock()
            var largestRead = 0
            init(bytes: [UInt8]) { self.bytes = bytes }
            var byteCount: Int { bytes.count }
            func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
                lock.withLock { largestRead = max(largestRead, buffer.count) }
                try InMemorySource(bytes: bytes).read(into: buffer, at: byteOffset)
            }
        }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let source = CountingSource(bytes: bytes)
        let tensor = try Tensor(dtype: .f32, shape: [1, 2500], source: source)
        let model = Model(name: "lazy", inputs: ["in"], outputs: ["fc"],
                          layers: [Layer(name: "in", op: .input(shape: [2500])),
                                   Layer(name: "fc", op: .dense(DenseConfig(units: 1, useBias: false)), inbound: ["in"],
                                         tensors: [NamedTensor(role: .kernel, tensor: try tensor.permuted([0, 1]))])],
                          provenance: Provenance(sourceFormat: "test"))
        try BNMWriter.write(model, to: folder.path("lazy.bnm"), chunkSize: 1024)
        #expect(source.largestRead == 1024)
        let back = try BNMFile(path: folder.path("lazy.bnm")).tensor(named: "fc/kernel")
        #expect(try back.bytes() == bytes)
    }
}
