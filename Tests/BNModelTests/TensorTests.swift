import Testing
@testable import BNModel

@Suite("Tensor, permutations and CRC-32")
struct TensorTests {
    @Test("permuted matches a reference transpose for every element size and many axis orders")
    func permuteMatchesReference() throws {
        var rng = SeededGenerator(seed: 5)
        for dtype in [DType.u8, .f16, .f32, .f64] {
            for rank in 1...5 {
                let shape = (0..<rank).map { _ in Int.random(in: 1...4, using: &rng) }
                let tensor = TestModels.randomTensor(dtype, shape, &rng)
                for _ in 0..<6 {
                    let axes = Array(0..<rank).shuffled(using: &rng)
                    let result = try tensor.permuted(axes)
                    #expect(result.shape == axes.map { shape[$0] })
                    let input = try tensor.bytes(), output = try result.bytes()
                    let size = dtype.byteSize
                    // Reference: for every output index, the element at the permuted input index.
                    var outIndex = [Int](repeating: 0, count: rank)
                    for position in 0..<tensor.elementCount {
                        var inIndex = [Int](repeating: 0, count: rank)
                        for (i, axis) in axes.enumerated() { inIndex[axis] = outIndex[i] }
                        var flat = 0
                        for axis in 0..<rank { flat = flat * shape[axis] + inIndex[axis] }
                        #expect(output[(position * size)..<((position + 1) * size)] == input[(flat * size)..<((flat + 1) * size)])
                        var axis = rank - 1
                        while axis >= 0 {
                            outIndex[axis] += 1
                            if outIndex[axis] < result.shape[axis] { break }
                            outIndex[axis] = 0
                            axis -= 1
                        }
                    }
                }
            }
        }
    }

    @Test("permuted matches the reference across tile boundaries (dims above the 32-element tile)")
    func permuteLargeShapesMatchesReference() throws {
        var rng = SeededGenerator(seed: 11)
        for (dtype, shape) in [(DType.f32, [37, 70]), (.f16, [3, 3, 40, 33]), (.f64, [5, 66, 2]), (.u8, [2, 35, 3, 34])] {
            let tensor = TestModels.randomTensor(dtype, shape, &rng)
            let input = try tensor.bytes()
            let size = dtype.byteSize
            for _ in 0..<4 {
                let axes = Array(0..<shape.count).shuffled(using: &rng)
                let output = try tensor.permuted(axes).bytes()
                let outShape = axes.map { shape[$0] }
                for position in 0..<tensor.elementCount {
                    var rest = position
                    var outIndex = [Int](repeating: 0, count: shape.count)
                    for axis in outShape.indices.reversed() { outIndex[axis] = rest % outShape[axis]; rest /= outShape[axis] }
                    var inIndex = [Int](repeating: 0, count: shape.count)
                    for (i, axis) in axes.enumerated() { inIndex[axis] = outIndex[i] }
                    let flat = inIndex.indices.reduce(0) { $0 * shape[$1] + inIndex[$1] }
                    guard output[(position * size)..<((position + 1) * size)] == input[(flat * size)..<((flat + 1) * size)] else {
                        Issue.record("\(dtype) \(shape) axes \(axes): element \(position) differs")
                        return
                    }
                }
            }
        }
    }

    @Test("HWIO → OIHW and back is the identity, bit for bit, NaN payloads included")
    func kernelLayoutRoundTrip() throws {
        var rng = SeededGenerator(seed: 9)
        let hwio = TestModels.randomTensor(.f32, [3, 3, 2, 5], &rng)
        let oihw = try hwio.permuted([3, 2, 0, 1])
        #expect(oihw.shape == [5, 2, 3, 3])
        #expect(try oihw.permuted([2, 3, 1, 0]).isBitwiseEqual(to: hwio))
        // A known element: HWIO[h=1][w=2][i=1][o=4] == OIHW[4][1][1][2].
        let a = try hwio.values(as: Float.self)[((1 * 3 + 2) * 2 + 1) * 5 + 4].bitPattern
        let b = try oihw.values(as: Float.self)[((4 * 2 + 1) * 3 + 1) * 3 + 2].bitPattern
        #expect(a == b)
    }

    @Test("identity permutation keeps lazy storage; bad axes are refused")
    func permuteEdges() throws {
        let lazy = try Tensor(dtype: .i16, shape: [2, 3], source: InMemorySource(bytes: [UInt8](repeating: 7, count: 12)))
        guard case .lazy = try lazy.permuted([0, 1]).storage else { Issue.record("identity copied"); return }
        #expect(try lazy.permuted([1, 0]).shape == [3, 2])
        #expect(throws: TensorError.invalidPermutation(axes: [0, 0], rank: 2)) { try lazy.permuted([0, 0]) }
        #expect(throws: TensorError.invalidPermutation(axes: [0], rank: 2)) { try lazy.permuted([0]) }
        let empty = try Tensor(dtype: .f64, shape: [0, 3], bytes: [])
        #expect(try empty.permuted([1, 0]).shape == [3, 0])
    }

