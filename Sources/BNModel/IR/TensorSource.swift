/// A tensor's bytes that live somewhere else and are read on demand, in pieces.
///
/// An HDF5 dataset implements this with hyperslab reads, so a conversion streams weights from
/// the source file to the destination file without holding a second copy in memory. The bytes
/// delivered must already be in the tensor's native layout and little-endian, exactly as the
/// owning `Tensor`'s dtype and shape describe them.
///
/// Implementations must be safe to call from any thread and must return the same bytes every
/// time: the `.bnm` writer may read a source more than once and treats a change as an error.
public protocol TensorSource: Sendable {
    /// Total size of the tensor's data in bytes.
    var byteCount: Int { get }

    /// Fills all of `buffer` with the bytes starting at `byteOffset`.
    ///
    /// Callers guarantee `0 <= byteOffset` and `byteOffset + buffer.count <= byteCount`.
    /// Throw (any error) if the bytes cannot be produced; the error is passed on unchanged.
    func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws
}

/// A `TensorSource` over bytes already in memory; useful for tests and for adapting code that
/// produces whole arrays.
public struct InMemorySource: TensorSource {
    public let bytes: [UInt8]
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public var byteCount: Int { bytes.count }
    public func read(into buffer: UnsafeMutableRawBufferPointer, at byteOffset: Int) throws {
        guard byteOffset >= 0, let end = Checked.add(byteOffset, buffer.count), end <= bytes.count else {
            throw TensorError.sourceRangeOutOfBounds(offset: byteOffset, count: buffer.count, byteCount: bytes.count)
        }
        bytes.withUnsafeBytes { all in
            if let base = all.baseAddress, buffer.count > 0 {
                buffer.baseAddress!.copyMemory(from: base + byteOffset, byteCount: buffer.count)
            }
        }
    }
}
