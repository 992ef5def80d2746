import BNModel
import HDF5

/// A tensor whose bytes stay in the HDF5 file until the writer asks for them, read by
/// hyperslab in whole rows of the outermost axis, so a conversion streams weights instead of
/// holding the model in memory twice.
struct DatasetSource: TensorSource, BlockReadable {
    let dataset: Dataset
    let elementSize: Int
    let byteCount: Int

    init(dataset: Dataset, elementSize: Int) throws {
        self.dataset = dataset
        self.elementSize = elementSize
        let (bytes, overflow) = try dataset.elementCount.multipliedReportingOverflow(by: elementSize)
        guard !overflow else {
            throw HDF5Error.shapeMismatch(file: dataset.file.path, path: dataset.path, detail: "shape \(dataset.shape) is too large")
        }
        byteCount = bytes
    }

    /// Every read ends by checking that the file is still the one opened: libhdf5 reads past a
    /// new end of file as zeros, so a file truncated or rewritten mid-conversion would
    /// otherwise yield a clean-looking tensor of the wrong bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
        try readSlabs(into: buffer, at: byteOffset)
        try dataset.file.checkUnchanged()
    }

    private func readSlabs(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
        guard buffer.count > 0 else { return }
        let shape = dataset.shape
        guard shape.count >= 1 else {
            // A scalar: one element, read whole.
            let all = try dataset.readBytes()
            all.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[byteOffset ..< byteOffset + buffer.count]))
            }
            return
        }
        let rowBytes = shape.dropFirst().reduce(elementSize, *)
        guard rowBytes > 0 else { return }
        let firstRow = byteOffset / rowBytes
        let endRow = (byteOffset + buffer.count + rowBytes - 1) / rowBytes
        var count = shape
        count[0] = endRow - firstRow
        var start = [Int](repeating: 0, count: shape.count)
        start[0] = firstRow
        if byteOffset == firstRow * rowBytes, buffer.count == count[0] * rowBytes {
            try dataset.readSlab(start: start, count: count, into: buffer)
            return
        }
        var rows = [UInt8](repeating: 0, count: count[0] * rowBytes)
        try rows.withUnsafeMutableBytes { try dataset.readSlab(start: start, count: count, into: $0) }
        let skip = byteOffset - firstRow * rowBytes
        rows.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[skip ..< skip + buffer.count]))
        }
    }

    var blockShape: [Int] { dataset.shape }

    /// A hyperslab of the dataset in its stored layout (libhdf5 gathers it), checked like every
    /// other read against the file changing underneath.
    func readBlock(start: [Int], count: [Int], into buffer: UnsafeMutableRawBufferPointer) throws {
        try dataset.readSlab(start: start, count: count, into: buffer)
        try dataset.file.checkUnchanged()
    }
}
