import Foundation
import Testing

/// Files that point outside themselves, loop, or declare bytes they never stored
/// (`scripts/make_fixtures.py --part hostile`): every command that reads them answers at once
/// with exit 2 and one line naming the file, the object and what it points to, reads nothing
/// outside the file, and writes nothing.
@Suite struct HostileFileTests {
    static let hostile = CLITests.repository.appendingPathComponent("Tests/CLITests/Fixtures/hostile")

    @Test(arguments: [
        ("external_storage.h5", "dense/kernel points outside the file (external raw storage in /etc/passwd)"),
        ("external_link.h5", "dense/kernel points outside the file (an external link to /tmp/bnconvert-elsewhere.h5:/secret)"),
        ("external_link_in_path.h5", "/model_weights/elsewhere points outside the file"),
        ("virtual_dataset.h5", "dense/kernel points outside the file (a virtual dataset mapped onto /tmp/bnconvert-elsewhere.h5)"),
        ("cycle_to_ancestor.h5", "conv/up links back to the group /model_weights"),
        ("cycle_to_root.h5", "conv/up links back to the group / "),
        ("soft_link_cycle.h5", "conv/up links back to the group /model_weights"),
        ("unstored_chunked.h5", "dense/kernel: it declares 4000000000000 bytes"),
        ("unstored_contiguous.h5", "dense/kernel: it declares 17179869184 bytes"),
    ])
    func refusedByEveryCommand(_ name: String, _ message: String) throws {
        let input = Self.hostile.appendingPathComponent(name).path
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let commands: [[String]] = [
            [input, folder.appendingPathComponent("out.bnm").path],
            ["inspect", input], ["inspect", "--json", input], ["validate", input],
        ]
        for arguments in commands {
            let started = Date()
            let outcome = try CLITests.bnconvert(arguments)
            #expect(Date().timeIntervalSince(started) < 20, "\(arguments) took too long")
            #expect(outcome.status == 2, "\(arguments): exit \(outcome.status)")
            let lines = outcome.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("bnconvert: error: \(input): ") && lines[0].contains(message),
                    "\(arguments): \(outcome.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
