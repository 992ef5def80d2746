import ArgumentParser

/// The options every subcommand takes: how much to say on stderr. Results (stdout) and errors
/// are the same at every level.
struct CommonOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print results and errors only: no notes, warnings or progress on stderr.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Say more on stderr: every layer converted, and the time each step took.")
    var verbose = false

    func validate() throws {
        guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose contradict each other; pass one of them") }
    }

    /// Sets the level for the rest of the run; called first thing in every `run()`.
    func apply() {
        Console.verbosity = quiet ? .quiet : verbose ? .verbose : .normal
    }
}
