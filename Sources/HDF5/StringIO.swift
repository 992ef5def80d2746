import CHDF5

/// Reading and writing string elements, shared by attributes and datasets.
enum StringIO {
    /// Reads `count` strings stored with `encoding`. `readCall` performs the `H5Aread` or
    /// `H5Dread` with the given memory type into the given buffer.
    static func read(
        encoding: StringEncoding, count: Int, space: Handle, site: Site,
        _ readCall: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        let memoryType = try TypeMapping.memoryType(for: .string(encoding), site: site)
        guard count > 0 else { return [] }
        return try Library.locked {
            switch encoding.length {
            case .variable:
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
                _ = try pointers.withUnsafeMutableBytes { raw in
                    try Library.call(site) { readCall(memoryType.id, raw.baseAddress!) }
                }
                defer {
                    // The strings were allocated by HDF5; give them back the way it wants.
                    pointers.withUnsafeMutableBytes { raw in
                        _ = H5Dvlen_reclaim(memoryType.id, space.id, chdf5_p_default(), raw.baseAddress)
                    }
                }
                return try pointers.map { pointer in
                    guard let pointer else { return "" }
                    return try decode(UnsafeBufferPointer(start: pointer, count: strlen(pointer)), site: site)
                }
            case let .fixed(size):
                // Both numbers come from the file: multiply them with a check.
                let (total, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow, size >= 0 else {
                    throw HDF5Error.shapeMismatch(file: site.file, path: site.path,
                                                  detail: "\(count) strings of \(size) bytes do not fit in memory")
                }
                var bytes = [CChar](repeating: 0, count: total)
                _ = try bytes.withUnsafeMutableBytes { raw in
                    try Library.call(site) { readCall(memoryType.id, raw.baseAddress!) }
                }
                return try (0..<count).map { index in
                    let element = bytes[index * size ..< (index + 1) * size]
                    // Null-terminated and null-padded both end at the first NUL; space-padded
                    // strings lose their trailing blanks, as h5py does.
                    var text = element.prefix { $0 != 0 }
                    while let last = text.last, last == 0x20 { text = text.dropLast() }
                    return try text.withUnsafeBufferPointer { try decode($0, site: site) }
                }
            }
        }
    }

    private static func decode(_ buffer: UnsafeBufferPointer<CChar>, site: Site) throws -> String {
        let bytes = UnsafeRawBufferPointer(buffer).bindMemory(to: UInt8.self)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw HDF5Error.invalidText(file: site.file, path: site.path)
        }
        return text
    }

    /// Calls `body` with a buffer of `strings` laid out for the memory type of `encoding`.
    static func withBuffer<R>(
        _ strings: [String], encoding: StringEncoding, site: Site, _ body: (UnsafeRawPointer?) throws -> R
    ) throws -> R {
        switch encoding.length {
        case .variable:
            let copies = strings.map { strdup($0) }
            defer { copies.forEach { free($0) } }
            return try copies.withUnsafeBytes { try body($0.baseAddress) }
        case let .fixed(size):
            var bytes = [UInt8](repeating: 0, count: strings.count * max(size, 1))
            for (index, string) in strings.enumerated() {
                let utf8 = Array(string.utf8)
                guard utf8.count <= size else {
                    throw HDF5Error.shapeMismatch(file: site.file, path: site.path,
                                                  detail: "string of \(utf8.count) bytes does not fit \(size)-byte fixed strings")
                }
                bytes.replaceSubrange(index * size ..< index * size + utf8.count, with: utf8)
            }
            return try bytes.withUnsafeBytes { try body($0.baseAddress) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
