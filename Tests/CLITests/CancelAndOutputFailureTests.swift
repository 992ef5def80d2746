import Foundation
import Testing

/// What the user controls: a cancelled run stops at once, in every process, and leaves no
/// output; an output that cannot be written is one line naming it, exit 73, nothing left
/// behind; temporaries of killed runs do not accumulate.
@Suite(.serialized) struct CancelAndOutputFailureTests {
    /// A tf_keras weights file large enough that converting it takes seconds.
    static let bigModel: (weights: String, config: String)? = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cancel-model-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let script = "import sys; sys.path.insert(0, sys.argv[1]); import benchmark; benchmark.make_model(sys.argv[2], 12, 512, 8)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, CLITests.repository.appendingPathComponent("scripts").path, folder.path]
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return (folder.appendingPathComponent("weights.h5").path, folder.appendingPathComponent("config.json").path)
    }()

    /// The pids of running processes whose command line contains `text`.
    static func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = Int32(entry), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            return String(decoding: data, as: UTF8.self).contains(text) ? pid : nil
        }
    }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGKILL])
    func cancellingTheParentStopsEverythingAndWritesNothing(_ signal: Int32) throws {
        let model = try #require(Self.bigModel, "python3 with h5py makes the test model")
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("cancelled-\(UUID().uuidString).bnm").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = [model.weights, output, "--config", model.config]
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Both processes are up once the worker (same command line) runs.
        #expect(Self.waitUntil(seconds: 10) { Self.processes(mentioning: output).count >= 2 })
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        if signal != SIGKILL {
            #expect(process.terminationStatus == 128 + signal, "exit \(process.terminationStatus)")
        }
        #expect(Self.waitUntil(seconds: 5) { Self.processes(mentioning: output).isEmpty }, "the worker outlived the cancel")
        usleep(300_000)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!left.contains { $0.hasSuffix(".bnm") }, "output after a cancel: \(left)")
        if signal != SIGKILL { #expect(left.isEmpty, "\(left)") }
    }

    @Test func temporariesOfDeadWritersAreRemovedAndLiveOnesKept() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = ".m.bnm.\(finished.processIdentifier)-abc123.tmp"
        let live = ".m.bnm.\(getpid())-def456.tmp"
        let unrelated = ".m.bnm.notes.tmp"
        for name in [dead, live, unrelated] {
            FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data([1]))
        }
        let outcome = try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), folder.appendingPathComponent("m.bnm").path)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)) == [live, unrelated, "m.bnm"])
    }

    /// A file-size limit makes every write past it fail (EFBIG), as a full disk does (ENOSPC),
    /// in the .bnm writer and inside libhdf5 for the reverse conversion alike.
    @Test func anOutputThatCannotBeWrittenIsExit73NamingIt() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("mobilenetv2.h5"), bnm).status == 0)
        for (input, output) in [(CLITests.fixture("mobilenetv2.h5"), folder.appendingPathComponent("small.bnm").path),
                                (bnm, folder.appendingPathComponent("back.h5").path)] {
            let limited = try CLITests.run("/bin/bash", ["-c", "ulimit -f 200; exec \"$0\" \"$@\"", CLITests.binary, input, output])
            #expect(limited.status == 73, "\(output): exit \(limited.status): \(limited.stderr)")
            let lines = limited.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("bnconvert: error: \(output): ") && lines[0].contains("File too large")
                    && !lines[0].contains(".tmp"), "\(limited.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.bnm"])
        let missing = try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), "/nonexistent-folder/m.bnm")
        #expect(missing.status == 73 && missing.stderr.hasPrefix("bnconvert: error: /nonexistent-folder/m.bnm: ")
                && !missing.stderr.contains(".tmp"), "\(missing.stderr)")
    }
}
