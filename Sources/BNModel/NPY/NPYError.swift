/// Why a `.npy` file cannot be read or written. Every case names the file (`path`, or the name
/// given to `NPY.decode`) and says what is wrong, so that a bad fixture is easy to find.
public enum NPYError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A system call failed; `errno` is its error number.
    case io(path: String, operation: String, errno: Int32)
    /// The file ends before `what` is complete: `needed` bytes, only `available` left.
    case truncated(path: String, what: String, needed: Int, available: Int)
    /// The file does not start with `\x93NUMPY`.
    case badMagic(path: String)
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)
    /// The header length field exceeds the reader's limit (a hostile or corrupt length).
    case headerTooLarge(path: String, length: Int, limit: Int)
    /// The header is not the Python dict literal numpy writes; `offset` is the byte position
    /// within the header text.
    case malformedHeader(path: String, offset: Int, message: String)
    /// The header's `descr` is not one of `<f4 <f8 <f2 <i4 <i8 |u1`.
    case unsupportedDType(path: String, descr: String)
    /// `fortran_order` is `True`: the data is column-major, which this reader does not permute.
    case fortranOrder(path: String)
    /// The element or byte count of `shape` does not fit in a 64-bit integer.
    case shapeOverflow(path: String, shape: [Int])
    /// The data after the header is `actual` bytes long; shape × dtype needs `expected`.
    case dataSize(path: String, expected: Int, actual: Int)
    /// An array given to `write` holds a number of values other than the product of its shape.
    case inconsistentArray(path: String, shape: [Int], count: Int)

    public var description: String {
        switch self {
        case .io(let path, let operation, let errno):
            return "\(path): \(operation) failed (errno \(errno))"
        case .truncated(let path, let what, let needed, let available):
            return "\(path): file ends inside the \(what): \(needed) bytes needed, \(available) left"
        case .badMagic(let path):
            return "\(path): not a numpy .npy file (it does not start with \\x93NUMPY)"
        case .unsupportedVersion(let path, let major, let minor):
            return "\(path): .npy format version \(major).\(minor) is not supported (1.0, 2.0, 3.0 are)"
        case .headerTooLarge(let path, let length, let limit):
            return "\(path): header length \(length) exceeds the limit of \(limit) bytes"
        case .malformedHeader(let path, let offset, let message):
            return "\(path): malformed header at byte \(offset): \(message)"
        case .unsupportedDType(let path, let descr):
            return "\(path): dtype '\(descr)' is not supported (<f4, <f8, <f2, <i4, <i8, |u1 are)"
        case .fortranOrder(let path):
            return "\(path): array is stored in Fortran (column-major) order; save it C-contiguous (np.ascontiguousarray)"
        case .shapeOverflow(let path, let shape):
            return "\(path): shape \(shape) is too large: its size overflows a 64-bit integer"
        case .dataSize(let path, let expected, let actual):
            return "\(path): data is \(actual) bytes, but shape × dtype needs \(expected)"
        case .inconsistentArray(let path, let shape, let count):
            return "\(path): array of shape \(shape) holds \(count) values, which is not the product of its shape"
        }
    }
}
