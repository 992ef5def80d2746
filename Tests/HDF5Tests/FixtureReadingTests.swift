import Foundation
import HDF5
import Testing

/// Every committed fixture, read through the Swift layer, matches what h5py reported for it
/// when the fixture script wrote it (the `.expected.json` beside each file).
@Suite struct FixtureReadingTests {
    static let fixtures = ["keras3_model", "keras3.weights", "tfkeras_weights", "tfkeras_model", "edge_cases"]

    @Test(arguments: fixtures)
    func matchesH5py(_ name: String) throws {
        let file = try HDF5File.open(Paths.fixture("\(name).h5"))
        try compare(file, with: try FileDescription(fixture: "\(name).expected.json"))
        #expect(file.openObjectCount == 1, "every group, dataset and attribute handle was released")
    }

    @Test func hyperslabOfCompressedDatasetMatchesWholeRead() throws {
        let dataset = try HDF5File.open(Paths.fixture("edge_cases.h5")).root.dataset("compressed/gzip_64x33")
        #expect(dataset.chunks == [16, 11])
        let whole = try dataset.read(as: Float.self)
        // A block that crosses chunk boundaries on both axes.
        let start = [10, 7], count = [20, 9]
        var block = [Float](repeating: .nan, count: 20 * 9)
        try block.withUnsafeMutableBytes { try dataset.readSlab(start: start, count: count, into: $0) }
        for row in 0..<count[0] {
            for column in 0..<count[1] {
                #expect(block[row * count[1] + column] == whole[(start[0] + row) * 33 + start[1] + column])
            }
        }
    }

    @Test func float16IsReadExactly() throws {
        let dataset = try HDF5File.open(Paths.fixture("edge_cases.h5")).root.dataset("dtypes/float16")
        let values = try dataset.read(as: Float16.self)
        let bytes = try dataset.readBytes()
        #expect(bytes.count == values.count * 2)
        let decoded = stride(from: 0, to: bytes.count, by: 2).map {
            Float16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
        }
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
    }
}
