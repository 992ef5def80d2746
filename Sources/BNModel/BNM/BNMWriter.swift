#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import AtomicWrite
import JSONSchema

/// Writes a `Model` as a `.bnm` file.
///
/// The writer streams: each tensor's bytes go from its storage (memory, a mapped file or a lazy
/// source, in chunks of at most `chunkSize`) to the file, once, while their CRC-32 is computed.
/// The manifest, which precedes the data, is written with placeholder CRCs of fixed width
/// (`"00000000"`) and patched in place afterwards, so no source is read twice and the data never
/// has to be held whole.
///
/// Output goes to a temporary file in the destination's folder, is `fsync`ed and renamed over
/// the destination; on any failure before the rename the temporary file is removed and the
/// destination is left as it was. (Only the final `fsync` of the folder, which makes the rename
/// durable, can fail after the new file is in place; it is reported as `.io` all the same.)
/// The bytes depend only on the model: writing the same model twice gives identical files.
public enum BNMWriter {
    /// Writes `model` to `path`, replacing any existing file.
    public static func write(_ model: Model, to path: String, chunkSize: Int = 4 << 20) throws(BNMError) {
        try prepare(model, to: path, chunkSize: chunkSize).commit()
    }

    /// Sees every tensor's bytes once, in file order, as the writer streams them: the layer, the
    /// tensor's role in it, and the next piece of its native bytes.
    public typealias Observer = (_ layer: Layer, _ role: TensorRole, _ bytes: UnsafeRawBufferPointer) -> Void

    /// Writes `model` completely, beside `path`, without putting it in place: the caller looks
    /// at what `observe` saw (e.g. validates the values) and then commits or drops the file.
    /// This is how a conversion validates and writes in one pass over the weights.
    public static func prepare(_ model: Model, to path: String, chunkSize: Int = 4 << 20,
                               observe: Observer? = nil) throws(BNMError) -> PendingFile {
        let plan = try Plan(model: model, path: path)
        AtomicWrite.removeStaleTemporaries(besides: path)
        let temporary = AtomicWrite.temporaryPath(for: path)
        do {
            try writeFile(plan, model: model, temporary: temporary, destination: path, chunkSize: max(chunkSize, 64),
                          observe: observe)
        } catch {
            unlink(temporary)
            throw error
        }
        return PendingFile(temporary: temporary, destination: path)
    }

    /// A `.bnm` written and synced in full, not yet at its destination. Dropping it without
    /// `commit()` removes it.
    public final class PendingFile {
        let temporary: String
        public let destination: String
        private var done = false

        init(temporary: String, destination: String) {
            self.temporary = temporary
            self.destination = destination
        }

        /// Renames the file into place (atomically) and makes the rename durable.
        public func commit() throws(BNMError) {
            guard !done else { return }
            done = true
            do {
                try AtomicWrite.commit(temporary: temporary, to: destination)
            } catch {
                throw .io(path: destination, operation: error.operation, errno: error.errno)
            }
        }

        deinit {
            if !done { unlink(temporary) }
        }
    }

    /// Tensor names, offsets and the manifest text (with placeholder CRCs) for a model.
    /// The JSON Pointer of the first integer in `value` outside ±2⁵³, if any.
    static func firstUnsafeInteger(in value: JSONValue, pointer: String) -> String? {
        // The pointer is spelled out only for the integer found, not for every member visited.
        guard let path = unsafeIntegerPath(in: value) else { return nil }
        let text = pointer + path.reversed().map { "/" + escapePointerToken($0) }.joined()
        return text.isEmpty ? "/" : text
    }

    /// The reference tokens (innermost first) of the first integer outside ±2⁵³.
    private static func unsafeIntegerPath(in value: JSONValue) -> [String]? {
        switch value {
        case let .int(number):
            return number.magnitude > UInt64(BNMHeader.maxManifestInteger) ? [] : nil
        case let .array(items):
            for (index, item) in items.enumerated() {
                if var path = unsafeIntegerPath(in: item) { path.append(String(index)); return path }
            }
            return nil
        case let .object(members):
            for (key, item) in members {
                if var path = unsafeIntegerPath(in: item) { path.append(key); return path }
            }
            return nil
        default:
            return nil
        }
    }

    struct Plan {
        var entries: [BNMTensorEntry]
        var manifest: [UInt8]
        /// Where each entry's 8 CRC hex digits sit inside `manifest`.
        var crcPositions: [Int]
        var dataOffset: Int
        var dataLength: Int

