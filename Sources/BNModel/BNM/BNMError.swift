/// Everything that can go wrong reading, validating or writing a `.bnm` file.
///
/// Every case names the file and, where there is one, the tensor or the manifest field (as a
/// JSON Pointer, RFC 6901) at fault. The reader throws these instead of trapping or reading out
/// of bounds, whatever the file contains.
public enum BNMError: Error, CustomStringConvertible {
    /// A system call failed (`operation` is e.g. "open", "mmap", "write", "fsync", "rename").
    case io(path: String, operation: String, errno: Int32)
    /// The file ends before `what` does: `needed` bytes were required, `available` exist.
    case truncated(path: String, what: String, needed: Int, available: Int)
    /// The first 8 bytes are not the `.bnm` magic (and do not look like damaged magic).
    case badMagic(path: String, found: [UInt8])
    /// The magic was altered the way a text-mode transfer alters it (`detail` says how):
    /// line endings converted or the high bit stripped. Transfer the file in binary mode.
    case textModeDamage(path: String, detail: String)
    /// The file's major version is not one this reader understands.
    case unsupportedMajorVersion(path: String, found: UInt16, supported: UInt16)
    /// The header sets required-feature flags this reader does not know.
    case unsupportedRequiredFlags(path: String, flags: UInt32)
    /// The 64-byte header's own CRC does not match: the header is damaged.
    case headerChecksumMismatch(path: String, expected: UInt32, actual: UInt32)
    /// A header field holds an impossible value (`field` is its name in FORMAT.md).
    case invalidHeaderField(path: String, field: String, value: UInt64, message: String)
    /// The manifest is longer than the cap a reader enforces before reading it.
    case manifestTooLarge(path: String, length: UInt64, limit: Int)
    /// The manifest bytes do not match the header's manifest CRC.
    case manifestChecksumMismatch(path: String, expected: UInt32, actual: UInt32)
    /// The manifest is not UTF-8 JSON; `offset` is the byte offset in the file of the problem.
    case manifestNotJSON(path: String, offset: Int, message: String)
    /// The manifest is JSON but a field breaks the schema; `pointer` locates it.
    case manifestSchema(path: String, pointer: String, message: String)
    /// Two manifest tensors have the same name.
    case duplicateTensorName(path: String, tensor: String)
    /// `dtype size × product(shape)` overflows a 64-bit integer or exceeds 2^53.
    case shapeOverflow(path: String, tensor: String, shape: [Int], dtype: DType)
    /// The manifest's `length` disagrees with `dtype size × product(shape)`.
    case lengthMismatch(path: String, tensor: String, expected: Int, actual: Int)
    /// A tensor's offset is not a multiple of 64.
    case misaligned(path: String, tensor: String, offset: Int)
    /// A tensor's bytes reach past the end of the data section.
    case extentOutOfBounds(path: String, tensor: String, offset: Int, length: Int, dataLength: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(path: String, first: String, second: String)
    /// A tensor does not start where the layout rules put it (right after the previous tensor,
    /// rounded up to 64): the data section has a hole.
    case unexpectedGap(path: String, tensor: String, offset: Int, expectedOffset: Int)
    /// The header's data length is not where the last tensor ends.
    case dataLengthMismatch(path: String, declared: Int, expected: Int)
    /// The file continues after the data section.
    case trailingBytes(path: String, expectedSize: Int, actualSize: Int)
    /// A padding byte (after the manifest, between tensors) or a reserved header byte (52..<60,
    /// in a file of a minor version this reader knows) is not zero.
    case nonZeroPadding(path: String, offset: Int)
    /// A tensor's bytes do not match its CRC-32: the data is damaged.
    case checksumMismatch(path: String, tensor: String, expected: UInt32, actual: UInt32)
    /// A layer refers to a tensor the manifest does not list.
    case unknownTensor(path: String, layer: String, tensor: String)
    /// `tensor(named:)` was asked for a name the file does not hold.
    case noSuchTensor(path: String, tensor: String)
    /// The model described breaks the IR's rules; `pointer` locates the layer when known.
    case invalidModel(path: String, pointer: String, error: ModelError)
    /// The manifest describes something the model cannot hold (e.g. a tensor used twice).
    case inconsistentManifest(path: String, pointer: String, message: String)
    /// While writing, a tensor's lazy source failed; `underlying` is its error.
    case tensorSourceFailed(path: String, tensor: String, underlying: any Error)
    /// While writing, a tensor delivered a different number of bytes than its shape needs.
    case tensorSizeChanged(path: String, tensor: String, expected: Int, actual: Int)
    /// While writing, an attribute could not be written as JSON (e.g. a NaN epsilon).
    case unencodableValue(path: String, pointer: String, message: String)

    /// The file the error concerns.
    public var path: String {
        switch self {
        case .io(let path, _, _), .truncated(let path, _, _, _), .badMagic(let path, _), .textModeDamage(let path, _),
             .unsupportedMajorVersion(let path, _, _), .unsupportedRequiredFlags(let path, _),
             .headerChecksumMismatch(let path, _, _), .invalidHeaderField(let path, _, _, _),
             .manifestTooLarge(let path, _, _), .manifestChecksumMismatch(let path, _, _),
             .manifestNotJSON(let path, _, _), .manifestSchema(let path, _, _), .duplicateTensorName(let path, _),
             .shapeOverflow(let path, _, _, _), .lengthMismatch(let path, _, _, _), .misaligned(let path, _, _),
             .extentOutOfBounds(let path, _, _, _, _), .overlappingTensors(let path, _, _),
             .unexpectedGap(let path, _, _, _), .dataLengthMismatch(let path, _, _), .trailingBytes(let path, _, _),
             .nonZeroPadding(let path, _), .checksumMismatch(let path, _, _, _), .unknownTensor(let path, _, _),
             .noSuchTensor(let path, _), .invalidModel(let path, _, _), .inconsistentManifest(let path, _, _),
             .tensorSourceFailed(let path, _, _), .tensorSizeChanged(let path, _, _, _),
             .unencodableValue(let path, _, _):
            return path
        }
    }

    public var description: String {
        func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }
        switch self {
        case .io(let path, let operation, let errno):
            return "\(path): \(operation) failed: \(systemErrorMessage(errno)) (errno \(errno))"
        case .truncated(let path, let what, let needed, let available):
            return "\(path): file is truncated: the \(what) needs \(needed) bytes but the file has \(available); re-copy or re-convert it"
        case .badMagic(let path, let found):
            return "\(path): not a .bnm file (first bytes \(found.map { hex(UInt32($0)).suffix(2) }.joined(separator: " ")))"
        case .textModeDamage(let path, let detail):
            return "\(path): file was damaged by a text-mode transfer (\(detail)); transfer it again in binary mode"
        case .unsupportedMajorVersion(let path, let found, let supported):
            return "\(path): .bnm major version \(found) is not supported (this reader supports \(supported)); use a newer bnconvert"
        case .unsupportedRequiredFlags(let path, let flags):
            return "\(path): file needs features this reader lacks (required flags 0x\(hex(flags))); use a newer bnconvert"
        case .headerChecksumMismatch(let path, let expected, let actual):
            return "\(path): header is damaged (header CRC-32 is \(hex(actual)), stored \(hex(expected)))"
        case .invalidHeaderField(let path, let field, let value, let message):
            return "\(path): header field \(field) = \(value) is invalid: \(message)"
        case .manifestTooLarge(let path, let length, let limit):
            return "\(path): manifest is \(length) bytes, more than the \(limit)-byte limit"
        case .manifestChecksumMismatch(let path, let expected, let actual):
            return "\(path): manifest is damaged (CRC-32 is \(hex(actual)), stored \(hex(expected)))"
        case .manifestNotJSON(let path, let offset, let message):
            return "\(path): manifest is not valid UTF-8 JSON at file offset \(offset): \(message)"
        case .manifestSchema(let path, let pointer, let message):
            return "\(path): manifest field '\(pointer)' \(message)"
        case .duplicateTensorName(let path, let tensor):
            return "\(path): two tensors are named '\(tensor)'"
        case .shapeOverflow(let path, let tensor, let shape, let dtype):
            return "\(path): tensor '\(tensor)': shape \(shape) of \(dtype.rawValue) is too large (byte count overflows)"
        case .lengthMismatch(let path, let tensor, let expected, let actual):
            return "\(path): tensor '\(tensor)': length is \(actual) bytes but dtype × shape needs \(expected)"
        case .misaligned(let path, let tensor, let offset):
            return "\(path): tensor '\(tensor)': offset \(offset) is not a multiple of 64"
        case .extentOutOfBounds(let path, let tensor, let offset, let length, let dataLength):
            return "\(path): tensor '\(tensor)': bytes \(offset)..<\(offset)+\(length) lie outside the \(dataLength)-byte data section"
        case .overlappingTensors(let path, let first, let second):
            return "\(path): tensors '\(first)' and '\(second)' overlap"
        case .unexpectedGap(let path, let tensor, let offset, let expectedOffset):
            return "\(path): tensor '\(tensor)' starts at \(offset), but the layout rules put it at \(expectedOffset)"
        case .dataLengthMismatch(let path, let declared, let expected):
            return "\(path): header says the data section is \(declared) bytes but the tensors end at \(expected)"
        case .trailingBytes(let path, let expectedSize, let actualSize):
            return "\(path): file is \(actualSize) bytes but its header accounts for \(expectedSize)"
        case .nonZeroPadding(let path, let offset) where BNMHeader.reservedRange.contains(offset):
            return "\(path): reserved header byte at offset \(offset) is not zero (a version 1.0 writer writes zeros)"
        case .nonZeroPadding(let path, let offset):
            return "\(path): padding byte at offset \(offset) is not zero"
        case .checksumMismatch(let path, let tensor, let expected, let actual):
            return "\(path): tensor '\(tensor)' is damaged (CRC-32 is \(hex(actual)), stored \(hex(expected)))"
        case .unknownTensor(let path, let layer, let tensor):
            return "\(path): layer '\(layer)' refers to tensor '\(tensor)', which the manifest does not list"
        case .noSuchTensor(let path, let tensor):
            return "\(path): no tensor named '\(tensor)'"
        case .invalidModel(let path, let pointer, let error):
            return "\(path): invalid model\(pointer.isEmpty ? "" : " at '\(pointer)'"): \(error)"
        case .inconsistentManifest(let path, let pointer, let message):
            return "\(path): manifest field '\(pointer)' \(message)"
        case .tensorSourceFailed(let path, let tensor, let underlying):
            return "\(path): reading tensor '\(tensor)' failed: \(underlying)"
        case .tensorSizeChanged(let path, let tensor, let expected, let actual):
            return "\(path): tensor '\(tensor)' delivered \(actual) bytes, expected \(expected)"
        case .unencodableValue(let path, let pointer, let message):
            return "\(path): cannot write '\(pointer)': \(message)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `strerror` text for an errno value.
func systemErrorMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
