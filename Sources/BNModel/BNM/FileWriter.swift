#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A write-only file descriptor with a small buffer; every failing call becomes
/// `BNMError.io` naming `reportPath` (the destination the user asked for).
///
/// The C functions behind it are `open(2)`, `write(2)`, `pwrite(2)`, `fsync(2)`, `close(2)`.
private let systemWrite = write

struct FileWriter: ~Copyable {
    let reportPath: String
    private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private static let bufferCapacity = 1 << 20
    /// Bytes handed to `write` so far (buffered or not): the current file offset.
    private(set) var position = 0

    /// Creates `path`, which must not exist yet (`O_EXCL`).
    init(creating path: String, reportPath: String) throws(BNMError) {
        self.reportPath = reportPath
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: reportPath, operation: "create a file in its folder", errno: errno) }
        buffer.reserveCapacity(Self.bufferCapacity)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(BNMError) {
        position += bytes.count
        if buffer.count + bytes.count <= Self.bufferCapacity {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= Self.bufferCapacity {
            if let failure = writeAll(bytes) { throw .io(path: reportPath, operation: "write", errno: failure) }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    mutating func write(_ bytes: [UInt8]) throws(BNMError) {
        position += bytes.count
        if buffer.count + bytes.count > Self.bufferCapacity { try flush() }
        buffer.append(contentsOf: bytes)
    }

    mutating func writeZeros(_ count: Int) throws(BNMError) {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    mutating func flush() throws(BNMError) {
        guard !buffer.isEmpty else { return }
        let failure = buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
        if let failure { throw .io(path: reportPath, operation: "write", errno: failure) }
    }

    /// Writes all of `bytes` at the current file offset; returns the errno of a failure.
    private func writeAll(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let result = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += result
        }
        return nil
    }

    /// Overwrites bytes already written at `offset` (after `flush()`).
    func overwrite(_ bytes: [UInt8], at offset: Int) throws(BNMError) {
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .io(path: reportPath, operation: "write", errno: errno)
            }
            done += result
        }
    }

    /// Flushes the buffer, `fsync`s and closes.
    consuming func finish() throws(BNMError) {
        try flush()
        guard fsync(fd) == 0 else { throw .io(path: reportPath, operation: "fsync", errno: errno) }
        let descriptor = fd
        fd = -1
        guard close(descriptor) == 0 else { throw .io(path: reportPath, operation: "close", errno: errno) }
    }
}