        init(model: Model, path: String) throws(BNMError) {
            do {
                try model.validate()
            } catch {
                throw .invalidModel(path: path, pointer: "/model", error: error)
            }
            var entries: [BNMTensorEntry] = []
            var names: [[String]] = []
            var taken = Set<String>()
            var end = 0
            for layer in model.layers {
                var layerNames: [String] = []
                for named in layer.tensors {
                    let base = layer.name + "/" + named.role.rawValue
                    var name = base
                    var suffix = 2
                    while taken.contains(name) {
                        name = base + "#\(suffix)"
                        suffix += 1
                    }
                    taken.insert(name)
                    layerNames.append(name)
                    let tensor = named.tensor
                    let offset = entries.isEmpty ? 0 : Checked.alignUp(end, to: BNMHeader.alignment)
                    guard let offset, let tensorEnd = Checked.add(offset, tensor.byteCount),
                          tensorEnd <= BNMHeader.maxManifestInteger else {
                        throw .shapeOverflow(path: path, tensor: name, shape: tensor.shape, dtype: tensor.dtype)
                    }
                    entries.append(BNMTensorEntry(name: name, dtype: tensor.dtype, shape: tensor.shape, offset: offset,
                                                  length: tensor.byteCount, crc32: 0))
                    end = tensorEnd
                }
                names.append(layerNames)
            }
            let json = BNMManifest.json(for: model, entries: entries, tensorNames: names)
            // Readers refuse integers beyond ±2⁵³ (JSON numbers are doubles to many parsers), so
            // the writer must not produce them: a file this library writes, it can read.
            if let pointer = BNMWriter.firstUnsafeInteger(in: json, pointer: "") {
                throw .unencodableValue(path: path, pointer: pointer, message: "an integer beyond ±2^53 cannot be written in a manifest")
            }
            let text: String
            do {
                text = try json.serialized()
            } catch {
                guard case .nonFiniteNumber(let value, let pointer) = error else { preconditionFailure("unknown serialisation error \(error)") }
                throw .unencodableValue(path: path, pointer: pointer, message: "\(value) cannot be written as a JSON number")
            }
            manifest = Array(text.utf8)
            guard manifest.count <= BNMHeader.maxManifestLength else {
                throw .manifestTooLarge(path: path, length: UInt64(manifest.count), limit: BNMHeader.maxManifestLength)
            }
            // The "tensors" array is the manifest's last member and "crc32" the last member of
            // each entry, so the digits' positions follow from the entries' own text lengths.
            var entryLengths: [Int] = []
            for entry in entries {
                do {
                    entryLengths.append(try BNMManifest.tensorJSON(entry).serialized().utf8.count)
                } catch {
                    preconditionFailure("a tensor entry holds no doubles, so it always serialises: \(error)")
                }
            }
            let arrayLength = entryLengths.reduce(2, +) + max(entries.count - 1, 0)
            var start = manifest.count - 1 - arrayLength + 1
            crcPositions = []
            let marker = Array("\"crc32\":\"00000000\"}".utf8)
            for length in entryLengths {
                let position = start + length - 10
                precondition(Array(manifest[(position - 9)..<(position + 10)]) == marker,
                             "BNMWriter: CRC placeholder not where the layout puts it")
                crcPositions.append(position)
                start += length + 1
            }
            self.entries = entries
            dataOffset = Checked.alignUp(BNMHeader.size + manifest.count, to: BNMHeader.alignment)!
            dataLength = end
        }
    }

    private static func writeFile(_ plan: Plan, model: Model, temporary: String, destination: String,
                                  chunkSize: Int, observe: Observer?) throws(BNMError) {
        var file = try FileWriter(creating: temporary, reportPath: destination)
        try file.writeZeros(BNMHeader.size)
        try file.write(plan.manifest)
        try file.writeZeros(plan.dataOffset - file.position)
        var manifest = plan.manifest
        var index = 0
        for layer in model.layers {
            for named in layer.tensors {
                let entry = plan.entries[index]
                try file.writeZeros(plan.dataOffset + entry.offset - file.position)
                var crc = CRC32()
                var delivered = 0
                do {
                    try named.tensor.forEachChunk(maxChunkBytes: chunkSize) { chunk in
                        delivered += chunk.count
                        guard delivered <= entry.length else { return }
                        crc.update(chunk)
                        observe?(layer, named.role, chunk)
                        try file.write(chunk)
                    }
                } catch let error as BNMError {
                    throw error
                } catch {
                    throw .tensorSourceFailed(path: destination, tensor: entry.name, underlying: error)
                }
                guard delivered == entry.length else {
                    throw .tensorSizeChanged(path: destination, tensor: entry.name, expected: entry.length, actual: delivered)
                }
                let digits = Array(hex8(crc.value).utf8)
                manifest.replaceSubrange(plan.crcPositions[index]..<(plan.crcPositions[index] + 8), with: digits)
                index += 1
            }
        }
        try file.flush()
        try file.overwrite(manifest, at: BNMHeader.size)
        let header = BNMHeader(manifestOffset: UInt64(BNMHeader.size), manifestLength: UInt64(manifest.count),
                               manifestCRC32: CRC32.checksum(manifest), dataOffset: UInt64(plan.dataOffset),
                               dataLength: UInt64(plan.dataLength))
        try file.overwrite(header.encoded, at: 0)
        try file.finish()
    }
}
