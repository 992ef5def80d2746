#if _endian(big)
#error("BNModel assumes a little-endian host: tensor bytes are stored little-endian and copied as is")
#endif

/// A Swift type whose in-memory representation is exactly one element of a `DType`.
///
/// Conversions between `[Self]` and tensor bytes are plain memory copies, which is exact for
/// every bit pattern (NaN payloads and -0.0 included) because the host is little-endian.
public protocol TensorElement: BitwiseCopyable, Sendable {
    /// The dtype this Swift type stores.
    static var dtype: DType { get }
}

extension Float16: TensorElement { public static var dtype: DType { .f16 } }
extension Float: TensorElement { public static var dtype: DType { .f32 } }
extension Double: TensorElement { public static var dtype: DType { .f64 } }
extension Int8: TensorElement { public static var dtype: DType { .i8 } }
extension Int16: TensorElement { public static var dtype: DType { .i16 } }
extension Int32: TensorElement { public static var dtype: DType { .i32 } }
extension Int64: TensorElement { public static var dtype: DType { .i64 } }
extension UInt8: TensorElement { public static var dtype: DType { .u8 } }
extension BFloat16: TensorElement { public static var dtype: DType { .bf16 } }

/// bfloat16: a binary32 with the low 16 mantissa bits dropped. Swift has no such type, so this
/// wraps the 16-bit pattern.
public struct BFloat16: Sendable, Hashable, BitwiseCopyable {
    /// The raw bits: sign, 8 exponent bits, 7 mantissa bits.
    public var bitPattern: UInt16

    public init(bitPattern: UInt16) { self.bitPattern = bitPattern }

    /// Rounds `value` to the nearest bfloat16, ties to even; NaN stays NaN (quiet).
    public init(_ value: Float) {
        let bits = value.bitPattern
        if value.isNaN {
            bitPattern = UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
            return
        }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        bitPattern = UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The exact value as a binary32 (every bfloat16 is representable).
    public var floatValue: Float { Float(bitPattern: UInt32(bitPattern) << 16) }
}
