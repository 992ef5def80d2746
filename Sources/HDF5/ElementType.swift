import CHDF5

/// The element type of a dataset or attribute, as a plain value kept apart from any `hid_t`.
public enum ElementType: Hashable, Sendable {
    case float16, float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case string(StringEncoding)
    /// Raw bytes of a fixed size, untyped as far as HDF5 knows (h5py stores numpy dtypes it
    /// has no HDF5 type for this way, e.g. ml_dtypes' bfloat16 that Keras 3 writes).
    case opaque(size: Int)
    /// Anything else (compound, enum, reference, non-IEEE floats …), as HDF5 describes its class.
    case other(String)

    /// Short code used in listings and JSON views: `f16`, `f32`, `i64`, `u8`, `string`, …
    public var code: String {
        switch self {
        case .float16: "f16"
        case .float32: "f32"
        case .float64: "f64"
        case .int8: "i8"
        case .int16: "i16"
        case .int32: "i32"
        case .int64: "i64"
        case .uint8: "u8"
        case .uint16: "u16"
        case .uint32: "u32"
        case .uint64: "u64"
        case .string: "string"
        case let .opaque(size): "opaque\(size * 8)"
        case let .other(description): description
        }
    }

    /// Bytes per element in memory; `nil` for strings and unsupported types.
    public var byteSize: Int? {
        switch self {
        case .int8, .uint8: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        case let .opaque(size): size
        case .string, .other: nil
        }
    }

    public var isNumeric: Bool { byteSize != nil }
}

extension ElementType: CustomStringConvertible {
    public var description: String {
        if case let .string(encoding) = self { return "string (\(encoding))" }
        return code
    }
}

/// How a string type is stored: variable length or fixed size, and its declared character set.
public struct StringEncoding: Hashable, Sendable, CustomStringConvertible {
    public enum Length: Hashable, Sendable { case variable, fixed(Int) }
    public enum Charset: String, Hashable, Sendable { case ascii, utf8 }
    public var length: Length
    public var charset: Charset

    public init(length: Length, charset: Charset) {
        self.length = length
        self.charset = charset
    }

    public static let variableASCII = StringEncoding(length: .variable, charset: .ascii)
    public static let variableUTF8 = StringEncoding(length: .variable, charset: .utf8)

    public var description: String {
        switch length {
        case .variable: "variable-length \(charset.rawValue)"
        case let .fixed(size): "fixed \(size)-byte \(charset.rawValue)"
        }
    }
}

/// A Swift scalar that HDF5 can read into and write from without conversion.
public protocol HDF5Scalar: Sendable {
    static var elementType: ElementType { get }
}

extension Float16: HDF5Scalar { public static var elementType: ElementType { .float16 } }
extension Float: HDF5Scalar { public static var elementType: ElementType { .float32 } }
extension Double: HDF5Scalar { public static var elementType: ElementType { .float64 } }
extension Int8: HDF5Scalar { public static var elementType: ElementType { .int8 } }
extension Int16: HDF5Scalar { public static var elementType: ElementType { .int16 } }
extension Int32: HDF5Scalar { public static var elementType: ElementType { .int32 } }
extension Int64: HDF5Scalar { public static var elementType: ElementType { .int64 } }
extension UInt8: HDF5Scalar { public static var elementType: ElementType { .uint8 } }
extension UInt16: HDF5Scalar { public static var elementType: ElementType { .uint16 } }
extension UInt32: HDF5Scalar { public static var elementType: ElementType { .uint32 } }
extension UInt64: HDF5Scalar { public static var elementType: ElementType { .uint64 } }

