/// The element type of a tensor, as stored in memory and in a `.bnm` file.
///
/// Every multi-byte type is little-endian in files and in `Tensor` storage. The raw values are
/// the exact strings used in the `.bnm` manifest (`"dtype"`), so they must never change.
public enum DType: String, Sendable, Hashable, CaseIterable, Codable {
    /// IEEE 754 binary16 (half precision).
    case f16
    /// bfloat16: the upper 16 bits of an IEEE 754 binary32.
    case bf16
    /// IEEE 754 binary32.
    case f32
    /// IEEE 754 binary64.
    case f64
    case i8, i16, i32, i64
    case u8

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .i8, .u8: return 1
        case .f16, .bf16, .i16: return 2
        case .f32, .i32: return 4
        case .f64, .i64: return 8
        }
    }

    /// True for the four floating-point types (`f16`, `bf16`, `f32`, `f64`).
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// True for the signed integer types.
    public var isSignedInteger: Bool {
        switch self {
        case .i8, .i16, .i32, .i64: return true
        default: return false
        }
    }
}
