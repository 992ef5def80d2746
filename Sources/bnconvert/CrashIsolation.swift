import ArgumentParser
import Foundation

/// Keeps a damaged HDF5 file from crashing the tool.
///
/// libhdf5 (1.10.8 in Debian 12) has parsers that crash on some corrupted files — e.g. a global
/// heap whose object sizes are garbage makes `H5HG_read` copy past its buffer. That is code
/// this project does not own and cannot check from the outside. So a command that reads an
/// `.h5` runs the real work in a child process (this same executable) and, if the child dies
/// from a signal, reports a clear error naming the file, removes any temporary output the
/// child left, and exits 2 like any other unusable input.
enum CrashIsolation {
    private static let marker = "BNCONVERT_ISOLATED_CHILD"

    /// Returns normally in the child (or when isolation is unavailable); in the parent, runs the
    /// child, mirrors its exit status and never returns.
    static func isolate(reading file: String, writing output: String? = nil) throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment[marker] == nil else { return }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { return }
        let child = Process()
        child.executableURL = executable
        child.arguments = Array(CommandLine.arguments.dropFirst())
        // The child's crash is reported by the parent, in one line; no runtime backtrace dump.
        child.environment = environment.merging([marker: "1", "SWIFT_BACKTRACE": "enable=no"]) { _, new in new }
        do { try child.run() } catch { return }  // cannot isolate: do the work here instead
        child.waitUntilExit()
        if child.terminationReason == .uncaughtSignal {
            if let output { removeTemporaryFiles(of: output, pid: child.processIdentifier) }
            Console.error("\(file): reading this file crashed (signal \(child.terminationStatus)), which damaged HDF5 files do to libhdf5; copy the file again from its source (if it is intact, please report this as a bug)")
            throw ExitStatus.unusableInput
        }
        throw ExitCode(child.terminationStatus)
    }

    /// Both writers name their temporary file `.<name>.…<pid>…tmp…` beside the destination.
    private static func removeTemporaryFiles(of output: String, pid: Int32) {
        let url = URL(fileURLWithPath: output)
        let folder = url.deletingLastPathComponent().path
        let stem = ".\(url.lastPathComponent)."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        // The writer's own temporary file for the converter's temporary file starts with "..".
        for name in names where name.contains(stem) && name.hasPrefix(".") && name.contains("\(pid)") && name.contains("tmp") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }
}
