import JSONSchema

extension Validator {
    /// Every file-level finding of the `.bnm` at `path` plus the IR rules on the model it holds;
    /// `unusable` says why when the file cannot be read at all.
    ///
    /// Unlike `BNMFile(path:)`, which stops at the first problem, this opens the file leniently:
    /// it checks the header, manifest and tensor table in the reader's order (docs/FORMAT.md,
    /// "Rules a reader must enforce") and stops only where going on would mean trusting bytes
    /// that failed a check (a damaged header or manifest, extents outside the file). Past that
    /// point it does not stop: every tensor's CRC-32 is verified (a mismatch is `FILE001` at the
    /// owning layer and role, and that tensor's values are not judged), every padding byte is
    /// checked, the manifest is checked against the schema, and the model is built *without*
    /// `Model.validate()` so that the IR rules report a wrong batch-norm shape as `BN003`/`BN004`
    /// at its layer instead of the reader refusing the whole file.
    ///
    /// `unusable` is set — with no findings to go on — for a file that cannot be opened or
    /// mapped, is not a `.bnm` (bad magic), or has a major version or required flags this
    /// reader does not know.
    public static func validateFile(bnmPath path: String) -> (findings: [Finding], unusable: String?) {
        validateFile(bnmPath: path, moreRules: nil)
    }

    /// `validateFile(bnmPath:)`, with `moreRules` run on the model the check built (when the
    /// file was usable and no rule found an error): a caller's own rules — the reverse
    /// conversion's, say — without opening and decoding the file a second time.
    public static func validateFile(bnmPath path: String, moreRules: ((Model) -> [Finding])?) -> (findings: [Finding], unusable: String?) {
        var check = BNMFileCheck(path: path)
        check.moreRules = moreRules
        let unusable = check.run()
        return (check.findings, unusable)
    }
}

/// One lenient pass over a `.bnm` file; see `Validator.validateFile(bnmPath:)`.
struct BNMFileCheck {
    let path: String
    private(set) var findings: [Finding] = []
    /// Which layer and role uses each tensor-table entry, once the manifest is decoded.
    private var owners: [String: TensorKey] = [:]
    /// The caller's rules, run last on the model (see `Validator.validateFile(bnmPath:moreRules:)`).
    var moreRules: ((Model) -> [Finding])?

    init(path: String) { self.path = path }

