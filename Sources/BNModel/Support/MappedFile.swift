#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes away.
///
/// Tensors that view a mapped `.bnm` hold a `MappedRegion`, which holds this object, so the
/// mapping outlives every view handed out. The mapping is `PROT_READ`/`MAP_PRIVATE`; nothing
/// ever writes through it, which is why sharing it across threads is safe.
///
/// If another process truncates the file while it is mapped, touching the lost pages raises
/// SIGBUS; no reader that maps files can prevent that. Copy the tensor (`Tensor.materialized()`)
/// if the file may change underneath you.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened with, for error messages.
    public let path: String
    /// Start of the mapping; nil only for an empty file (which cannot be mapped).
    let base: UnsafeRawPointer?
    /// Size of the file, and of the mapping, in bytes.
    public let count: Int

    /// Maps the file at `path`. An empty file gives a mapping of zero bytes (no `mmap` call).
    ///
    /// The corresponding C functions are `open(2)`, `fstat(2)` and `mmap(2)`.
    public init(path: String) throws(MappedFileError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError(operation: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MappedFileError(operation: "fstat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw MappedFileError(operation: "open (not a regular file)", errno: EINVAL)
        }
        let size = Int(info.st_size)
        count = size
        if size == 0 {
            base = nil
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw MappedFileError(operation: "mmap", errno: errno)
        }
        base = UnsafeRawPointer(address)
    }

    /// Tells the kernel the pages of `range` are not needed again soon: they leave this
    /// process's resident set (the page cache keeps them), so a pass over a large file holds
    /// one piece at a time, not the file. The corresponding C function is `madvise(2)`.
    public func release(_ range: Range<Int>) {
        guard let base = UnsafeMutableRawPointer(mutating: bytes.baseAddress), !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = min(range.upperBound, count) / page * page
        guard end > start else { return }
        _ = madvise(base + start, end - start, MADV_DONTNEED)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The whole mapping as a buffer (empty for an empty file).
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : count) }
}

/// A system call on a file failed.
public struct MappedFileError: Error, Sendable, Equatable {
    public var operation: String
    public var errno: Int32
}

/// A byte range inside a `MappedFile`; the storage of a zero-copy tensor.
///
/// The range was bounds-checked when the region was made; holding the region keeps the
/// mapping alive.
public struct MappedRegion: Sendable {
    public let file: MappedFile
    /// Offset of the first byte from the start of the file.
    public let offset: Int
    public let count: Int

    /// Makes a region; returns nil if `offset..<offset+count` is not inside the file.
    public init?(file: MappedFile, offset: Int, count: Int) {
        guard offset >= 0, count >= 0, let end = Checked.add(offset, count), end <= file.count else { return nil }
        self.file = file
        self.offset = offset
        self.count = count
    }

    /// Calls `body` with the region's bytes. The pointer is valid only inside `body`'s scope
    /// unless the caller keeps this region (or its file) alive.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let all = file.bytes
        return try body(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + count)]))
    }
}
