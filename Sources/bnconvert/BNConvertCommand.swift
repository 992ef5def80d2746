import ArgumentParser

/// `bnconvert`: the command-line shell over the library. Converting is the default action,
/// so `bnconvert in.h5 out.bnm` works without naming a subcommand.
@main
struct BNConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bnconvert",
        abstract: "Convert Keras HDF5 weights to the native .bnm format, inspect and verify the result.",
        discussion: """
            Exit codes: 0 success; 1 the check ran and failed (verify out of tolerance, validation \
            or conversion found errors); \
            2 unusable input (unreadable, malformed or unsupported file); 64 wrong usage.
            """,
        subcommands: [ConvertCommand.self, InspectCommand.self, VerifyCommand.self, ValidateCommand.self],
        defaultSubcommand: ConvertCommand.self
    )
}

/// Exit codes documented in `--help` and the README.
enum ExitStatus {
    static let checkFailed = ExitCode(1)
    static let unusableInput = ExitCode(2)
}