    /// Runs every check; returns why the file is unusable, or nil.
    mutating func run() -> String? {
        let mapping: MappedFile
        do {
            mapping = try MappedFile(path: path)
        } catch {
            return Self.text(BNMError.io(path: path, operation: error.operation, errno: error.errno), path: path)
        }
        let bytes = mapping.bytes
        let header: BNMHeader
        do {
            header = try BNMFile.readHeader(bytes, path: path)
        } catch {
            return add(error)
        }
        let manifestStart = Int(header.manifestOffset), manifestLength = Int(header.manifestLength)
        let dataOffset = Int(header.dataOffset)
        // readHeader checked manifest end ≤ data offset ≤ data end = file size, all ≤ 2^53.
        let manifestBytes = UnsafeRawBufferPointer(rebasing: bytes[manifestStart..<(manifestStart + manifestLength)])
        let manifestCRC = CRC32.checksum(manifestBytes)
        guard manifestCRC == header.manifestCRC32 else {
            return add(.manifestChecksumMismatch(path: path, expected: header.manifestCRC32, actual: manifestCRC))
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(manifestBytes)
        } catch {
            return add(.manifestNotJSON(path: path, offset: manifestStart + error.offset, message: error.message))
        }
        let knownMinor = header.minor <= BNMHeader.currentMinor
        let manifest: BNMManifest
        do {
            manifest = try BNMManifest(json: json, strict: knownMinor)
        } catch {
            return add(.manifestSchema(path: path, pointer: error.pointer, message: error.message))
        }
        owners.reserveCapacity(manifest.tensors.count)
        for layer in manifest.layers {
            for reference in layer.tensors where owners[reference.tensor] == nil {
                owners[reference.tensor] = TensorKey(layer: layer.name, role: reference.role.rawValue)
            }
        }
        do {
            try BNMFile.checkTensorTable(manifest.tensors, dataLength: Int(header.dataLength), path: path)
            try BNMFile.checkReferences(manifest, path: path)
        } catch {
            return add(error)
        }
        if knownMinor { checkSchema(manifest.json) }

        var entries: [String: BNMTensorEntry] = [:]
        entries.reserveCapacity(manifest.tensors.count)
        for entry in manifest.tensors { entries[entry.name] = entry }
        var layers: [Layer] = []
        layers.reserveCapacity(manifest.layers.count)
        for entry in manifest.layers {
            var tensors: [NamedTensor] = []
            for reference in entry.tensors {
                guard let tensorEntry = entries[reference.tensor] else { continue }  // reported by checkReferences
                do {
                    tensors.append(NamedTensor(role: reference.role,
                                               tensor: try BNMFile.tensor(tensorEntry, mapping: mapping, dataOffset: dataOffset, path: path)))
                } catch {
                    _ = add(error)
                }
            }
            layers.append(Layer(name: entry.name, op: entry.op, inbound: entry.inbound, tensors: tensors, outputShape: entry.outputShape))
        }

        // One pass over the data: each tensor's CRC-32 and the statistics the value rules need
        // are computed from the same bytes while they are in cache, a piece at a time, and the
        // pieces are released as the pass moves on.
        var damaged = Set<TensorKey>()
        var values = ValueScan()
        var uses: [String: [(Layer, TensorRole)]] = [:]  // tensor-table name → who reads it
        uses.reserveCapacity(manifest.tensors.count)
        for (entry, layer) in zip(manifest.layers, layers) {
            for reference in entry.tensors { uses[reference.tensor, default: []].append((layer, reference.role)) }
        }
        let piece = 4 << 20
        for entry in manifest.tensors {
            // Extents were checked against the data section, which ends at the file's end.
            let start = dataOffset + entry.offset
            var crc = CRC32()
            var position = start
            while position < start + entry.length {
                let end = min(position + piece, start + entry.length)
                let chunk = UnsafeRawBufferPointer(rebasing: bytes[position..<end])
                crc.update(chunk)
                for (layer, role) in uses[entry.name] ?? [] { values.add(chunk, role: role, layer: layer) }
                mapping.release(position..<end)
                position = end
            }
            if crc.value != entry.crc32 {
                _ = add(.checksumMismatch(path: path, tensor: entry.name, expected: entry.crc32, actual: crc.value))
                if let owner = owners[entry.name] { damaged.insert(owner) }
            }
        }
        checkPadding(bytes, header: header, manifest: manifest)

        let model = Model(name: manifest.modelName, inputs: manifest.inputs, outputs: manifest.outputs, layers: layers,
                          provenance: manifest.provenance, layoutNotes: manifest.layoutNotes)
        var rules = ModelRules(model: model, file: path, damaged: damaged, values: values)
        rules.run()
        findings += rules.findings
        if let moreRules, !findings.contains(where: { $0.severity == .error }) { findings += moreRules(model) }
        return nil
    }

    /// The manifest against the embedded schema: every problem is a `FILE005` (the typed
    /// decoder already accepted the manifest, so these are the rules only the schema states).
    private mutating func checkSchema(_ json: JSONValue) {
        let problems: [ValidationError]
        do {
            problems = try BNMSchema.validate(json)
        } catch {
            report(.file005, "the manifest could not be checked: the embedded schema does not compile: \(error)",
                   hint: "this is a bug in bnconvert; please report it")
            return
        }
        for problem in problems {
            report(.file005, "manifest field '\(problem.instanceLocation)' \(problem.message)", hint: Self.hint(.file005))
        }
    }

