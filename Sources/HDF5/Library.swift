import CHDF5
import Foundation

/// The one funnel every HDF5 call goes through.
///
/// Debian's libhdf5 is built thread-safe, but this layer keeps its own invariants (open
/// handles, the error stack read right after a failed call), so every call is serialised
/// behind one recursive lock: recursive because a handle can be released while another
/// call in the same thread holds the lock.
enum Library {
    private static let lock = NSRecursiveLock()

    /// `H5open()` runs once, before any type id is read (the `H5T_NATIVE_*_g` globals are -1
    /// until then).
    private static let initialised: Void = {
        _ = H5open()
    }()

    /// Runs `body` holding the lock, with HDF5's automatic error printing off.
    ///
    /// In a thread-safe build HDF5 keeps the error stack and its auto-print setting per
    /// thread, so "switch printing off once" has to mean once per calling thread; the call is
    /// cheap, so it is simply made on every entry.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        _ = initialised
        lock.lock()
        defer { lock.unlock() }
        _ = H5Eset_auto2(chdf5_e_default(), nil, nil)
        return try body()
    }

    /// Calls `body` and turns a negative HDF5 return value (`hid_t`, `herr_t`, `htri_t`,
    /// `ssize_t` all signal failure that way) into an ``HDF5Error`` carrying HDF5's innermost
    /// message. The error stack is cleared first so the message belongs to this call.
    @discardableResult
    static func call<R: BinaryInteger>(
        _ site: @autoclosure () -> Site, _ body: () -> R
    ) throws -> R {
        try locked {
            _ = H5Eclear2(chdf5_e_default())
            let result = body()
            guard result >= 0 else { throw ErrorStack.capture().error(at: site()) }
            return result
        }
    }

    /// Like ``call(_:_:)`` for calls returning an identifier, wrapped at once in an owning
    /// handle so it cannot leak even if the next step throws.
    static func open(_ site: @autoclosure () -> Site, _ kind: Handle.Kind, _ body: () -> hid_t) throws -> Handle {
        try locked { Handle(id: try call(site(), body), kind: kind) }
    }

    /// How many HDF5 objects (files, groups, datasets, types, attributes, …) are open in
    /// this process. Tests use it to prove that nothing leaks, on success and on failure.
    static var openObjectCount: Int {
        locked { Int(H5Fget_obj_count(hid_t(chdf5_f_obj_all()), chdf5_f_obj_all())) }
    }
}

/// Where a call was made: the file, the object path inside it and the operation, for errors.
struct Site {
    var file: String
    var path: String
    var operation: String
}

/// HDF5's error stack, read right after a failed call.
struct ErrorStack {
    /// The innermost (most specific) description first.
    var entries: [(major: hid_t, minor: hid_t, function: String, description: String)] = []

    static func capture() -> ErrorStack {
        final class Box { var stack = ErrorStack() }
        let box = Box()
        let stackID = H5Eget_current_stack()
        guard stackID >= 0 else { return box.stack }
        defer { _ = H5Eclose_stack(stackID) }
        withExtendedLifetime(box) {
            _ = H5Ewalk2(stackID, H5E_WALK_UPWARD, { _, record, context in
                guard let record, let context else { return 0 }
                let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                let entry = record.pointee
                box.stack.entries.append((
                    entry.maj_num, entry.min_num,
                    entry.func_name.map { String(cString: $0) } ?? "",
                    entry.desc.map { String(cString: $0) } ?? ""
                ))
                return 0
            }, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.stack
    }

    /// The message a person reads: the innermost description, with its minor error class.
    var innermostMessage: String {
        guard let first = entries.first else { return "HDF5 reported a failure without an error record" }
        let minor = Self.message(for: first.minor)
        let description = first.description.isEmpty ? minor : first.description
        return minor.isEmpty || minor == description ? description : "\(description) (\(minor))"
    }

    func contains(minor: hid_t) -> Bool { entries.contains { $0.minor == minor } }

    /// The `errno = N` the sec2 file driver writes into its messages, if any entry has one.
    var systemErrorNumber: Int32? {
        for entry in entries {
            guard let range = entry.description.range(of: "errno = ") else { continue }
            let digits = entry.description[range.upperBound...].prefix { $0.isNumber }
            if let code = Int32(digits), code > 0 { return code }
        }
        return nil
    }

    private static func message(for id: hid_t) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = H5Eget_msg(id, nil, &buffer, buffer.count)
        guard length > 0 else { return "" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func error(at site: Site) -> HDF5Error {
        if contains(minor: chdf5_e_truncated()) {
            return .truncated(file: site.file, detail: innermostMessage)
        }
        if contains(minor: chdf5_e_nothdf5()) {
            return .notHDF5(file: site.file)
        }
        // The file driver's read/write failures carry the system's errno inside a long text
        // (with the temporary file's name and buffer addresses): keep only the errno.
        if let code = systemErrorNumber {
            return .io(file: site.file, operation: "\(site.operation) \(site.path)", errno: code)
        }
        return .library(file: site.file, path: site.path, operation: site.operation, message: innermostMessage)
    }
}

/// Process-wide facts about the HDF5 library, for diagnostics and tests.
public enum HDF5Library {
    /// How many HDF5 objects are open right now, in every file. Zero when nothing leaks.
    public static var openObjectCount: Int { Library.openObjectCount }

    /// The paths of the files HDF5 has open right now, in this process. A file disappears
    /// from this list once its last group, dataset and attribute handle is released.
    public static var openFilePaths: [String] {
        Library.locked {
            let count = Int(H5Fget_obj_count(hid_t(chdf5_f_obj_all()), UInt32(H5F_OBJ_FILE)))
            guard count > 0 else { return [] }
            var ids = [hid_t](repeating: 0, count: count)
            let found = Int(H5Fget_obj_ids(hid_t(chdf5_f_obj_all()), UInt32(H5F_OBJ_FILE), count, &ids))
            return ids.prefix(max(found, 0)).compactMap { id in
                let length = H5Fget_name(id, nil, 0)
                guard length > 0 else { return nil }
                var buffer = [CChar](repeating: 0, count: length + 1)
                _ = H5Fget_name(id, &buffer, buffer.count)
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }
}
