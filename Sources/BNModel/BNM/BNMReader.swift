import JSONSchema

/// An opened `.bnm` file: the header and manifest checked and decoded, the tensor data mapped
/// but untouched.
///
/// Opening enforces every structural rule of docs/FORMAT.md — magic, version, header CRC,
/// manifest cap and CRC, schema, tensor extents, alignment, overlap, layout, and the model's own
/// rules — so nothing handed out later can point outside the file. Tensor checksums are verified
/// only on request (`verifyChecksums()`, `model(verifyChecksums: true)`, `validate()`), since
/// that reads every byte.
///
/// Tensors handed out are zero-copy views that keep the mapping alive; the `BNMFile` itself may
/// be dropped.
public final class BNMFile: Sendable {
    public let path: String
    public let header: BNMHeader
    public let manifest: BNMManifest
    /// The exact manifest bytes of the file, as text (always valid UTF-8 once opened).
    public let manifestText: String
    let mapping: MappedFile
    /// Offset of the data section from the start of the file.
    let dataOffset: Int
    /// The model with zero-copy tensors, built and validated at open.
    private let structure: Model
    /// Position of each tensor in `manifest.tensors`, by name.
    private let tensorIndex: [String: Int]

    /// Opens, maps and checks the file at `path`.
    public init(path: String) throws(BNMError) {
        self.path = path
        do {
            mapping = try MappedFile(path: path)
        } catch {
            throw .io(path: path, operation: error.operation, errno: error.errno)
        }
        let bytes = mapping.bytes
        let header = try Self.readHeader(bytes, path: path)
        self.header = header
        let manifestStart = Int(header.manifestOffset), manifestLength = Int(header.manifestLength)
        dataOffset = Int(header.dataOffset)
        let manifestBytes = UnsafeRawBufferPointer(rebasing: bytes[manifestStart..<(manifestStart + manifestLength)])

        let actualCRC = CRC32.checksum(manifestBytes)
        guard actualCRC == header.manifestCRC32 else {
            throw .manifestChecksumMismatch(path: path, expected: header.manifestCRC32, actual: actualCRC)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(manifestBytes)
        } catch {
            throw .manifestNotJSON(path: path, offset: manifestStart + error.offset, message: error.message)
        }
        manifestText = String(decoding: manifestBytes, as: UTF8.self)
        do {
            manifest = try BNMManifest(json: json, strict: header.minor <= BNMHeader.currentMinor)
        } catch {
            throw .manifestSchema(path: path, pointer: error.pointer, message: error.message)
        }
        try Self.checkTensorTable(manifest.tensors, dataLength: Int(header.dataLength), path: path)
        try Self.checkReferences(manifest, path: path)
        structure = try Self.buildModel(manifest, mapping: mapping, dataOffset: dataOffset, path: path)
        tensorIndex = Dictionary(uniqueKeysWithValues: manifest.tensors.enumerated().map { ($0.element.name, $0.offset) })
    }

    // MARK: Header

