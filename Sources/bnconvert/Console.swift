import ArgumentParser
import CProcess
import Foundation

/// Writing to the terminal: results to stdout, diagnostics to stderr.
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("bnconvert: error: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("bnconvert: warning: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// A `.bnm` is read through a memory map: if another process truncates the file meanwhile,
    /// touching a page past the new end raises SIGBUS. This turns that into one error line and
    /// exit 2 (unusable input) instead of a crash.
    static func containBusErrors(reading file: String) {
        cprocess_on_bus_error("bnconvert: error: \(file): the file shrank while it was being read (another process truncated it); nothing was written\n", 2)
    }

    /// A status line that rewrites itself on a terminal (only shown when stderr is one).
    static func progress(_ message: String, done: Bool = false) {
        FileHandle.standardError.write(Data("\r\u{1B}[K\(message)\(done ? "\n" : "")".utf8))
    }
}

/// Runs a command's work, turning any error from the library into one `bnconvert: error:`
/// line and an exit status: 73 when the error is about `output` (every library error's text
/// starts with the file it concerns, and the writers name the destination, never their
/// temporary file), else 2 (unusable input). `ExitCode`s thrown on purpose pass through.
/// Every line names a file: the error's own when it has one, else `file` (the command's input).
func reportingErrors(file: String, output: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as CocoaError {
        Console.error("\(error.filePath ?? file): \(error.localizedDescription)")
        throw ExitStatus.unusableInput
    } catch {
        let message = "\(error)"
        let aboutOutput = output.map { message.hasPrefix($0 + ":") } ?? false
        Console.error(message.hasPrefix(file) || aboutOutput ? message : "\(file): \(message)")
        throw aboutOutput ? ExitStatus.cannotCreateOutput : ExitStatus.unusableInput
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
