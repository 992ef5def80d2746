/// Everything that can go wrong reading or writing HDF5, with where it went wrong.
///
/// `file` is the path on disk, `path` the object path inside the file ("/" for the root).
/// HDF5's own error stack never reaches stderr: its innermost message is kept in `message`.
public enum HDF5Error: Error, Equatable, Sendable {
    /// No file at that path (or it cannot be read for a file-system reason).
    case fileNotFound(file: String, reason: String)
    /// The file exists but does not start with an HDF5 signature (a text file named `.h5`).
    case notHDF5(file: String)
    /// The file has an HDF5 signature but ends before the data its header promises.
    case truncated(file: String, detail: String)
    /// A group, dataset or attribute the caller named is not in the file.
    case notFound(file: String, path: String, kind: ObjectKind)
    /// The object exists but is not what the caller asked for (a group where a dataset was expected).
    case wrongKind(file: String, path: String, expected: ObjectKind, found: ObjectKind)
    /// The stored element type differs from the one the caller reads or writes as.
    case typeMismatch(file: String, path: String, stored: ElementType, requested: ElementType)
    /// A type this layer does not read (compound, enum, reference, …), described as HDF5 reports it.
    case unsupportedType(file: String, path: String, description: String)
    /// A shape, slab or buffer size that does not fit the object.
    case shapeMismatch(file: String, path: String, detail: String)
    /// Stored text that is not valid UTF-8.
    case invalidText(file: String, path: String)
    /// Any other failure reported by HDF5, with its innermost message.
    case library(file: String, path: String, operation: String, message: String)
    /// A failure of the file system around HDF5 (temporary file, rename, fsync).
    case io(file: String, operation: String, errno: Int32)
    /// An object whose contents live outside the file: an external or user-defined link,
    /// external raw storage, a virtual dataset. `reference` says what it points to. Such a file
    /// is refused whole when opened: nothing outside the named file is ever read.
    case outsideFile(file: String, path: String, reference: String)
    /// A group reached a second time: by a link back to itself or an ancestor (a loop), or
    /// from elsewhere; `target` is where it was first reached.
    case linkCycle(file: String, path: String, target: String)
    /// A dataset that declares more bytes than the file stores for it (chunks never written,
    /// data past the end of the file).
    case unstoredData(file: String, path: String, detail: String)
    /// The file changed (size, modification or status-change time) after it was opened, so the
    /// bytes read may mix two versions of it.
    case changedWhileReading(file: String, detail: String)
}

extension HDF5Error {
    /// The same error about `file`: a writer reports its destination, never its temporary file.
    func naming(_ file: String) -> HDF5Error {
        switch self {
        case .fileNotFound(_, let reason): .fileNotFound(file: file, reason: reason)
        case .notHDF5: .notHDF5(file: file)
        case .truncated(_, let detail): .truncated(file: file, detail: detail)
        case .notFound(_, let path, let kind): .notFound(file: file, path: path, kind: kind)
        case .wrongKind(_, let path, let expected, let found): .wrongKind(file: file, path: path, expected: expected, found: found)
        case .typeMismatch(_, let path, let stored, let requested): .typeMismatch(file: file, path: path, stored: stored, requested: requested)
        case .unsupportedType(_, let path, let description): .unsupportedType(file: file, path: path, description: description)
        case .shapeMismatch(_, let path, let detail): .shapeMismatch(file: file, path: path, detail: detail)
        case .invalidText(_, let path): .invalidText(file: file, path: path)
        case .library(_, let path, let operation, let message): .library(file: file, path: path, operation: operation, message: message)
        case .io(_, let operation, let errno): .io(file: file, operation: operation, errno: errno)
        case .outsideFile(_, let path, let reference): .outsideFile(file: file, path: path, reference: reference)
        case .linkCycle(_, let path, let target): .linkCycle(file: file, path: path, target: target)
        case .unstoredData(_, let path, let detail): .unstoredData(file: file, path: path, detail: detail)
        case .changedWhileReading(_, let detail): .changedWhileReading(file: file, detail: detail)
        }
    }
}

/// What an object inside an HDF5 file is.
public enum ObjectKind: String, Sendable, Equatable {
    case group, dataset, attribute, namedType = "named datatype", other
}

extension HDF5Error: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .fileNotFound(file, reason):
            return "\(file): cannot open: \(reason)"
        case let .notHDF5(file):
            return "\(file): not an HDF5 file (no HDF5 signature found)"
        case let .truncated(file, detail):
            return "\(file): the file is truncated (\(detail)); copy it again from its source"
        case let .notFound(file, path, kind):
            return "\(file): no \(kind.rawValue) at \(path)"
        case let .wrongKind(file, path, expected, found):
            return "\(file): \(path) is a \(found.rawValue), expected a \(expected.rawValue)"
        case let .typeMismatch(file, path, stored, requested):
            return "\(file): \(path) holds \(stored), not \(requested)"
        case let .unsupportedType(file, path, description):
            return "\(file): \(path) has an element type this tool does not read: \(description)"
        case let .shapeMismatch(file, path, detail):
            return "\(file): \(path): \(detail)"
        case let .invalidText(file, path):
            return "\(file): \(path) holds text that is not valid UTF-8"
        case let .library(file, path, operation, message):
            return "\(file): \(path): \(operation) failed: \(message)"
        case let .io(file, operation, errno):
            return "\(file): \(operation) failed: \(String(cString: strerror(errno)))"
        case let .outsideFile(file, path, reference):
            return "\(file): \(path) points outside the file (\(reference)); bnconvert never reads outside the file it is given"
        case let .linkCycle(file, path, target):
            return "\(file): \(path) links back to the group \(target) (a loop of links, or a group reachable twice); such a file is refused"
        case let .unstoredData(file, path, detail):
            return "\(file): \(path): \(detail); the file does not hold this tensor"
        case let .changedWhileReading(file, detail):
            return "\(file): the file changed while it was being read (\(detail)); nothing was written, run again once it is complete"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
