import AtomicWrite
import CHDF5
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file. Groups and datasets opened from it keep it alive; the file closes when
/// the last of them goes away.
public final class HDF5File: Sendable {
    /// The path on disk, as the caller gave it (used in every error).
    public let path: String
    let handle: Handle
    /// The file's status when it was opened for reading (nil for a file being written).
    let opened: FileIdentity?

    /// The eight bytes that begin an HDF5 superblock: `89 48 44 46 0D 0A 1A 0A` ("\u{89}HDF\r\n\u{1A}\n").
    /// They stand at offset 0, or after a user block (see ``signatureOffsets(fileSize:)``).
    public static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Where an HDF5 file's ``signature`` may stand in a file of `fileSize` bytes, in the order
    /// libhdf5 looks: offset 0, then after a user block of 512, 1024, 2048, … bytes (a user block
    /// is a power of two of at least 512 bytes), as long as the signature fits in the file.
    public static func signatureOffsets(fileSize: Int) -> [Int] {
        var offsets = fileSize >= signature.count ? [0] : []
        var offset = 512
        while offset <= fileSize - signature.count {
            offsets.append(offset)
            guard offset <= Int.max / 2 else { break }
            offset *= 2
        }
        return offsets
    }

    private init(path: String, handle: Handle, opened: FileIdentity?) {
        self.path = path
        self.handle = handle
        self.opened = opened
    }

    /// Opens an existing file read-only.
    ///
    /// A missing file, a file without the HDF5 signature and a truncated file each give their
    /// own ``HDF5Error`` case. The corresponding C function is `H5Fopen`.
    public static func open(_ path: String) throws -> HDF5File {
        try open(path, reportingAs: path)
    }

