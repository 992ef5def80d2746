import ArgumentParser
import CProcess
import Foundation

/// How much the tool says on stderr besides results (stdout) and errors (always printed).
enum Verbosity: Comparable {
    /// `--quiet`: errors only.
    case quiet
    case normal
    /// `--verbose`: every layer converted, the time each step took.
    case verbose
}

/// Writing to the terminal: results to stdout, diagnostics to stderr.
enum Console {
    /// Set once from the command's ``CommonOptions`` before any work starts (the worker process
    /// parses the same arguments, so it sets the same level).
    nonisolated(unsafe) static var verbosity = Verbosity.normal

    static func error(_ message: String) {
        write("bnconvert: error: \(message)\n")
    }

    static func warning(_ message: String) {
        guard verbosity >= .normal else { return }
        write("bnconvert: warning: \(message)\n")
    }

    static func note(_ message: String) {
        guard verbosity >= .normal else { return }
        write("\(message)\n")
    }

    /// Only with `--verbose`.
    static func detail(_ message: String) {
        guard verbosity >= .verbose else { return }
        write("\(message)\n")
    }

    static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Serialises stderr writes: the progress line is redrawn from a timer thread.
    private static let lock = NSLock()

    static func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        Progress.clearLineLocked()
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes `text` as is (a progress line's carriage returns and erasures), under the same lock.
    static func writeRaw(_ text: String, _ afterwards: () -> Void = {}) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(text.utf8))
        afterwards()
    }

    /// A `.bnm` is read through a memory map: if another process truncates the file meanwhile,
    /// touching a page past the new end raises SIGBUS. This turns that into one error line and
    /// exit 2 (unusable input) instead of a crash.
    static func containBusErrors(reading file: String) {
        cprocess_on_bus_error("bnconvert: error: \(file): the file shrank while it was being read (another process truncated it); nothing was written\n", 2)
    }
}

/// Byte counts as a person reads them.
func humanBytes(_ count: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}

/// Seconds as a person reads them: `0.42 s`, `12.3 s`, `2:05`.
func humanDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 1 { return String(format: "%.2f s", seconds) }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    return whole < 3600 ? String(format: "%d:%02d", whole / 60, whole % 60)
        : String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
}