    /// Checks magic, version, header CRC and the header's extents against the file size.
    static func readHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws(BNMError) -> BNMHeader {
        let size = bytes.count
        let magic = BNMHeader.magic
        let prefix = Array(bytes.prefix(8))
        if prefix != Array(magic.prefix(prefix.count)) {
            if let damage = textModeDamage(Array(bytes.prefix(16))) { throw .textModeDamage(path: path, detail: damage) }
            throw .badMagic(path: path, found: prefix)
        }
        guard size >= 12 else { throw .truncated(path: path, what: "header", needed: BNMHeader.size, available: size) }
        let major: UInt16 = bytes.littleEndian(at: 8, as: UInt16.self)
        guard major == BNMHeader.currentMajor else {
            throw .unsupportedMajorVersion(path: path, found: major, supported: BNMHeader.currentMajor)
        }
        guard size >= BNMHeader.size else { throw .truncated(path: path, what: "header", needed: BNMHeader.size, available: size) }
        let storedHeaderCRC: UInt32 = bytes.littleEndian(at: 60, as: UInt32.self)
        let headerCRC = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        guard storedHeaderCRC == headerCRC else {
            throw .headerChecksumMismatch(path: path, expected: storedHeaderCRC, actual: headerCRC)
        }
        let header = BNMHeader(
            major: major, minor: bytes.littleEndian(at: 10, as: UInt16.self), flags: bytes.littleEndian(at: 12, as: UInt32.self),
            manifestOffset: bytes.littleEndian(at: 16, as: UInt64.self), manifestLength: bytes.littleEndian(at: 24, as: UInt64.self),
            manifestCRC32: bytes.littleEndian(at: 48, as: UInt32.self),
            dataOffset: bytes.littleEndian(at: 32, as: UInt64.self), dataLength: bytes.littleEndian(at: 40, as: UInt64.self))
        let unknownRequired = header.flags & BNMHeader.requiredFlagsMask
        guard unknownRequired == 0 else { throw .unsupportedRequiredFlags(path: path, flags: unknownRequired) }
        // The reserved bytes are zero in the minors this reader knows (covered by the header
        // CRC, so a non-zero one comes from a writer, not from damage); a newer minor may use them.
        let knownMinor = header.minor <= BNMHeader.currentMinor
        if knownMinor, let index = (BNMHeader.reservedRange).first(where: { bytes[$0] != 0 }) {
            throw .nonZeroPadding(path: path, offset: index)
        }

        let limit = UInt64(BNMHeader.maxManifestInteger)
        for (field, value) in [("manifest_offset", header.manifestOffset), ("data_offset", header.dataOffset),
                               ("data_length", header.dataLength)] where value > limit {
            throw .invalidHeaderField(path: path, field: field, value: value, message: "exceeds 2^53")
        }
        guard header.manifestOffset >= UInt64(BNMHeader.size) else {
            throw .invalidHeaderField(path: path, field: "manifest_offset", value: header.manifestOffset,
                                      message: "must be at least \(BNMHeader.size) (the manifest follows the header)")
        }
        guard !knownMinor || header.manifestOffset == UInt64(BNMHeader.size) else {
            throw .invalidHeaderField(path: path, field: "manifest_offset", value: header.manifestOffset,
                                      message: "must be \(BNMHeader.size) in a file of version 1.\(header.minor) (the manifest follows the header directly)")
        }
        guard header.manifestLength <= UInt64(BNMHeader.maxManifestLength) else {
            throw .manifestTooLarge(path: path, length: header.manifestLength, limit: BNMHeader.maxManifestLength)
        }
        // All three now fit in Int with room to add: each ≤ 2^53.
        let manifestEnd = Int(header.manifestOffset) + Int(header.manifestLength)
        let dataOffset = Int(header.dataOffset), dataEnd = Int(header.dataOffset) + Int(header.dataLength)
        guard dataOffset % BNMHeader.alignment == 0 else {
            throw .invalidHeaderField(path: path, field: "data_offset", value: header.dataOffset, message: "must be a multiple of 64")
        }
        guard dataOffset >= manifestEnd else {
            throw .invalidHeaderField(path: path, field: "data_offset", value: header.dataOffset,
                                      message: "must not be inside the manifest (which ends at \(manifestEnd))")
        }
        // manifestEnd ≤ 2^53 + 2^26, so rounding it up cannot overflow.
        let paddedManifestEnd = (manifestEnd + BNMHeader.alignment - 1) / BNMHeader.alignment * BNMHeader.alignment
        guard dataOffset == paddedManifestEnd else {
            throw .invalidHeaderField(path: path, field: "data_offset", value: header.dataOffset,
                                      message: "must be the manifest's end rounded up to a multiple of 64 (\(paddedManifestEnd)): at most 63 padding bytes")
        }
        guard manifestEnd <= size else { throw .truncated(path: path, what: "manifest", needed: manifestEnd, available: size) }
        guard dataEnd <= size else { throw .truncated(path: path, what: "data section", needed: dataEnd, available: size) }
        guard dataEnd == size else { throw .trailingBytes(path: path, expectedSize: dataEnd, actualSize: size) }
        return header
    }

