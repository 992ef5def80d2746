import ArgumentParser
import Foundation

/// The process entry: settings every command relies on, then the command line.
@main
enum Entry {
    static func main() {
        // A write past a file-size limit (ulimit -f) fails with EFBIG, reported like a full
        // disk, instead of killing the process mid-write.
        signal(SIGXFSZ, SIG_IGN)
        let status: Int32
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let (typed, meant) = CommandSuggestion.suggestion(for: arguments) {
            Console.error("unknown command '\(typed)'; did you mean '\(meant)'? (see bnconvert --help)")
            fflush(nil)
            _exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try BNConvertCommand.parseAsRoot()
            try command.run()
            status = 0
        } catch {
            let code = BNConvertCommand.exitCode(for: error)
            let message = BNConvertCommand.fullMessage(for: error)
            if code.isSuccess {
                // Help, --version, completion scripts; nothing for the worker process's exit 0.
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            status = code.rawValue
        }
        // `_exit`, not `exit`: libhdf5's exit handler would try again to flush a file whose
        // write failed (a full disk) and crash after the error was reported. Every file this
        // tool writes is closed, synced and renamed before its command returns.
        fflush(nil)  // every output stream
        _exit(status)
    }
}

/// `bnconvert`: the command-line shell over the library. Converting is the default action,
/// so `bnconvert in.h5 out.bnm` works without naming a subcommand.
struct BNConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bnconvert",
        abstract: "Convert Keras HDF5 weights to the native .bnm format, inspect and verify the result.",
        discussion: """
            Exit codes: 0 success; 1 the check ran and failed (verify out of tolerance, validation \
            or conversion found errors); \
            2 unusable input (unreadable, malformed or unsupported file); 64 wrong usage; \
            73 the output could not be written (missing or read-only folder, full disk); \
            128+N cancelled by signal N (130 for Ctrl-C). \
            Every command takes --quiet (-q: results and errors only) and --verbose (-v: every \
            layer, timings). Errors name the file at fault; with --json an unusable input is also \
            printed on stdout as {"error": {"code": ..., "file": ..., "message": ...}}.
            """,
        version: "bnconvert 0.2.0 (.bnm format 1.0)",
        subcommands: [ConvertCommand.self, InspectCommand.self, VerifyCommand.self, ValidateCommand.self],
        defaultSubcommand: ConvertCommand.self
    )
}

/// Exit codes documented in `--help` and the README.
enum ExitStatus {
    static let checkFailed = ExitCode(1)
    static let unusableInput = ExitCode(2)
    /// sysexits' EX_CANTCREAT: the output could not be written (folder missing or read-only,
    /// disk full).
    static let cannotCreateOutput = ExitCode(73)
}
