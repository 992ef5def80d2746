/// The fixed 64-byte header at the start of every `.bnm` file (layout in docs/FORMAT.md).
///
/// Bytes 0..<12 (magic, major, minor) keep their meaning in every future version, so any reader
/// can say "this is a .bnm file of version X" even when it cannot read it.
public struct BNMHeader: Sendable, Hashable {
    /// `89 42 4E 4D 0D 0A 1A 0A`: a high-bit byte (detects 7-bit transfers), "BNM", CR LF
    /// (detects line-ending conversion), ^Z (stops DOS `type`), LF (detects LF→CRLF).
    public static let magic: [UInt8] = [0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Size of the header in bytes.
    public static let size = 64
    /// Every tensor offset, and the data section offset, is a multiple of this.
    public static let alignment = 64
    /// The major version this library reads and writes.
    public static let currentMajor: UInt16 = 1
    /// The minor version this library writes; it reads any minor of `currentMajor`.
    public static let currentMinor: UInt16 = 0
    /// The largest manifest a reader accepts (64 MiB).
    public static let maxManifestLength = 64 << 20
    /// Flag bits 0–15 are required features: a reader that does not know a set bit rejects the
    /// file. Bits 16–31 are optional hints a reader may ignore. Version 1.0 defines none.
    public static let requiredFlagsMask: UInt32 = 0x0000_FFFF
    /// Header bytes 52..<60: zero in every file of a minor version this library knows; a newer
    /// minor may give them a meaning.
    public static let reservedRange = 52..<60
    /// Largest integer a manifest may hold (JSON numbers are exact only up to 2^53).
    public static let maxManifestInteger: Int = 1 << 53

    public var major: UInt16
    public var minor: UInt16
    public var flags: UInt32
    /// Offset of the manifest from the start of the file (64 when written by v1.0).
    public var manifestOffset: UInt64
    public var manifestLength: UInt64
    /// CRC-32 of the manifest bytes.
    public var manifestCRC32: UInt32
    /// Offset of the data section from the start of the file; a multiple of 64.
    public var dataOffset: UInt64
    /// Length of the data section: where the last tensor ends (0 without tensors).
    public var dataLength: UInt64

    public init(major: UInt16 = currentMajor, minor: UInt16 = currentMinor, flags: UInt32 = 0,
                manifestOffset: UInt64, manifestLength: UInt64, manifestCRC32: UInt32,
                dataOffset: UInt64, dataLength: UInt64) {
        self.major = major
        self.minor = minor
        self.flags = flags
        self.manifestOffset = manifestOffset
        self.manifestLength = manifestLength
        self.manifestCRC32 = manifestCRC32
        self.dataOffset = dataOffset
        self.dataLength = dataLength
    }

    /// The 64 header bytes, including the header CRC at 60..<64.
    public var encoded: [UInt8] {
        var bytes = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        put(major); put(minor); put(flags)
        put(manifestOffset); put(manifestLength); put(dataOffset); put(dataLength)
        put(manifestCRC32)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 60 - bytes.count))
        put(CRC32.checksum(bytes))
        return bytes
    }
}

extension BNMHeader {
    /// Whether a file whose first bytes are `start` (at least 16 of them when the file has them)
    /// is a `.bnm`: it begins with the ``magic``, or ends inside it (cut short), or begins with
    /// the magic as a text-mode transfer changes it. The reader gives the last two their own
    /// errors (truncated, text-mode damage), so a file recognised here is told exactly what is
    /// wrong with it. An empty file is not recognised: nothing in it says what it was meant to be.
    public static func recognizes(_ start: [UInt8]) -> Bool {
        guard !start.isEmpty else { return false }
        let prefix = Array(start.prefix(magic.count))
        return prefix == Array(magic.prefix(prefix.count)) || BNMFile.textModeDamage(Array(start.prefix(16))) != nil
    }
}

/// Little-endian loads at fixed offsets of a buffer the caller has already bounds-checked.
extension UnsafeRawBufferPointer {
    func littleEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