    /// The text-mode damage patterns of FORMAT.md ("Text-mode damage"), in the order they are
    /// tried: the bytes a file starts with after that damage, and what happened.
    static let textModeDamagePatterns: [(start: [UInt8], detail: String)] = [
        ([0x09, 0x42, 0x4E, 0x4D], "the high bit of the first byte was stripped (7-bit transfer)"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x1A, 0x0A], "CR LF was converted to LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A], "LF was converted to CR LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0A, 0x1A, 0x0D, 0x0A], "LF was converted to CR LF"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x1A, 0x0D], "line endings were converted to CR"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0D, 0x0D, 0x1A, 0x0D], "line endings were converted to CR"),
        ([0x89, 0x42, 0x4E, 0x4D, 0x0A, 0x0A, 0x1A, 0x0A], "line endings were converted to LF"),
    ]

    /// What text-mode damage `start` (the file's first bytes) shows; nil when the bytes are simply
    /// not a `.bnm` file. A pattern counts only when the file holds all of its bytes.
    static func textModeDamage(_ start: [UInt8]) -> String? {
        textModeDamagePatterns.first { start.count >= $0.start.count && Array(start.prefix($0.start.count)) == $0.start }?.detail
    }

    // MARK: Tensor table

    /// Per tensor: size arithmetic without overflow, length, alignment, extent; then in table
    /// order: no overlap, no holes (each starts at the previous end rounded up to 64, the first
    /// at 0) and a data length that ends exactly at the last tensor.
    static func checkTensorTable(_ tensors: [BNMTensorEntry], dataLength: Int, path: String) throws(BNMError) {
        var names = Set<String>(minimumCapacity: tensors.count)
        for entry in tensors {
            guard names.insert(entry.name).inserted else { throw .duplicateTensorName(path: path, tensor: entry.name) }
            guard let expected = Checked.byteCount(dtype: entry.dtype, shape: entry.shape),
                  expected <= BNMHeader.maxManifestInteger else {
                throw .shapeOverflow(path: path, tensor: entry.name, shape: entry.shape, dtype: entry.dtype)
            }
            guard expected == entry.length else {
                throw .lengthMismatch(path: path, tensor: entry.name, expected: expected, actual: entry.length)
            }
            guard entry.offset % BNMHeader.alignment == 0 else {
                throw .misaligned(path: path, tensor: entry.name, offset: entry.offset)
            }
            // offset, length ≤ 2^53 (schema), so the sum cannot overflow.
            guard entry.offset + entry.length <= dataLength else {
                throw .extentOutOfBounds(path: path, tensor: entry.name, offset: entry.offset, length: entry.length, dataLength: dataLength)
            }
        }
        var end = 0
        for (index, entry) in tensors.enumerated() {
            let expectedOffset = index == 0 ? 0 : (end + BNMHeader.alignment - 1) & ~(BNMHeader.alignment - 1)
            if entry.offset < expectedOffset, entry.length > 0,
               let earlier = tensors[..<index].first(where: { $0.length > 0 && $0.offset < entry.offset + entry.length
                                                              && entry.offset < $0.offset + $0.length }) {
                throw .overlappingTensors(path: path, first: earlier.name, second: entry.name)
            }
            guard entry.offset == expectedOffset else {
                throw .unexpectedGap(path: path, tensor: entry.name, offset: entry.offset, expectedOffset: expectedOffset)
            }
            end = entry.offset + entry.length
        }
        guard dataLength == end else { throw .dataLengthMismatch(path: path, declared: dataLength, expected: end) }
    }

    /// Every layer reference names a listed tensor, and every tensor is used by exactly one layer.
    static func checkReferences(_ manifest: BNMManifest, path: String) throws(BNMError) {
        let listed = Set(manifest.tensors.map(\.name))
        var used = Set<String>(minimumCapacity: manifest.tensors.count)
        for (layerIndex, layer) in manifest.layers.enumerated() {
            for (index, reference) in layer.tensors.enumerated() {
                guard listed.contains(reference.tensor) else {
                    throw .unknownTensor(path: path, layer: layer.name, tensor: reference.tensor)
                }
                guard used.insert(reference.tensor).inserted else {
                    throw .inconsistentManifest(path: path, pointer: "/model/layers/\(layerIndex)/tensors/\(index)/tensor",
                                                message: "uses tensor '\(reference.tensor)', which another layer already uses")
                }
            }
        }
        if let unused = manifest.tensors.enumerated().first(where: { !used.contains($0.element.name) }) {
            throw .inconsistentManifest(path: path, pointer: "/tensors/\(unused.offset)",
                                        message: "tensor '\(unused.element.name)' is used by no layer")
        }
    }

    // MARK: Access

    /// The tensor called `name`, as a zero-copy view of the mapped file.
    public func tensor(named name: String) throws(BNMError) -> Tensor {
        guard let index = tensorIndex[name] else { throw .noSuchTensor(path: path, tensor: name) }
        return try tensor(manifest.tensors[index])
    }

    func tensor(_ entry: BNMTensorEntry) throws(BNMError) -> Tensor {
        try Self.tensor(entry, mapping: mapping, dataOffset: dataOffset, path: path)
    }

    static func tensor(_ entry: BNMTensorEntry, mapping: MappedFile, dataOffset: Int, path: String) throws(BNMError) -> Tensor {
        // Extents were checked against the file before this is called; these cannot fail.
        guard let region = MappedRegion(file: mapping, offset: dataOffset + entry.offset, count: entry.length) else {
            throw .extentOutOfBounds(path: path, tensor: entry.name, offset: entry.offset, length: entry.length,
                                     dataLength: mapping.count - dataOffset)
        }
        do {
            return try Tensor(dtype: entry.dtype, shape: entry.shape, storage: .mapped(region))
        } catch {
            throw .lengthMismatch(path: path, tensor: entry.name, expected: entry.length, actual: region.count)
        }
    }

    /// The model, with every tensor a zero-copy view of the file. Without `verifyChecksums` no
    /// tensor byte is read, so this is also how to get the structure cheaply (e.g. for
    /// `bnconvert inspect`). The model's rules were already checked when the file was opened.
    public func model(verifyChecksums: Bool = false) throws(BNMError) -> Model {
        if verifyChecksums { try self.verifyChecksums() }
        return structure
    }

    private static func buildModel(_ manifest: BNMManifest, mapping: MappedFile, dataOffset: Int,
                                   path: String) throws(BNMError) -> Model {
        var entries: [String: BNMTensorEntry] = [:]
        entries.reserveCapacity(manifest.tensors.count)
        for entry in manifest.tensors { entries[entry.name] = entry }
        var layers: [Layer] = []
        layers.reserveCapacity(manifest.layers.count)
        for entry in manifest.layers {
            var tensors: [NamedTensor] = []
            for reference in entry.tensors {
                guard let tensorEntry = entries[reference.tensor] else {
                    throw .unknownTensor(path: path, layer: entry.name, tensor: reference.tensor)
                }
                tensors.append(NamedTensor(role: reference.role,
                                           tensor: try tensor(tensorEntry, mapping: mapping, dataOffset: dataOffset, path: path)))
            }
            layers.append(Layer(name: entry.name, op: entry.op, inbound: entry.inbound, tensors: tensors,
                                outputShape: entry.outputShape))
        }
        let model = Model(name: manifest.modelName, inputs: manifest.inputs, outputs: manifest.outputs, layers: layers,
                          provenance: manifest.provenance, layoutNotes: manifest.layoutNotes)
        do {
            try model.validate()
        } catch {
            throw .invalidModel(path: path, pointer: pointer(for: error, in: manifest), error: error)
        }
        return model
    }

    /// The JSON Pointer of the layer (or list) a model error is about.
    private static func pointer(for error: ModelError, in manifest: BNMManifest) -> String {
        let layer: String
        switch error {
        case .duplicateLayerName(let name): layer = name
        case .unknownInbound(let name, _), .invalidAttribute(let name, _, _), .duplicateRole(let name, _),
             .missingTensor(let name, _), .badTensor(let name, _, _, _, _):
            layer = name
        case .unknownEndpoint(let kind, _): return "/model/\(kind)s"
        }
        guard let index = manifest.layers.lastIndex(where: { $0.name == layer }) else { return "/model/layers" }
        return "/model/layers/\(index)"
    }

    /// Reads every tensor and compares its CRC-32; throws `checksumMismatch` naming the first
    /// damaged tensor (in data order).
    public func verifyChecksums() throws(BNMError) {
        if let failure = checksumFailures().first { throw failure }
    }

    /// Every tensor whose bytes do not match its CRC-32, in data order (empty when all match).
    public func checksumFailures() -> [BNMError] {
        var failures: [BNMError] = []
        let bytes = mapping.bytes
        for entry in manifest.tensors {
            let start = dataOffset + entry.offset
            // A piece at a time, each released once checked: the pages leave the resident set
            // (the page cache keeps them for the next read), so a 400 MB tensor costs 8 MiB.
            var crc = CRC32()
            var position = start
            while position < start + entry.length {
                let end = min(position + (8 << 20), start + entry.length)
                crc.update(UnsafeRawBufferPointer(rebasing: bytes[position..<end]))
                mapping.release(position..<end)
                position = end
            }
            let actual = crc.value
            if actual != entry.crc32 {
                failures.append(.checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, actual: actual))
            }
        }
        return failures
    }

    /// Everything a reader can check: all of `init`'s checks, the manifest against the embedded
    /// JSON Schema (`BNMSchema`, for minor versions this library knows), every tensor's CRC-32
    /// and that every padding byte is zero. Throws the first problem found.
    public func validate() throws(BNMError) {
        if header.minor <= BNMHeader.currentMinor {
            let problems: [ValidationError]
            do {
                problems = try BNMSchema.validate(manifest.json)
            } catch {
                throw .manifestSchema(path: path, pointer: "", message: "cannot check: the embedded schema does not compile: \(error)")
            }
            if let first = problems.first {
                throw .manifestSchema(path: path, pointer: first.instanceLocation, message: first.message)
            }
        }
        _ = try model(verifyChecksums: true)
        let bytes = mapping.bytes
        // The reserved header bytes, and the absence of bytes between header and manifest, were
        // checked at open (for the minors this library knows; a newer minor may use both).
        var gaps: [Range<Int>] = [Int(header.manifestOffset + header.manifestLength)..<dataOffset]
        var end = 0
        for entry in manifest.tensors {
            gaps.append((dataOffset + end)..<(dataOffset + entry.offset))
            end = entry.offset + entry.length
        }
        for gap in gaps {
            for offset in gap where bytes[offset] != 0 { throw .nonZeroPadding(path: path, offset: offset) }
        }
    }

    /// Opens `path` and runs every check including checksums (see `validate()`).
    public static func validate(path: String) throws(BNMError) {
        try BNMFile(path: path).validate()
    }
}
