import ArgumentParser
import AtomicWrite
import CProcess
import Foundation

/// Keeps a damaged HDF5 file from crashing the tool, without taking the user's control away.
///
/// libhdf5 (1.10.8 in Debian 12) has parsers that crash on some corrupted files (a global heap
/// whose object sizes are garbage makes `H5HG_read` copy past its buffer) and crashes when a
/// write fails on a full disk. That is code this project does not own. So a command that
/// reads or writes HDF5 runs the real work in a child process (this same executable) and, if
/// the child dies of a fault, reports one line, removes the child's temporary output and
/// exits 2.
///
/// The child is the user's as much as the parent is: it stays in the parent's process group
/// (so Ctrl-C reaches it), the parent forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to it
/// alone (`kill`, `timeout`), and the kernel kills the child if the parent dies
/// (`PR_SET_PDEATHSIG`). A cancelled run exits 128 + the signal, silently, and leaves no
/// output; a temporary file of a child killed with its parent is removed by the next run
/// (``AtomicWrite/removeStaleTemporaries(besides:)``).
enum CrashIsolation {
    private static let marker = "BNCONVERT_ISOLATED_CHILD"

    /// What the user is told when the child dies of a fault.
    enum Work {
        case reading(String)
        case writing(String)
    }

    /// Returns normally in the child (or when isolation is unavailable); in the parent, runs the
    /// child, mirrors its exit status and never returns.
    /// With `json`, a crash is also reported as an error object on stdout (see ``Failure``).
    static func isolate(_ work: Work, output: String? = nil, json: Bool = false) throws {
        let environment = ProcessInfo.processInfo.environment
        if let parent = environment[marker] {
            _ = cprocess_die_with_parent(SIGKILL)
            // The parent may have died before the request took effect.
            if let parent = pid_t(parent), getppid() != parent { exit(128 + SIGKILL) }
            return
        }
        var childEnvironment = environment
        childEnvironment[marker] = String(getpid())
        // The child's crash is reported by the parent, in one line; no runtime backtrace dump.
        childEnvironment["SWIFT_BACKTRACE"] = "enable=no"
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        let variables = childEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/proc/self/exe", nil, nil, arguments, variables) == 0 else {
            return  // cannot isolate: do the work here instead
        }
        cprocess_forward_signals_to(child)
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else { throw ExitStatus.unusableInput }
        }
        let signal = status & 0x7f
        guard signal != 0 else { throw ExitCode((status >> 8) & 0xff) }
        if let output { AtomicWrite.removeTemporaries(of: child, besides: output) }
        let forwarded = cprocess_forwarded_signal()
        if forwarded != 0 { throw ExitCode(128 + forwarded) }
        guard [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS].contains(signal) else {
            Console.error("\(subject(of: work)): the worker process was stopped from outside (signal \(signal)); nothing was written")
            throw ExitCode(128 + signal)
        }
        let failure: Failure
        switch work {
        case .reading(let file):
            failure = Failure(.crashed, file: file, message: "reading this file crashed (signal \(signal)), which damaged HDF5 files do to libhdf5; copy the file again from its source (if it is intact, please report this as a bug)")
        case .writing(let file):
            failure = Failure(.outputNotWritable, file: file, message: "writing it crashed inside libhdf5 (signal \(signal)), which a full disk or a failing file system does; check the free space, then run again")
        }
        failure.report(json: json)
        throw failure.exitCode
    }

    private static func subject(of work: Work) -> String {
        switch work {
        case .reading(let file), .writing(let file): return file
        }
    }
}
