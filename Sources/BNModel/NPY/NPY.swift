import AtomicWrite
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The C `write(2)` and `read(2)`, named apart from `NPY.write` / `NPY.read`.
private let posixWrite = write
private let posixRead = read

/// Reading and writing numpy `.npy` files (format versions 1.0, 2.0 and 3.0), the exchange
/// format for model inputs and Keras' predictions.
///
/// Layout of a file: the magic `\x93NUMPY`, a major and a minor version byte, the header length
/// (little-endian `UInt16` in 1.0, `UInt32` in 2.0 and 3.0), the header (a Python dict literal
/// padded with spaces and ended by `\n`), then the elements in C order. Reading never traps:
/// every length is checked before it is used, sizes are computed with overflow checks, and the
/// data must be exactly shape × dtype bytes long.
public enum NPY {
    /// Headers longer than this are refused before anything else is parsed; numpy's own
    /// reader refuses anything over 10 000 bytes by default.
    public static let maximumHeaderLength = 1 << 20

    /// The array in `path` as float32: `<f4` exactly, `<f8` rounded to nearest, `<f2` exactly,
    /// integers converted (`<i8` beyond 2²⁴ rounds).
    public static func read(_ path: String) throws(NPYError) -> NDArray {
        try decode(readFile(path), path: path)
    }

    /// The header of the file at `path`, checked against the file's size.
    public static func readHeader(_ path: String) throws(NPYError) -> NPYHeader {
        try header(of: readFile(path), path: path)
    }

    /// Decodes a whole `.npy` image; `path` only names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(NPYError) -> NDArray {
        let header = try header(of: bytes, path: path)
        var values = [Float](repeating: 0, count: header.elementCount)
        bytes.withUnsafeBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
            for index in 0..<header.elementCount {
                let offset = index * header.elementType.byteSize
                switch header.elementType {
                case .float32:
                    values[index] = Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .float64:
                    values[index] = Float(Double(bitPattern: UInt64(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .float16:
                    values[index] = Float(Float16(bitPattern: UInt16(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
                case .int32:
                    values[index] = Float(Int32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case .int64:
                    values[index] = Float(Int64(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .uint8:
                    values[index] = Float(data[offset])
                }
            }
        }
        return NDArray(shape: header.shape, values: values)
    }

    /// Parses and checks the preamble and header of a whole `.npy` image.
    public static func header(of bytes: [UInt8], path: String) throws(NPYError) -> NPYHeader {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 8 else {
            if !bytes.elementsEqual(magic.prefix(bytes.count)) || bytes.isEmpty { throw .badMagic(path: path) }
            throw .truncated(path: path, what: "preamble", needed: 8, available: bytes.count)
        }
        guard bytes[0..<6].elementsEqual(magic) else { throw .badMagic(path: path) }
        let (major, minor) = (bytes[6], bytes[7])
        guard (1...3).contains(major), minor == 0 else { throw .unsupportedVersion(path: path, major: major, minor: minor) }
        let lengthSize = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthSize else {
            throw .truncated(path: path, what: "header length", needed: lengthSize, available: bytes.count - 8)
        }
        var headerLength = 0
        for index in 0..<lengthSize { headerLength |= Int(bytes[8 + index]) << (8 * index) }
        guard headerLength <= maximumHeaderLength else {
            throw .headerTooLarge(path: path, length: headerLength, limit: maximumHeaderLength)
        }
        let headerStart = 8 + lengthSize
        let dataOffset = headerStart + headerLength
        guard bytes.count >= dataOffset else {
            throw .truncated(path: path, what: "header", needed: headerLength, available: bytes.count - headerStart)
        }
        let text = Array(bytes[headerStart..<dataOffset])
        guard text.last == 0x0A else {
            throw .malformedHeader(path: path, offset: max(headerLength - 1, 0), message: "the header must end with a newline")
        }
        var parser = NPYHeaderParser(text: Array(text.dropLast()), path: path)
        let (descr, fortranOrder, shape) = try parser.parse()
        guard let elementType = NPYElementType(rawValue: descr) else { throw .unsupportedDType(path: path, descr: descr) }
        guard !fortranOrder else { throw .fortranOrder(path: path) }
        guard let count = Checked.product(shape) else { throw .shapeOverflow(path: path, shape: shape) }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementType.byteSize)
        guard !overflow else { throw .shapeOverflow(path: path, shape: shape) }
        guard bytes.count - dataOffset == byteCount else {
            throw .dataSize(path: path, expected: byteCount, actual: bytes.count - dataOffset)
        }
        return NPYHeader(majorVersion: major, elementType: elementType, shape: shape, elementCount: count,
                         dataOffset: dataOffset, dataByteCount: byteCount)
    }

    /// Writes `array` as a `<f4` C-order `.npy` (version 1.0; 2.0 only if the header cannot fit
    /// 1.0's 16-bit length), which `numpy.load` reads unchanged.
    ///
    /// Atomic: the bytes go to a temporary file in the same folder, which is `fsync`ed and
    /// renamed over `path` (then the folder is `fsync`ed), so a reader never sees a
    /// half-written file; on failure the temporary file is removed and `path` is untouched.
    /// The corresponding C functions are `open(2)`, `write(2)`, `fsync(2)`, `rename(2)`.
    public static func write(_ array: NDArray, to path: String) throws(NPYError) {
        let bytes = try encode(array, path: path)
        AtomicWrite.removeStaleTemporaries(besides: path)
        let temporary = AtomicWrite.temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create a temporary file beside it", errno: errno) }
        var failure: NPYError?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .io(path: path, operation: "write", errno: errno)
                    return
                }
                done += written
            }
        }
        if close(fd) != 0, failure == nil { failure = .io(path: path, operation: "close", errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        do {
            try AtomicWrite.commit(temporary: temporary, to: path)
        } catch {
            throw .io(path: path, operation: error.operation, errno: error.errno)
        }
    }

    /// The bytes of a `<f4` C-order `.npy` holding `array`; `path` only names it in errors.
    public static func encode(_ array: NDArray, path: String = "<memory>") throws(NPYError) -> [UInt8] {
        guard array.shape.allSatisfy({ $0 >= 0 }), let count = Checked.product(array.shape), count == array.values.count else {
            throw .inconsistentArray(path: path, shape: array.shape, count: array.values.count)
        }
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        // Pad with spaces so that the data starts on a 64-byte boundary, as numpy does.
        let major: UInt8 = header.count + 1 + 10 <= 0xFFFF ? 1 : 2
        let preamble = major == 1 ? 10 : 12
        let padding = (64 - (preamble + header.count + 1) % 64) % 64
        header += [UInt8](repeating: 0x20, count: padding) + [0x0A]
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
        let length = header.count
        bytes += major == 1 ? [UInt8(length & 0xFF), UInt8(length >> 8)]
                            : (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
        bytes += header
        bytes.reserveCapacity(bytes.count + 4 * count)
        for value in array.values {
            let bits = value.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }

    /// The whole file at `path`. The corresponding C functions are `open(2)`, `fstat(2)`,
    /// `read(2)`.
    static func readFile(_ path: String) throws(NPYError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, operation: "fstat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .io(path: path, operation: "open (not a regular file)", errno: EINVAL) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        var failure: Int32?
        bytes.withUnsafeMutableBytes { raw in
            while done < raw.count {
                let result = posixRead(fd, raw.baseAddress! + done, raw.count - done)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if result == 0 { break }
                done += result
            }
        }
        if let failure { throw .io(path: path, operation: "read", errno: failure) }
        // A file that shrank while being read is reported by the size checks on what was read.
        return Array(bytes[0..<done])
    }
}