    /// Opens `path` read-only, naming the file `name` in every error and in ``path`` (a file
    /// extracted from an archive is named after its place in the archive, not after the
    /// private temporary file it was read from).
    ///
    /// With `removingName`, the path is unlinked as soon as libhdf5 holds the file open (before
    /// its identity is recorded, since that changes the file's status time): for a private
    /// temporary copy that must leave nothing behind.
    public static func open(_ path: String, reportingAs name: String, removingName: Bool = false) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: path) else {
            throw HDF5Error.fileNotFound(file: name, reason: "no such file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HDF5Error.fileNotFound(file: name, reason: "permission denied")
        }
        let site = Site(file: name, path: "/", operation: "open file")
        // H5Fis_hdf5 looks for the signature only; a negative answer means "not ours at all".
        let isHDF5 = try Library.locked { () throws -> Int32 in
            _ = H5Eclear2(chdf5_e_default())
            return H5Fis_hdf5(path)
        }
        guard isHDF5 > 0 else { throw HDF5Error.notHDF5(file: name) }
        // No data sieving: a hyperslab that takes a few columns of every row (a block of a
        // large dense kernel) is then read as just those bytes, not as every 64 KiB window
        // around them — 0.4 GB instead of 10 GB for a 411 MB kernel read in 25 blocks.
        let access = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_file_access()) }
        try Library.call(site) { H5Pset_sieve_buf_size(access.id, 0) }
        let handle = try Library.open(site, .file) { H5Fopen(path, chdf5_f_acc_rdonly(), access.id) }
        if removingName { unlink(path) }
        let file = HDF5File(path: name, handle: handle, opened: nil)
        let opened = HDF5File(path: name, handle: handle, opened: try file.identity())
        try Containment.audit(opened)
        return opened
    }

    /// Throws ``HDF5Error/changedWhileReading(file:detail:)`` when the file on disk is no
    /// longer the one opened: its size, modification or status-change time differ. Readers
    /// call it after reading, so bytes of two versions of a file are never taken for one
    /// (libhdf5 reads past a new end of file as zeros, without an error).
    public func checkUnchanged() throws {
        guard let opened else { return }
        let now = try Library.locked { try identity() }
        guard now == opened else {
            let detail = now.size != opened.size ? "its size went from \(opened.size) to \(now.size) bytes" : "it was modified"
            throw HDF5Error.changedWhileReading(file: path, detail: detail)
        }
    }

    /// Size and times of the open file, from the descriptor libhdf5 reads through (not the
    /// path, which may since name another file). The corresponding C functions are
    /// `H5Fget_vfd_handle` and `fstat(2)`.
    func identity() throws -> FileIdentity {
        let site = Site(file: path, path: "/", operation: "read the file's status")
        return try Library.locked {
            var raw: UnsafeMutableRawPointer?
            try Library.call(site) { H5Fget_vfd_handle(handle.id, chdf5_p_default(), &raw) }
            guard let descriptor = raw?.load(as: Int32.self) else {
                throw HDF5Error.io(file: path, operation: "find the file's descriptor", errno: EBADF)
            }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else { throw HDF5Error.io(file: path, operation: "fstat", errno: errno) }
            return FileIdentity(size: UInt64(status.st_size), modified: status.st_mtim, changed: status.st_ctim)
        }
    }

    /// Creates a new file, replacing any file at `path`. Link and attribute names are
    /// written as UTF-8. The corresponding C function is `H5Fcreate`.
    public static func create(_ path: String) throws -> HDF5File {
        let site = Site(file: path, path: "/", operation: "create file")
        let access = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_file_access()) }
        try Library.call(site) { H5Pset_sieve_buf_size(access.id, 0) }
        let handle = try Library.open(site, .file) {
            H5Fcreate(path, chdf5_f_acc_trunc(), chdf5_p_default(), access.id)
        }
        return HDF5File(path: path, handle: handle, opened: nil)
    }

    /// Writes a new file at `path` without ever leaving a partial one there: `body` fills a
    /// temporary file in the same folder, which is flushed, closed, fsynced and renamed into
    /// place only if `body` succeeds. On any failure the temporary file is removed.
    ///
    /// `body` must not keep references to the file or its objects once it returns: the file
    /// has to be closed before it can be renamed.
    public static func writeAtomically(to path: String, _ body: (Group) throws -> Void) throws {
        AtomicWrite.removeStaleTemporaries(besides: path)
        let temporary = AtomicWrite.temporaryPath(for: path)
        do {
            try {
                let file = try HDF5File.create(temporary)
                try body(file.root)
                try file.flush()
            }()
            // Every handle from `body` is gone now, so the file is closed and complete on disk.
        } catch {
            unlink(temporary)
            // The user named the destination; the temporary's name means nothing to them.
            throw (error as? HDF5Error)?.naming(path) ?? error
        }
        do {
            try AtomicWrite.commit(temporary: temporary, to: path)
        } catch {
            throw HDF5Error.io(file: path, operation: error.operation, errno: error.errno)
        }
    }

    /// The root group "/".
    public var root: Group {
        get throws {
            let site = Site(file: path, path: "/", operation: "open root group")
            let group = try Library.open(site, .group) { H5Gopen2(handle.id, "/", chdf5_p_default()) }
            return Group(file: self, handle: group, path: "/")
        }
    }

    /// Writes buffered data to disk. The corresponding C function is `H5Fflush`.
    public func flush() throws {
        try Library.call(Site(file: path, path: "/", operation: "flush")) { H5Fflush(handle.id, H5F_SCOPE_GLOBAL) }
    }
}

extension HDF5File {
    /// How many HDF5 objects of this file are open, the file itself included: 1 when
    /// every group, dataset, attribute and type taken from it has been released.
    public var openObjectCount: Int {
        Library.locked { Int(H5Fget_obj_count(handle.id, chdf5_f_obj_all())) }
    }
}

/// What tells one version of a file from another without reading it.
struct FileIdentity: Equatable, Sendable {
    var size: UInt64
    var modified: timespec
    var changed: timespec

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.size == b.size && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }
}
