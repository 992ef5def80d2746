import BNModel
import Foundation
import Testing

/// The command-line tool as a user meets it: documented exit codes, one readable error line
/// naming the file, and no output file after any failure.
@Suite struct CLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let kerasFixtures = repository.appendingPathComponent("Tests/KerasHDF5Tests/Fixtures")

    static var binary: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("bnconvert").path
    }

    static func fixture(_ name: String) -> String { kerasFixtures.appendingPathComponent(name).path }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    static func bnconvert(_ arguments: String...) throws -> Outcome { try bnconvert(arguments) }

    static func bnconvert(_ arguments: [String]) throws -> Outcome { try run(binary, arguments) }

    /// Runs `executable` to completion, optionally in `folder` and with extra environment.
    static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil,
                    environment: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func convertVerifyInspectAndBack() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        let converted = try Self.bnconvert(Self.fixture("flatten_dense_bn_head.h5"), bnm)
        #expect(converted.status == 0, "\(converted.stderr)")
        let verified = try Self.bnconvert("verify", bnm, "--input", Self.fixture("flatten_dense_bn_head.input.npy"),
                                         "--expect", Self.fixture("flatten_dense_bn_head.expected.npy"))
        #expect(verified.status == 0 && verified.stdout.contains("PASS"), "\(verified.stdout)\(verified.stderr)")
        let inspected = try Self.bnconvert("inspect", bnm)
        #expect(inspected.status == 0 && inspected.stdout.contains("batch_norm [spatial"), "\(inspected.stdout)")
        let manifest = try Self.bnconvert("inspect", "--json", bnm)
        #expect(manifest.status == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(manifest.stdout.utf8)) is [String: Any])
        let back = folder.appendingPathComponent("back.h5").path
        let reversed = try Self.bnconvert(bnm, back)
        #expect(reversed.status == 0 && FileManager.default.fileExists(atPath: back), "\(reversed.stderr)")
    }

    @Test func verifyOutOfToleranceExitsOne() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try Self.bnconvert(Self.fixture("conv_bn_relu.h5"), bnm).status == 0)
        var expected = try NPY.read(Self.fixture("conv_bn_relu.expected.npy"))
        expected.values[0] += 0.01
        let wrong = folder.appendingPathComponent("wrong.npy").path
        try NPY.write(expected, to: wrong)
        let verified = try Self.bnconvert("verify", bnm, "--input", Self.fixture("conv_bn_relu.input.npy"), "--expect", wrong)
        #expect(verified.status == 1 && verified.stdout.contains("FAIL: output dense: 1 of 6"), "\(verified.stdout)")
    }

    /// Damaged input: exit 2, a single `bnconvert: error:` line naming the file, nothing written.
    @Test(arguments: [
        "Tests/HDF5Tests/Fixtures/truncated.h5", "Tests/HDF5Tests/Fixtures/not_hdf5.h5",
        "Tests/CLITests/Fixtures/damaged_global_heap.h5", "Tests/CLITests/Fixtures/damaged_object_header.h5",
    ])
    func damagedInputIsOneErrorLineAndNoOutput(_ relativePath: String) throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = Self.repository.appendingPathComponent(relativePath).path
        let outcome = try Self.bnconvert(input, folder.appendingPathComponent("out.bnm").path)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("bnconvert: error: \(input): "), "\(outcome.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func weightsOnlyFileWithoutConfigSaysWhatToDo() throws {
        let outcome = try Self.bnconvert(Self.fixture("per_activation_bn.h5"), "/tmp/never-written.bnm")
        #expect(outcome.status == 2 && outcome.stderr.contains("--config"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.bnm"))
    }

    /// `--input-shape` overrides the architecture's input size; a size the weights cannot
    /// take is refused (here the per-activation BN was trained for 6×5, not 5×6).
    @Test func inputShapeOverride() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("m.bnm").path
        let matching = try Self.bnconvert(Self.fixture("per_activation_bn_full.h5"), output, "--input-shape", "6,5,3")
        #expect(matching.status == 0, "\(matching.stderr)")
        let swapped = try Self.bnconvert(Self.fixture("per_activation_bn_full.h5"), output, "--input-shape", "5,6,3", "--force")
        #expect(swapped.status == 2 && swapped.stderr.contains("layer 'bn'"), "\(swapped.stderr)")
        #expect(try Self.bnconvert(Self.fixture("per_activation_bn_full.h5"), output, "--input-shape", "6,x,3").status == 64)
    }

    @Test func inspectWeightsOnlyFileListsWhatIsStored() throws {
        let outcome = try Self.bnconvert("inspect", Self.fixture("nested_tfkeras.h5"))
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("inner_bn/moving_variance:0") && outcome.stdout.contains("f32 [4]"), "\(outcome.stdout)")
        #expect(outcome.stderr.contains("--config"))
        let mapped = try Self.bnconvert("inspect", Self.fixture("nested_tfkeras.h5"), "--config", Self.fixture("nested_tfkeras.config.json"))
        #expect(mapped.status == 0 && mapped.stdout.contains("inner_bn: batch_norm [spatial"), "\(mapped.stdout)")
    }

    /// Every output is compared, each reported; a missing --expect is a usage error naming both outputs.
    @Test func verifyEveryOutput() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try Self.bnconvert(Self.fixture("two_outputs.h5"), bnm).status == 0)
        let both = try Self.bnconvert("verify", bnm, "--input", Self.fixture("two_outputs.input.npy"),
                                      "--expect", Self.fixture("two_outputs.expected.npy"), "--expect", Self.fixture("two_outputs.expected.1.npy"))
        #expect(both.status == 0 && both.stdout.contains("output logits:") && both.stdout.contains("output map_out:"), "\(both.stdout)\(both.stderr)")
        let one = try Self.bnconvert("verify", bnm, "--input", Self.fixture("two_outputs.input.npy"), "--expect", Self.fixture("two_outputs.expected.npy"))
        #expect(one.status == 2 && one.stderr.contains("logits, map_out"), "\(one.stderr)")
    }

    @Test func wrongUsageExits64() throws {
        #expect(try Self.bnconvert(Self.fixture("conv_bn_relu.h5"), "out.txt").status == 64)
        #expect(try Self.bnconvert("verify", "m.bnm", "--input", "x.npy", "--expect", "y.npy", "--rtol", "-1").status == 64)
    }

    @Test func validateExitCodesAndJSON() throws {
        let clean = try Self.bnconvert("validate", Self.fixture("residual_depthwise.h5"))
        #expect(clean.status == 0 && clean.stdout.contains("no findings"), "\(clean.stdout)\(clean.stderr)")
        let defect = Self.fixture("defects/negative_variance.h5")
        let found = try Self.bnconvert("validate", "--json", defect)
        #expect(found.status == 1)
        let findings = try #require(try JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [[String: Any]])
        #expect(findings.map { $0["code"] as? String } == ["BN005"])
        let unusable = try Self.bnconvert("validate", Self.repository.appendingPathComponent("Tests/HDF5Tests/Fixtures/not_hdf5.h5").path)
        #expect(unusable.status == 2)
        let warningOnly = Self.fixture("defects/epsilon_small.h5")
        #expect(try Self.bnconvert("validate", warningOnly).status == 0)
        #expect(try Self.bnconvert("validate", "--strict", warningOnly).status == 1)
    }

    @Test func convertRefusesAModelWithErrorsUnlessForced() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("m.bnm").path
        let refused = try Self.bnconvert(Self.fixture("defects/nan_gamma.h5"), output)
        #expect(refused.status == 1 && refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let forced = try Self.bnconvert(Self.fixture("defects/nan_gamma.h5"), output, "--force")
        #expect(forced.status == 0 && FileManager.default.fileExists(atPath: output), "\(forced.stderr)")
    }
}

/// The README's table of validation codes lists every code the library defines.
@Suite struct ReadmeCodeTableTests {
    @Test func everyFindingCodeIsDocumented() throws {
        let readme = try String(contentsOf: CLITests.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for code in FindingCode.allCases {
            #expect(readme.contains("| \(code.rawValue) |"), "README.md does not list \(code.rawValue)")
        }
    }
}
