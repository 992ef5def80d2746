import Foundation

/// Checks made before any work, so that a missing or unreadable file is reported as exactly
/// that, naming it: the input, a `--config`, an `.npy`, or the folder of the output.
enum Preflight {
    /// The file exists, is a regular file (or a link to one) and may be read.
    static func readable(_ path: String) throws(Failure) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = errno
            throw Failure(Failure.code(errno: reason), file: path, message: reason == ENOENT || reason == ENOTDIR
                ? "no such file" : "cannot open: \(String(cString: strerror(reason)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let kind = status.st_mode & S_IFMT == S_IFDIR ? "a folder" : "not a regular file"
            throw Failure(.notAFile, file: path, message: "is \(kind), not a file")
        }
        guard access(path, R_OK) == 0 else {
            throw Failure(.permissionDenied, file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
    }

    /// The text of an architecture file (`--config`): readable, and UTF-8. Whether it is JSON,
    /// and a Keras architecture, is decided by the importer, whose errors name this file too.
    static func configText(_ path: String) throws(Failure) -> String {
        try readable(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(.ioError, file: path, message: "cannot read it: \(String(cString: strerror(errno)))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw Failure(.invalidConfig, file: path, message: "not JSON: the bytes are not UTF-8 text (pass the file model.to_json() wrote)")
        }
        return text
    }

    /// The output's folder exists and may be written to (`output` itself is replaced atomically).
    static func writable(_ output: String) throws(Failure) {
        let folder = (output as NSString).deletingLastPathComponent
        let directory = folder.isEmpty ? "." : folder
        var status = stat()
        guard stat(directory, &status) == 0 else {
            throw Failure(.outputNotWritable, file: output, message: "cannot write it: the folder \(directory) does not exist")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(.outputNotWritable, file: output, message: "cannot write it: \(directory) is not a folder")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw Failure(.outputNotWritable, file: output,
                          message: "cannot write it: the folder \(directory) is not writable (\(String(cString: strerror(errno))))")
        }
        if stat(output, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            throw Failure(.outputNotWritable, file: output, message: "cannot write it: it is a folder")
        }
    }
}
