import CFuzzShim
import JSONSchema

/// Custom-mutator bodies shared by the targets. Each returns the new size of the input in
/// `data` (at most `maxSize`), mixing structure-aware edits of the JSON inside with
/// libFuzzer's own byte-level mutations.
public enum Mutators {
    /// libFuzzer's byte mutator on `bytes`, allowed to grow to `maxSize`.
    public static func libFuzzerMutate(_ bytes: [UInt8], maxSize: Int) -> [UInt8] {
        guard maxSize > 0 else { return bytes }
        var buffer = bytes + [UInt8](repeating: 0, count: max(0, maxSize - bytes.count))
        let size = buffer.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, min(bytes.count, maxSize), maxSize) }
        return Array(buffer.prefix(size))
    }

    /// One structured edit pass over JSON text; nil when the text is not JSON (the caller then
    /// falls back to byte mutations).
    public static func mutateJSONText(_ text: [UInt8], seed: UInt32) -> [UInt8]? {
        guard var value = try? JSONValue.parse(text) else { return nil }
        var mutator = JSONMutator(seed: seed)
        mutator.mutate(&value)
        guard let out = try? value.serialized() else { return nil }
        return Array(out.utf8)
    }

    /// Copies `bytes` into libFuzzer's buffer if they fit; otherwise leaves it as it was.
    public static func emit(_ bytes: [UInt8], into data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int) -> Int {
        guard bytes.count <= maxSize, !bytes.isEmpty else { return size }
        bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: bytes.count) }
        return bytes.count
    }

    /// A `.bnm` image: with `structuredPercent` chance the manifest is parsed, edited as JSON
    /// and the file reassembled canonically (checksums right); otherwise the manifest bytes
    /// (or, with `wholeFile`, the whole image) get libFuzzer's byte mutations. The data
    /// section is kept.
    public static func mutateBNM(_ data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int, seed: UInt32,
                                 structuredPercent: Int, wholeFile: Bool) -> Int {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        var random = FuzzRandom(seed: seed)
        let (manifest, section) = FuzzSupport.splitBNM(bytes)
        if random.chance(structuredPercent), let edited = mutateJSONText(manifest, seed: seed) {
            return emit(FuzzSupport.assembleBNM(manifest: edited, data: section), into: data, size: size, maxSize: maxSize)
        }
        if wholeFile {
            return emit(libFuzzerMutate(bytes, maxSize: maxSize), into: data, size: size, maxSize: maxSize)
        }
        let room = maxSize - 128 - section.count
        guard room > 0 else { return size }
        let edited = libFuzzerMutate(manifest, maxSize: room)
        return emit(FuzzSupport.assembleBNM(manifest: edited, data: section), into: data, size: size, maxSize: maxSize)
    }

    /// An input made of a prefix of `prefixLength` bytes (kept, or changed by byte mutations
    /// now and then) and JSON text after it, edited structurally with `structuredPercent` chance.
    public static func mutatePrefixedJSON(_ data: UnsafeMutablePointer<UInt8>, size: Int, maxSize: Int, seed: UInt32,
                                          prefixLength: Int, structuredPercent: Int) -> Int {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        var random = FuzzRandom(seed: seed)
        guard bytes.count > prefixLength else { return emit(libFuzzerMutate(bytes, maxSize: maxSize), into: data, size: size, maxSize: maxSize) }
        var prefix = Array(bytes.prefix(prefixLength))
        let text = Array(bytes.dropFirst(prefixLength))
        if random.chance(5) { prefix = prefix.map { $0 &+ UInt8(truncatingIfNeeded: random.next()) } }
        if random.chance(structuredPercent), let edited = mutateJSONText(text, seed: seed) {
            return emit(prefix + edited, into: data, size: size, maxSize: maxSize)
        }
        let edited = libFuzzerMutate(text, maxSize: maxSize - prefixLength)
        return emit(prefix + edited, into: data, size: size, maxSize: maxSize)
    }
}
