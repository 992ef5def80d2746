import Foundation
import Testing

/// Where the committed fixtures and the repository's scripts are.
enum Paths {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    static func temporaryFile(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bnconvert-hdf5-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name).path
    }
}

/// Runs a command and returns its exit status and output.
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, stdout, String(decoding: stderr, as: UTF8.self))
}

/// Runs `body` with this process's stderr redirected to a file and returns what was written
/// there, to prove that HDF5's own error stack never reaches the user's terminal.
func capturingStandardError<T>(_ body: () throws -> T) rethrows -> (T, String) {
    let path = Paths.temporaryFile("stderr.txt")
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    fflush(nil)
    let saved = dup(2)
    let capture = open(path, O_WRONLY)
    dup2(capture, 2)
    close(capture)
    defer {
        fflush(nil)
        dup2(saved, 2)
        close(saved)
    }
    let result = try body()
    fflush(nil)
    let written = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return (result, written)
}
