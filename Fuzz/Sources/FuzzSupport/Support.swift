import BNModel
import Foundation
import JSONSchema

/// Shared plumbing of the fuzz targets: a private scratch folder, the fixtures, and `.bnm`
/// assembly with checksums that are always right (so that mutations reach the parsers behind
/// the CRCs instead of dying at them).
public enum FuzzSupport {
    /// A folder of this process (in /dev/shm when it exists, so files never touch a disk),
    /// removed at exit.
    public static let scratch: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array("\(base)/bnfuzz.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { fatalError("fuzz harness: cannot create a scratch folder in \(base)") }
        let path = String(cString: template)
        scratchToRemove = path
        atexit { if let path = FuzzSupport.scratchToRemove { try? FileManager.default.removeItem(atPath: path) } }
        return path
    }()
    nonisolated(unsafe) static var scratchToRemove: String?

    /// Writes `bytes` to `name` in the scratch folder and returns its path.
    public static func write(_ bytes: [UInt8], name: String) -> String {
        let path = "\(scratch)/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(path): errno \(errno)") }
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                guard n > 0 else { fatalError("fuzz harness: short write to \(path)") }
                done += n
            }
        }
        close(fd)
        return path
    }

    /// Removes everything in the scratch folder (outputs a target left behind).
    public static func clearScratch() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: scratch) else { return }
        for name in names { unlink("\(scratch)/\(name)") }
    }

    /// The repository root: `$BNCONVERT_ROOT`, else two folders above this package.
    public static let repositoryRoot: String = {
        if let root = ProcessInfo.processInfo.environment["BNCONVERT_ROOT"] { return root }
        // …/Fuzz/Sources/FuzzSupport/Support.swift → …
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `Tests/KerasHDF5Tests/Fixtures` of the repository.
    public static var kerasFixtures: String { "\(repositoryRoot)/Tests/KerasHDF5Tests/Fixtures" }

    /// One batch of two through the reference interpreter, every layer capped at 2^16 elements.
    public static func runReference(_ model: Model) {
        guard let interpreter = try? ReferenceInterpreter(model: model, maximumElementCount: 1 << 16) else { return }
        var inputs: [String: NDArray] = [:]
        for name in interpreter.model.inputs {
            guard let shape = interpreter.model.layer(named: name)?.outputShape else { return }
            var count = 2
            for dim in shape {
                guard dim >= 0 else { return }
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= 1 << 17 else { return }
                count = product
            }
            inputs[name] = NDArray(shape: [2] + shape, values: (0..<count).map { Float($0 % 7) - 3 })
        }
        _ = try? interpreter.run(inputs: inputs)
    }

    // MARK: .bnm assembly

    /// Splits a `.bnm` image into its manifest and data section, leniently: a header whose
    /// extents do not fit is clamped, and bytes that are not a `.bnm` at all are taken as a
    /// manifest without data.
    public static func splitBNM(_ bytes: [UInt8]) -> (manifest: [UInt8], data: [UInt8]) {
        guard bytes.count >= 64, Array(bytes[0..<8]) == BNMHeader.magic else { return (bytes, []) }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        let length = Int(min(u64(24), UInt64(bytes.count - 64)))
        let manifestEnd = 64 + length
        let dataOffset = Int(min(max(u64(32), UInt64(manifestEnd)), UInt64(bytes.count)))
        return (Array(bytes[64..<manifestEnd]), Array(bytes[dataOffset...]))
    }

    /// A canonical `.bnm` image: header (with both CRCs right), manifest at 64, zero padding to a
    /// multiple of 64, then `data`.
    public static func assembleBNM(manifest: [UInt8], data: [UInt8], minor: UInt16 = BNMHeader.currentMinor) -> [UInt8] {
        let dataOffset = (64 + manifest.count + 63) & ~63
        let header = BNMHeader(minor: minor, manifestOffset: 64, manifestLength: UInt64(manifest.count),
                               manifestCRC32: CRC32.checksum(manifest),
                               dataOffset: UInt64(dataOffset), dataLength: UInt64(data.count))
        var out = header.encoded
        out += manifest
        out += [UInt8](repeating: 0, count: dataOffset - out.count)
        out += data
        return out
    }

    /// Sets the manifest CRC (when the header's manifest extent lies in the file) and the header
    /// CRC of `bytes` in place, keeping every other header field as it is.
    public static func fixChecksums(_ bytes: inout [UInt8]) {
        guard bytes.count >= 64 else { return }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
        func put32(_ value: UInt32, at: Int) { for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) } }
        let offset = u64(16), length = u64(24)
        if offset <= UInt64(bytes.count), length <= UInt64(bytes.count) - offset {
            put32(CRC32.checksum(Array(bytes[Int(offset)..<Int(offset + length)])), at: 48)
        }
        put32(CRC32.checksum(Array(bytes[0..<60])), at: 60)
    }
}

/// A small deterministic random generator (SplitMix64) for the custom mutators, seeded by libFuzzer.
public struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt32) { state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
