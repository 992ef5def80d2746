import BNModel
import Foundation
import Testing

/// The habits users bring from other command-line tools: -q/-v, a suggestion for a mistyped
/// subcommand, errors that name the file at fault (and JSON errors for scripts), a progress
/// line on a terminal only, a graph for Graphviz, shell completion and a man page.
@Suite struct UserHabitsTests {
    static let notHDF5 = CLITests.repository.appendingPathComponent("Tests/HDF5Tests/Fixtures/not_hdf5.h5").path
    static let hostile = CLITests.repository.appendingPathComponent("Tests/CLITests/Fixtures/hostile").path

    /// Runs the binary with extra environment variables and a working folder.
    static func bnconvert(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> CLITests.Outcome {
        try CLITests.run(CLITests.binary, arguments, in: folder, environment: environment)
    }

    /// The `{"error": {...}}` object a `--json` run prints for an unusable input.
    static func jsonError(_ outcome: CLITests.Outcome) throws -> [String: String] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], "\(outcome.stdout)")
        let error = try #require(object["error"] as? [String: String], "\(outcome.stdout)")
        #expect(Set(error.keys) == ["code", "file", "message"])
        return error
    }

    // MARK: --quiet and --verbose

    @Test func quietSaysNothingButErrorsAndVerboseSaysMore() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("m.bnm").path
        let normal = try CLITests.bnconvert(CLITests.fixture("residual_depthwise.h5"), output)
        #expect(normal.status == 0 && normal.stderr.contains("wrote \(output)"), "\(normal.stderr)")

        for flag in ["--quiet", "-q"] {
            let quiet = try CLITests.bnconvert(flag, CLITests.fixture("residual_depthwise.h5"), output)
            #expect(quiet.status == 0 && quiet.stderr.isEmpty && quiet.stdout.isEmpty, "\(flag): \(quiet.stdout)\(quiet.stderr)")
        }
        // Weights only, no architecture: inspect's note is gone, the listing (stdout) stays.
        let quietInspect = try CLITests.bnconvert("inspect", "--quiet", CLITests.fixture("nested_tfkeras.h5"))
        #expect(quietInspect.status == 0 && quietInspect.stderr.isEmpty && quietInspect.stdout.contains("inner_bn"), "\(quietInspect.stderr)")
        // Warnings go too; results stay.
        let quietValidate = try CLITests.bnconvert("validate", "-q", CLITests.fixture("defects/epsilon_small.h5"))
        #expect(quietValidate.status == 0 && quietValidate.stderr.isEmpty && quietValidate.stdout.contains("warning"), "\(quietValidate.stdout)")
        // Errors are still printed.
        let quietError = try CLITests.bnconvert("validate", "--quiet", folder.appendingPathComponent("missing.bnm").path)
        #expect(quietError.status == 2 && quietError.stderr.hasPrefix("bnconvert: error: "), "\(quietError.stderr)")
        // A refusal lists the errors that caused it, even quietly.
        let refused = try CLITests.bnconvert("-q", CLITests.fixture("defects/nan_gamma.h5"), folder.appendingPathComponent("nan.bnm").path)
        #expect(refused.status == 1 && refused.stderr.contains("VAL001") && refused.stderr.contains("--force"), "\(refused.stderr)")

        let verbose = try CLITests.bnconvert(CLITests.fixture("residual_depthwise.h5"), output, "--verbose")
        #expect(verbose.status == 0, "\(verbose.stderr)")
        // One line per layer (with its BN mode and inbound layers), and the time taken.
        let layers = try BNMFile(path: output).manifest.layers
        for layer in layers {
            #expect(verbose.stderr.contains("  \(layer.name): "), "no line for \(layer.name): \(verbose.stderr)")
        }
        #expect(verbose.stderr.contains("batch_norm [spatial") && verbose.stderr.contains(" s"), "\(verbose.stderr)")
        let verboseValidate = try CLITests.bnconvert("validate", "-v", output)
        #expect(verboseValidate.status == 0 && verboseValidate.stderr.contains("validated \(output) in "), "\(verboseValidate.stderr)")

        let both = try CLITests.bnconvert(CLITests.fixture("residual_depthwise.h5"), output, "-q", "-v")
        #expect(both.status == 64 && both.stderr.contains("--quiet and --verbose"), "\(both.stderr)")
    }

    // MARK: Mistyped subcommands

    @Test(arguments: [("inspekt", "inspect"), ("valdate", "validate"), ("verfy", "verify"), ("convret", "convert"),
                      ("Inspect", "inspect"), ("insp", "inspect")])
    func mistypedSubcommandIsSuggested(_ typed: String, _ meant: String) throws {
        let outcome = try CLITests.bnconvert(typed, "m.bnm")
        #expect(outcome.status == 64, "exit \(outcome.status)")
        #expect(outcome.stderr == "bnconvert: error: unknown command '\(typed)'; did you mean '\(meant)'? (see bnconvert --help)\n",
                "\(outcome.stderr)")
        #expect(outcome.stdout.isEmpty)
    }

    /// A file name is never taken for a command: it has an extension or a folder, or it exists.
    @Test func fileNamesStillConvert() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // An existing file without an extension, one letter from "convert".
        try FileManager.default.copyItem(atPath: CLITests.fixture("conv_bn_relu.h5"), toPath: folder.appendingPathComponent("convrt").path)
        let existing = try Self.bnconvert(["convrt", "out.bnm"], in: folder)
        #expect(existing.status == 0 && FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.bnm").path),
                "\(existing.stderr)")
        // A missing file with an extension is reported as a missing file.
        let missing = try Self.bnconvert(["inspekt.h5", "out2.bnm"], in: folder)
        #expect(missing.status == 2 && missing.stderr == "bnconvert: error: inspekt.h5: no such file\n", "\(missing.stderr)")
        // A word far from every command stays a file name.
        let far = try Self.bnconvert(["weights", "out3.bnm"], in: folder)
        #expect(far.status == 2 && far.stderr.hasPrefix("bnconvert: error: weights: no such file"), "\(far.stderr)")
    }

    // MARK: The error names the file that is wrong

    @Test func validateAndInspectNameAMissingInput() throws {
        for name in ["missing.bnm", "missing.h5"] {
            let path = "/nonexistent-\(UUID().uuidString)/\(name)"
            for command in ["validate", "inspect"] {
                let outcome = try CLITests.bnconvert(command, path)
                #expect(outcome.status == 2 && outcome.stderr == "bnconvert: error: \(path): no such file\n", "\(command): \(outcome.stderr)")
            }
        }
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = try CLITests.bnconvert("validate", folder.path)
        #expect(directory.status == 2 && directory.stderr.hasPrefix("bnconvert: error: \(folder.path): is a folder"), "\(directory.stderr)")
    }

    /// A bad --config is named, not the input; for every command that takes one.
    @Test func aBadConfigNamesTheConfig() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = CLITests.fixture("per_activation_bn.h5")
        let notJSON = folder.appendingPathComponent("model.json").path
        try Data("model: not json\n".utf8).write(to: URL(fileURLWithPath: notJSON))
        let binary = folder.appendingPathComponent("binary.json").path
        try Data([0x89, 0x48, 0x44, 0x46, 0xff, 0xfe]).write(to: URL(fileURLWithPath: binary))
        let missing = folder.appendingPathComponent("missing.json").path
        let cases: [(config: String, message: String)] = [
            (missing, "no such file"), (folder.path, "is a folder"), (notJSON, "not JSON"), (binary, "not JSON"),
        ]
        for (config, message) in cases {
            for command in [[input, folder.appendingPathComponent("out.bnm").path], ["inspect", input], ["validate", input]] {
                let outcome = try CLITests.bnconvert(command + ["--config", config])
                #expect(outcome.status == 2, "\(command) --config \(config): exit \(outcome.status)")
                #expect(outcome.stderr.hasPrefix("bnconvert: error: \(config): ") && outcome.stderr.contains(message)
                        && !outcome.stderr.contains(input) && outcome.stderr.split(separator: "\n").count == 1,
                        "\(command) --config \(config): \(outcome.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.bnm").path))
    }

    /// Every command that writes (convert, both ways) names its output and exits 73; no
    /// temporary file name is ever shown. (verify, inspect and validate write nothing.)
    @Test func anOutputThatCannotBeWrittenIsNamed() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), bnm).status == 0)
        // Read-only: root writes anywhere on a normal file system, so as root use sysfs.
        let readOnly = folder.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: readOnly.path)
        let readOnlyFolder = getuid() == 0 ? "/sys" : readOnly.path
        let missingFolder = folder.appendingPathComponent("missing").path
        let notAFolder = CLITests.fixture("conv_bn_relu.h5")
        for (input, name) in [(CLITests.fixture("conv_bn_relu.h5"), "out.bnm"), (bnm, "back.h5")] {
            for parent in [missingFolder, readOnlyFolder, notAFolder] {
                let output = parent + "/" + name
                let outcome = try CLITests.bnconvert(input, output)
                #expect(outcome.status == 73, "\(output): exit \(outcome.status): \(outcome.stderr)")
                #expect(outcome.stderr.hasPrefix("bnconvert: error: \(output): ") && !outcome.stderr.contains(".tmp")
                        && outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: readOnly.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: readOnly.path).isEmpty)
    }

    @Test func verifyNamesAMissingArray() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), bnm).status == 0)
        let missing = folder.appendingPathComponent("expected.npy").path
        let outcome = try CLITests.bnconvert("verify", bnm, "--input", CLITests.fixture("conv_bn_relu.input.npy"), "--expect", missing)
        #expect(outcome.status == 2 && outcome.stderr == "bnconvert: error: \(missing): no such file\n", "\(outcome.stderr)")
    }

    // MARK: verify and NaN

    @Test func verifySaysWhenTheModelComputesNaN() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("nan.bnm").path
        // A NaN γ, written anyway: every output is NaN.
        #expect(try CLITests.bnconvert(CLITests.fixture("defects/nan_gamma.h5"), bnm, "--force", "-q").status == 0)
        let input = CLITests.fixture("conv_bn_relu.input.npy")
        let batch = try NPY.read(input).shape[0]
        let expected = folder.appendingPathComponent("expected.npy").path
        try NPY.write(NDArray(shape: [batch, 3], values: [Float](repeating: 0.5, count: batch * 3)), to: expected)
        let outcome = try CLITests.bnconvert("verify", bnm, "--input", input, "--expect", expected)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.contains("FAIL: output dense is NaN at [0, 0] (flat index 0): \(batch * 3) of \(batch * 3) values are NaN"),
                "\(outcome.stdout)")
        #expect(!outcome.stdout.contains("worst absolute error 0.0") && !outcome.stdout.contains("PASS"), "\(outcome.stdout)")

        let json = try CLITests.bnconvert("verify", "--json", bnm, "--input", input, "--expect", expected)
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        #expect(object["passed"] as? Bool == false)
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(outputs.first?["output"] as? String == "dense" && outputs.first?["computed_non_finite_count"] as? Int == batch * 3)

        // A NaN in the expected array is Keras' side, and said so.
        let good = folder.appendingPathComponent("good.bnm").path
        #expect(try CLITests.bnconvert(CLITests.fixture("conv_bn_relu.h5"), good).status == 0)
        var keras = try NPY.read(CLITests.fixture("conv_bn_relu.expected.npy"))
        keras.values[4] = .nan
        let nanExpected = folder.appendingPathComponent("nan_expected.npy").path
        try NPY.write(keras, to: nanExpected)
        let expectedNaN = try CLITests.bnconvert("verify", good, "--input", input, "--expect", nanExpected)
        #expect(expectedNaN.status == 1 && expectedNaN.stdout.contains("FAIL: the expected values for output dense (\(nanExpected)) are NaN at [1, 1] (flat index 4): 1 of"),
                "\(expectedNaN.stdout)")
        #expect(!expectedNaN.stdout.contains("is NaN at"), "\(expectedNaN.stdout)")
    }

    // MARK: --json errors

    @Test func jsonErrorsAreObjectsWithStableCodes() throws {
        let missing = "/nonexistent-\(UUID().uuidString)/m.bnm"
        let cases: [(arguments: [String], code: String, file: String)] = [
            (["inspect", "--json", missing], "file_not_found", missing),
            (["validate", "--json", missing], "file_not_found", missing),
            (["inspect", "--json", Self.notHDF5], "not_hdf5", Self.notHDF5),
            (["validate", "--json", Self.notHDF5], "not_hdf5", Self.notHDF5),
            (["validate", "--json", Self.hostile + "/external_link.h5"], "outside_file", Self.hostile + "/external_link.h5"),
            (["inspect", "--json", Self.hostile + "/cycle_to_root.h5"], "link_cycle", Self.hostile + "/cycle_to_root.h5"),
            (["validate", "--json", CLITests.fixture("per_activation_bn.h5")], "architecture_required", CLITests.fixture("per_activation_bn.h5")),
            (["validate", "--json", CLITests.fixture("per_activation_bn.h5"), "--config", "/etc/hostname"], "invalid_config", "/etc/hostname"),
            (["verify", "--json", missing, "--input", "x.npy", "--expect", "y.npy"], "file_not_found", missing),
        ]
        for (arguments, code, file) in cases {
            let outcome = try CLITests.bnconvert(arguments)
            #expect(outcome.status == 2, "\(arguments): exit \(outcome.status)")
            let error = try Self.jsonError(outcome)
            #expect(error["code"] == code && error["file"] == file, "\(arguments): \(error)")
            // The same error, as a line, on stderr; the JSON message is that line's text after the file.
            #expect(outcome.stderr == "bnconvert: error: \(file): \(error["message"] ?? "")\n", "\(arguments): \(outcome.stderr)")
        }
        // A .bnm that is not one.
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fake = folder.appendingPathComponent("fake.bnm").path
        try Data(repeating: 0x41, count: 200).write(to: URL(fileURLWithPath: fake))
        for command in ["inspect", "validate"] {
            let outcome = try CLITests.bnconvert(command, "--json", fake)
            let error = try Self.jsonError(outcome)
            #expect(outcome.status == 2 && error["code"] == "not_bnm", "\(command): \(outcome.stdout)")
        }
        // Without --json, nothing on stdout.
        let plain = try CLITests.bnconvert("validate", Self.notHDF5)
        #expect(plain.status == 2 && plain.stdout.isEmpty)
    }

    // MARK: Progress

    /// A progress line is for a person at a terminal: never on stdout, never on a piped stderr.
    @Test func noProgressWhenPiped() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        let instant = ["BNCONVERT_PROGRESS_DELAY": "0"]
        let converted = try Self.bnconvert([CLITests.fixture("mobilenetv2.h5"), bnm], environment: instant)
        #expect(converted.status == 0 && converted.stdout.isEmpty)
        #expect(converted.stderr == "wrote \(bnm): \(try BNMFile(path: bnm).manifest.layers.count) layers, "
                + "\(try BNMFile(path: bnm).manifest.layers.reduce(0) { $0 + $1.tensors.count }) tensors\n", "\(converted.stderr)")
        let back = try Self.bnconvert([bnm, folder.appendingPathComponent("back.h5").path], environment: instant)
        #expect(back.status == 0 && !back.stderr.contains("\r") && !back.stderr.contains("converting"), "\(back.stderr)")
        let validated = try Self.bnconvert(["validate", CLITests.fixture("mobilenetv2.h5")], environment: instant)
        #expect(validated.status == 0 && validated.stderr.isEmpty, "\(validated.stderr)")
    }

    /// On a terminal (`script` gives the command one), the line shows bytes, rate and time left,
    /// and is erased when the work ends.
    @Test func progressOnATerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        let command = "BNCONVERT_PROGRESS_DELAY=0 '\(CLITests.binary)' '\(CLITests.fixture("mobilenetv2.h5"))' '\(bnm)' 2>&1 >/dev/null"
        let outcome = try CLITests.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("\r\u{1B}[Kconverting mobilenetv2.h5: ") && outcome.stdout.contains(" of 2.1 MiB (")
                && outcome.stdout.contains("/s"), "\(outcome.stdout.debugDescription)")
        // Erased before the closing note.
        #expect(outcome.stdout.contains("\r\u{1B}[Kwrote \(bnm)"), "\(outcome.stdout.debugDescription)")
        let quiet = try CLITests.run("/usr/bin/script", ["-qec", command.replacingOccurrences(of: "2>&1", with: "-q 2>&1"), "/dev/null"])
        #expect(quiet.status == 0 && !quiet.stdout.contains("converting"), "\(quiet.stdout.debugDescription)")
    }

    // MARK: inspect --dot

    /// Structurally valid DOT: one digraph with balanced braces, one node per layer, one edge
    /// per inbound connection, every edge between declared nodes. (`dot` itself is not needed.)
    static func checkDOT(_ text: String, layers: [(name: String, inbound: [String])]) {
        #expect(text.hasPrefix("digraph \"") && text.hasSuffix("}\n"), "\(text)")
        var depth = 0, inString = false, escaped = false
        for character in text {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "{", "[": depth += 1
            case "}", "]": depth -= 1; #expect(depth >= 0, "a closing brace too many")
            default: break
            }
        }
        #expect(depth == 0 && !inString, "unbalanced braces or an unterminated string")
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let nodes = lines.filter { $0.hasPrefix("\"") && !$0.contains("\" -> \"") && $0.hasSuffix("];") }
        let edges = lines.filter { $0.contains("\" -> \"") }
        #expect(nodes.count == layers.count, "\(nodes.count) nodes for \(layers.count) layers")
        let names = Set(nodes.map { String($0.dropFirst().prefix { $0 != "\"" }) })
        #expect(names == Set(layers.map(\.name)))
        var expectedEdges: [String] = []
        for layer in layers { expectedEdges += layer.inbound.map { "\"\($0)\" -> \"\(layer.name)\";" } }
        #expect(edges.sorted() == expectedEdges.sorted(), "\(edges)")
    }

    @Test func inspectDotDrawsTheLayerGraph() throws {
        let folder = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bnm = folder.appendingPathComponent("m.bnm").path
        let keras = CLITests.fixture("residual_depthwise.h5")
        #expect(try CLITests.bnconvert(keras, bnm).status == 0)
        let layers = try BNMFile(path: bnm).manifest.layers
        #expect(layers.contains { $0.inbound.count > 1 }, "the fixture should have a merge")
        for file in [bnm, keras] {
            let outcome = try CLITests.bnconvert("inspect", "--dot", file)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            Self.checkDOT(outcome.stdout, layers: layers.map { ($0.name, $0.inbound) })
            #expect(outcome.stdout.contains("batch_norm [spatial, ε="), "\(outcome.stdout)")
            #expect(outcome.stdout.contains("→ ["), "shapes on the nodes")
        }
        let usage = try CLITests.bnconvert("inspect", "--dot", "--json", bnm)
        #expect(usage.status == 64)
        let weightsOnly = try CLITests.bnconvert("inspect", "--dot", CLITests.fixture("nested_tfkeras.h5"))
        #expect(weightsOnly.status == 2 && weightsOnly.stderr.contains("--config") && weightsOnly.stdout.isEmpty, "\(weightsOnly.stderr)")
        let withConfig = try CLITests.bnconvert("inspect", "--dot", CLITests.fixture("nested_tfkeras.h5"), "--config", CLITests.fixture("nested_tfkeras.config.json"))
        #expect(withConfig.status == 0 && withConfig.stdout.contains("inner_bn"), "\(withConfig.stderr)")
    }

    // MARK: Shell completion and the manual

    @Test(arguments: [("bash", "complete -"), ("zsh", "#compdef bnconvert"), ("fish", "complete -c 'bnconvert'")])
    func completionScripts(_ shell: String, _ marker: String) throws {
        let outcome = try CLITests.bnconvert("--generate-completion-script", shell)
        #expect(outcome.status == 0 && outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains(marker), "\(outcome.stdout.prefix(200))")
        for name in ["inspect", "validate", "verify", "quiet", "dot"] {
            #expect(outcome.stdout.contains(name), "\(shell): no \(name)")
        }
    }

    /// What swift-argument-parser's GenerateManual plugin reads from the tool.
    @Test func helpDumpForTheManual() throws {
        let outcome = try CLITests.bnconvert("--experimental-dump-help")
        #expect(outcome.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let command = try #require(object["command"] as? [String: Any])
        #expect(command["commandName"] as? String == "bnconvert")
        #expect((command["subcommands"] as? [[String: Any]])?.compactMap { $0["commandName"] as? String }.contains("verify") == true)
    }
}