/// Conversions between ``ElementType`` and HDF5 type ids. Must be called holding the lock.
enum TypeMapping {
    /// Reads an HDF5 datatype into the pure descriptor.
    static func elementType(of type: hid_t) -> ElementType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            // Only IEEE layouts map to Swift floats; anything else is reported, not misread.
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            _ = H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize)
            switch (size, esize, msize) {
            case (2, 5, 10): return .float16
            case (4, 8, 23): return .float32
            case (8, 11, 52): return .float64
            default: return .other("float(size \(size), exponent \(esize) bits, mantissa \(msize) bits)")
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            case (2, false): return .uint16
            case (4, false): return .uint32
            case (8, false): return .uint64
            default: return .other("integer of \(size) bytes")
            }
        case H5T_STRING:
            let charset: StringEncoding.Charset = H5Tget_cset(type) == H5T_CSET_UTF8 ? .utf8 : .ascii
            let variable = H5Tis_variable_str(type) > 0
            return .string(StringEncoding(length: variable ? .variable : .fixed(size), charset: charset))
        case H5T_COMPOUND: return .other("compound")
        case H5T_ENUM: return .other("enum")
        case H5T_REFERENCE: return .other("reference")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("variable-length sequence")
        case H5T_OPAQUE: return .opaque(size: size)
        case H5T_BITFIELD: return .other("bitfield")
        case H5T_TIME: return .other("time")
        default: return .other("unknown type class")
        }
    }

    /// The in-memory (native, little-endian on this platform) type for a numeric element type,
    /// owned by the returned handle when it had to be built.
    static func memoryType(for type: ElementType, site: Site) throws -> Handle {
        try storageOrMemoryType(for: type, site: site, littleEndianFile: false)
    }

    /// The type written to a new file: always little-endian IEEE / two's complement.
    static func fileType(for type: ElementType, site: Site) throws -> Handle {
        try storageOrMemoryType(for: type, site: site, littleEndianFile: true)
    }

    private static func storageOrMemoryType(for type: ElementType, site: Site, littleEndianFile: Bool) throws -> Handle {
        let base: hid_t
        switch type {
        case .float16:
            // HDF5 1.10 predefines no half type: build IEEE binary16 from the f32 layout.
            let half = try Library.open(site, .datatype) { H5Tcopy(chdf5_ieee_f32le()) }
            try Library.call(site) { H5Tset_fields(half.id, 15, 10, 5, 0, 10) }
            try Library.call(site) { H5Tset_size(half.id, 2) }
            try Library.call(site) { H5Tset_ebias(half.id, 15) }
            return half
        case .float32: base = littleEndianFile ? chdf5_ieee_f32le() : chdf5_native_float()
        case .float64: base = littleEndianFile ? chdf5_ieee_f64le() : chdf5_native_double()
        case .int8: base = littleEndianFile ? chdf5_std_i8le() : chdf5_native_int8()
        case .int16: base = littleEndianFile ? chdf5_std_i16le() : chdf5_native_int16()
        case .int32: base = littleEndianFile ? chdf5_std_i32le() : chdf5_native_int32()
        case .int64: base = littleEndianFile ? chdf5_std_i64le() : chdf5_native_int64()
        case .uint8: base = littleEndianFile ? chdf5_std_u8le() : chdf5_native_uint8()
        case .uint16: base = chdf5_native_uint16()
        case .uint32: base = chdf5_native_uint32()
        case .uint64: base = chdf5_native_uint64()
        case let .string(encoding):
            let string = try Library.open(site, .datatype) { H5Tcopy(chdf5_c_s1()) }
            switch encoding.length {
            case .variable: try Library.call(site) { H5Tset_size(string.id, chdf5_variable()) }
            case let .fixed(size): try Library.call(site) { H5Tset_size(string.id, max(size, 1)) }
            }
            try Library.call(site) { H5Tset_cset(string.id, encoding.charset == .utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) }
            if case .fixed = encoding.length {
                try Library.call(site) { H5Tset_strpad(string.id, H5T_STR_NULLPAD) }
            }
            return string
        case let .opaque(size):
            // Untagged opaque bytes; reads of existing opaque data use the stored type itself.
            return try Library.open(site, .datatype) { H5Tcreate(H5T_OPAQUE, size) }
        case let .other(description):
            throw HDF5Error.unsupportedType(file: site.file, path: site.path, description: description)
        }
        // Predefined ids must not be closed: hand out a copy the handle may close.
        return try Library.open(site, .datatype) { H5Tcopy(base) }
    }
}
