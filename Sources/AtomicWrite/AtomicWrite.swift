#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How every file this project writes appears: whole or not at all.
///
/// A writer fills a temporary file beside the destination (same folder, so `rename(2)` is
/// atomic), then ``commit(temporary:to:)`` makes it durable and puts it in place. The
/// temporary's name follows one rule, ``temporaryPath(for:)``, which records the writing
/// process; that is what lets a crash-isolating parent remove what its dead child left
/// (``removeTemporaries(of:besides:)``) and any later run remove what a killed process left
/// (``removeStaleTemporaries(besides:)``), without ever touching a live writer's file.
public enum AtomicWrite {
    /// `<folder>/.<name>.<pid>-<tag>.tmp`.
    public static func temporaryPath(for destination: String) -> String {
        let (folder, name) = split(destination)
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return folder + "/." + name + ".\(getpid())-\(tag).tmp"
    }

    /// The process that made `candidate` (a name in the destination's folder), if it is a
    /// temporary of `destination` by the rule above.
    public static func writer(ofTemporary candidate: String, for destination: String) -> pid_t? {
        let prefix = "." + split(destination).name + "."
        guard candidate.hasPrefix(prefix), candidate.hasSuffix(".tmp") else { return nil }
        let middle = candidate.dropFirst(prefix.count).dropLast(4)
        let parts = middle.split(separator: "-")
        guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0,
              parts[1].allSatisfy({ $0.isNumber || ("a"..."z").contains($0) }) else { return nil }
        return pid
    }

    /// Removes the temporaries of `destination` written by `pid` (a child that died).
    public static func removeTemporaries(of pid: pid_t, besides destination: String) {
        removeTemporaries(besides: destination) { $0 == pid }
    }

    /// Removes the temporaries of `destination` whose writing process no longer exists (it
    /// was killed before it could clean up). A live writer's file is never touched.
    public static func removeStaleTemporaries(besides destination: String) {
        removeTemporaries(besides: destination) { pid in kill(pid, 0) != 0 && errno == ESRCH }
    }

    private static func removeTemporaries(besides destination: String, where matches: (pid_t) -> Bool) {
        let folder = split(destination).folder
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        var doomed: [String] = []
        while let entry = readdir(directory) {
            // The name is read in place, up to its NUL: a directory record is only as long as
            // its name, so copying the whole fixed-size `d_name` array would read past it.
            let name = withUnsafeMutablePointer(to: &entry.pointee.d_name) { field in
                field.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: field.pointee)) {
                    String(cString: $0)
                }
            }
            if let pid = writer(ofTemporary: name, for: destination), matches(pid) { doomed.append(name) }
        }
        for name in doomed { unlink(folder + "/" + name) }
    }

    /// Makes `temporary` durable and renames it over `destination`, then makes the rename
    /// durable. On failure before the rename the temporary is removed and the destination is
    /// as it was. The corresponding C functions are `fsync(2)` and `rename(2)`.
    public static func commit(temporary: String, to destination: String) throws(AtomicWriteError) {
        do throws(AtomicWriteError) {
            try sync(temporary, flags: O_RDONLY, path: destination, operation: "fsync")
            guard rename(temporary, destination) == 0 else {
                throw AtomicWriteError(path: destination, operation: "rename the finished file into place", errno: errno)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        // Some file systems cannot fsync a folder (EINVAL); the file's own data is on disk then.
        try sync(split(destination).folder, flags: O_RDONLY | O_DIRECTORY, path: destination, operation: "fsync the folder",
                 tolerating: EINVAL)
    }

    private static func sync(_ target: String, flags: Int32, path: String, operation: String,
                             tolerating tolerated: Int32 = 0) throws(AtomicWriteError) {
        let descriptor = open(target, flags | O_CLOEXEC)
        guard descriptor >= 0 else { throw AtomicWriteError(path: path, operation: operation, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 || errno == tolerated else {
            throw AtomicWriteError(path: path, operation: operation, errno: errno)
        }
    }

    /// The folder ("." when none) and the last component of a path.
    public static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}

/// A file-system failure while putting a finished file in place. `path` is the destination
/// the user named, never the temporary file.
public struct AtomicWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32

    public var description: String { "\(path): \(operation) failed: \(String(cString: strerror(errno)))" }
}