    @Test("floats() decodes f16, bf16, f32 and f64; values() refuses the wrong type")
    func floats() throws {
        let half = try Tensor(values: [Float16(1.5), Float16(-0.0), Float16(65504)], shape: [3])
        #expect(try half.floats().map(\.bitPattern) == [Float(1.5), Float(-0.0), Float(65504)].map(\.bitPattern))
        let brain = try Tensor(values: [BFloat16(3.140625), BFloat16(bitPattern: 0xFF81)], shape: [2])
        let decoded = try brain.floats()
        #expect(decoded[0] == 3.140625 && decoded[1].isNaN && decoded[1].bitPattern == 0xFF81_0000)
        #expect(try Tensor(values: [0.1, -2.0] as [Double], shape: [2]).doubles() == [0.1, -2.0])
        #expect(try Tensor(float32: [1, 2, 3, 4], shape: [2, 2]).floats() == [1, 2, 3, 4])
        #expect(throws: TensorError.dtypeMismatch(expected: [.f16, .bf16, .f32, .f64], actual: .i32)) {
            try Tensor(values: [Int32(1)], shape: [1]).floats()
        }
        #expect(throws: TensorError.self) { try Tensor(float32: [1, 2, 3], shape: [2, 2]) }
        #expect(throws: TensorError.shapeOverflow(shape: [Int.max, 2], dtype: .f32)) {
            try Tensor(dtype: .f32, shape: [Int.max, 2], bytes: [])
        }
        #expect(BFloat16(1.00390625).bitPattern == 0x3F80)  // ties to even
    }

    @Test("CRC-32 agrees with zlib's check value and a bytewise reference at every length")
    func crc32() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        var rng = SeededGenerator(seed: 3)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        for length in 0..<data.count {
            #expect(CRC32.checksum(Array(data[0..<length])) == reference(data[0..<length]))
        }
        var incremental = CRC32()
        data[0..<17].withUnsafeBytes { incremental.update($0) }
        data[17...].withUnsafeBytes { incremental.update($0) }
        #expect(incremental.value == reference(data[...]))
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 299] {
            #expect(data[0..<length].withUnsafeBytes { CRC32.tableDriven($0) } == reference(data[0..<length]))
        }
        // Large buffers take zlib's folded path: it must agree with the tables at any split.
        let large = (0..<(1 << 20) + 13).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let expected = large.withUnsafeBytes { CRC32.tableDriven($0) }
        #expect(CRC32.checksum(large) == expected)
        for split in [1, 4095, 65_537, 1 << 19] {
            var pieces = CRC32()
            large[..<split].withUnsafeBytes { pieces.update($0) }
            large[split...].withUnsafeBytes { pieces.update($0) }
            #expect(pieces.value == expected, "split at \(split)")
        }
    }

    @Test("model helpers: layer(named:), consumers(of:)")
    func modelHelpers() {
        let model = TestModels.handMade()
        #expect(model.layer(named: "bn1")?.op.kind == "batch_norm")
        #expect(model.consumers(of: "conv1").map(\.name) == ["bn1", "residual"])
        #expect(model.consumers(of: "bn_pa").map(\.name) == ["sep", "cat"])
        #expect(TensorRole(rawValue: "depthwise_kernel") == .depthwiseKernel)
        #expect(TensorRole.other("kernel") == .kernel)
    }
}

@Suite("Tensor helpers")
struct TensorHelperTests {
    @Test("reshaped shares storage; a dense-after-flatten kernel goes HWC rows → CHW rows")
    func reshapeAndFlattenOrder() throws {
        // Keras kernel [H·W·C, out] with H=2, W=1, C=3, out=1; row r holds the value r.
        let keras = try Tensor(float32: (0..<6).map(Float.init), shape: [6, 1])
        let native = try keras.reshaped([2, 1, 3, 1]).permuted([3, 2, 0, 1]).reshaped([1, 6])
        // Native row index c·H·W + h·W + w takes Keras row (h·W + w)·C + c.
        #expect(try native.floats() == [0, 3, 1, 4, 2, 5])
        #expect(throws: TensorError.elementCountMismatch(expected: 6, actual: 8)) { try keras.reshaped([2, 4]) }
        let lazy = try Tensor(dtype: .u8, shape: [4], source: InMemorySource(bytes: [1, 2, 3, 4]))
        guard case .lazy = try lazy.reshaped([2, 2]).storage else { Issue.record("reshape copied"); return }
    }

    @Test("filled makes ones and zeros in every dtype")
    func filled() throws {
        #expect(try Tensor.filled(with: 1, dtype: .f32, shape: [1, 3, 1, 1]).floats() == [1, 1, 1])
        #expect(try Tensor.filled(with: 1, dtype: .f16, shape: [2]).floats() == [1, 1])
        #expect(try Tensor.filled(with: 1, dtype: .bf16, shape: [2]).values(as: BFloat16.self).map(\.bitPattern) == [0x3F80, 0x3F80])
        #expect(try Tensor.filled(with: 0, dtype: .f64, shape: [0]).elementCount == 0)
        #expect(try Tensor.filled(with: 7, dtype: .i64, shape: [2]).values(as: Int64.self) == [7, 7])
        #expect(try Tensor.filled(with: 255, dtype: .u8, shape: []).values(as: UInt8.self) == [255])
        #expect(throws: TensorError.valueOutOfRange(value: 300, dtype: .i8)) { try Tensor.filled(with: 300, dtype: .i8, shape: [1]) }
        #expect(throws: TensorError.self) { try Tensor.filled(with: .nan, dtype: .i32, shape: [1]) }
    }
}