    /// The padding after the manifest and between tensors must be zero (FORMAT.md rule 14). The
    /// reserved header bytes were checked by `readHeader` (rule 4).
    private mutating func checkPadding(_ bytes: UnsafeRawBufferPointer, header: BNMHeader, manifest: BNMManifest) {
        let dataOffset = Int(header.dataOffset)
        var gaps: [Range<Int>] = [Int(header.manifestOffset + header.manifestLength)..<dataOffset]
        var end = 0
        for entry in manifest.tensors {
            gaps.append((dataOffset + end)..<(dataOffset + entry.offset))
            end = entry.offset + entry.length
        }
        for gap in gaps {
            if let offset = gap.first(where: { bytes[$0] != 0 }) {
                _ = add(.nonZeroPadding(path: path, offset: offset))
            }
        }
    }

    private mutating func report(_ code: FindingCode, layer: String? = nil, tensor: String? = nil, _ message: String, hint: String) {
        findings.append(Finding(code, .init(file: path, layer: layer, tensor: tensor), message: message, hint: hint))
    }

    /// Records `error` as a finding; returns its text instead when it makes the file unusable.
    private mutating func add(_ error: BNMError) -> String? {
        let code: FindingCode
        var tensor: String?
        var layer: String?
        switch error {
        case .io, .badMagic, .unsupportedMajorVersion, .unsupportedRequiredFlags:
            return Self.text(error, path: path)
        case .textModeDamage:
            code = .file007
        case .headerChecksumMismatch, .manifestChecksumMismatch:
            code = .file002
        case .invalidHeaderField(_, let field, let value, _):
            code = field == "data_offset" && value % UInt64(BNMHeader.alignment) != 0 ? .file004 : .file003
        case .truncated, .trailingBytes, .manifestTooLarge, .dataLengthMismatch:
            code = .file003
        case .shapeOverflow(_, let name, _, _), .lengthMismatch(_, let name, _, _), .extentOutOfBounds(_, let name, _, _, _),
             .unexpectedGap(_, let name, _, _), .overlappingTensors(_, _, let name):
            code = .file003
            tensor = name
        case .misaligned(_, let name, _):
            code = .file004
            tensor = name
        case .checksumMismatch(_, let name, _, _):
            code = .file001
            tensor = name
        case .duplicateTensorName(_, let name), .noSuchTensor(_, let name):
            code = .file005
            tensor = name
        case .unknownTensor(_, let owner, let name):
            code = .file005
            layer = owner
            tensor = name
        case .manifestNotJSON, .manifestSchema, .inconsistentManifest, .invalidModel, .tensorSourceFailed, .tensorSizeChanged,
             .unencodableValue:
            code = .file005
        case .nonZeroPadding:
            code = .file006
        }
        // A tensor-table name becomes its owner's layer and role, the vocabulary of every other finding.
        if layer == nil, let name = tensor, let owner = owners[name] {
            layer = owner.layer
            tensor = owner.role
        }
        report(code, layer: layer, tensor: tensor, Self.text(error, path: path), hint: Self.hint(code))
        return nil
    }

    /// The error's sentence without the leading "path: ", which the finding's location carries.
    static func text(_ error: BNMError, path: String) -> String {
        let description = error.description
        let prefix = path + ": "
        return description.hasPrefix(prefix) ? String(description.dropFirst(prefix.count)) : description
    }

    static func hint(_ code: FindingCode) -> String {
        switch code {
        case .file001: return "the tensor's bytes changed after the file was written; re-copy or re-convert the file"
        case .file002: return "the header or manifest was damaged; re-copy or re-convert the file"
        case .file003: return "the file was cut short or extended in transfer, or written by a broken writer; re-copy or re-convert it"
        case .file004: return "only a writer that breaks docs/FORMAT.md produces this; re-convert with bnconvert"
        case .file005: return "the manifest was edited by hand or written by a broken writer; re-convert the model"
        case .file006: return "padding and reserved bytes must be zero; re-convert the model"
        case .file007: return "transfer the file again in binary mode"
        default: return "re-convert the model"
        }
    }
}
