import Foundation

/// A status line for long work, redrawn in place on a terminal: bytes done of the total, rate
/// and time left — `converting vgg16.h5: 212.4 MiB of 554.0 MiB (38%), 180.2 MiB/s, 1.9 s left`.
///
/// Shown only when stderr is a terminal and not `--quiet`, and only once the work has run for
/// half a second (a quick run prints nothing); nothing is ever added to stdout or to a stderr
/// that is a pipe or a file. The line is erased before any other message and when the work
/// ends, so it never mixes with what follows.
///
/// Bytes are counted by the kernel for this process (`/proc/self/io`: `rchar` for what was
/// read, `wchar` for what was written), so the libraries need no hooks; the total is the input
/// file's size, which a conversion reads (or writes) about once.
final class Progress: @unchecked Sendable {
    enum Counter {
        /// Bytes read through read(2)/pread(2) (libhdf5 reading an `.h5`).
        case read
        /// Bytes written (an `.h5` or `.bnm` being written).
        case written
        /// No count (a memory-mapped `.bnm`, a forward pass): elapsed time only.
        case elapsed
    }

    private let label: String
    private let total: Int
    private let counter: Counter
    private let started = Date()
    private let baseline: Int
    private var stopped = false
    private let condition = NSCondition()

    /// The line currently on screen, erased before other stderr output.
    nonisolated(unsafe) private static var lineShown = false
    /// Delay before the first line, so that quick runs show nothing.
    static let delay = ProcessInfo.processInfo.environment["BNCONVERT_PROGRESS_DELAY"].flatMap(Double.init) ?? 0.5

    /// Starts the line for work on `file` (its size is the total), or returns nil when no line
    /// is to be shown (stderr not a terminal, `--quiet`).
    static func start(_ verb: String, _ file: String, counter: Counter) -> Progress? {
        guard Console.standardErrorIsTerminal, Console.verbosity >= .normal else { return nil }
        var status = stat()
        let size = stat(file, &status) == 0 ? Int(status.st_size) : 0
        let progress = Progress(label: "\(verb) \((file as NSString).lastPathComponent)", total: size, counter: counter)
        let thread = Thread { progress.loop() }
        thread.stackSize = 1 << 18
        thread.start()
        return progress
    }

    private init(label: String, total: Int, counter: Counter) {
        self.label = label
        self.total = total
        self.counter = counter
        baseline = Self.count(counter)
    }

    /// Erases the line and stops redrawing it. Safe to call more than once.
    func finish() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        Console.writeRaw("") { Self.clearLineLocked() }
    }

    private func loop() {
        var next = Date().addingTimeInterval(Self.delay)
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            _ = condition.wait(until: next)
            guard !stopped else { return }
            guard Date() >= next else { continue }
            next = Date().addingTimeInterval(0.25)
            let line = self.line()
            Console.writeRaw("\r\u{1B}[K\(line)") { Self.lineShown = true }
        }
    }

    private func line() -> String {
        let elapsed = Date().timeIntervalSince(started)
        var text = label
        if counter != .elapsed, total > 0 {
            let done = min(max(Self.count(counter) - baseline, 0), total)
            let rate = Double(done) / max(elapsed, 0.001)
            text += ": \(humanBytes(done)) of \(humanBytes(total)) (\(done * 100 / total)%), \(humanBytes(Int(rate)))/s"
            if rate > 0 { text += ", \(humanDuration(Double(total - done) / rate)) left" }
        } else {
            text += ": \(humanDuration(elapsed))"
        }
        // Never wider than the terminal: a wrapped line could not be redrawn in place.
        var size = winsize()
        let columns = ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        return text.count < columns ? text : String(text.prefix(max(columns - 2, 1))) + "…"
    }

    /// Called with the console's lock held.
    static func clearLineLocked() {
        guard lineShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        lineShown = false
    }

    private static func count(_ counter: Counter) -> Int {
        guard counter != .elapsed, let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return 0 }
        let field = counter == .read ? "rchar:" : "wchar:"
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.dropFirst(field.count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
