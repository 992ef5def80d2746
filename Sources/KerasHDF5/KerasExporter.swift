import AtomicWrite
import BNModel
import Foundation
import ZIPFoundation
import HDF5
import JSONSchema

/// The reverse conversion: a `.bnm` (or any IR model) that came from a Keras file back to that
/// file's own layout, which Keras loads as it loaded the original. Every dataset is rebuilt at
/// its original path, Keras shape, dtype and attributes by undoing the recorded
/// ``WeightTransform``; γ/β that were materialised are dropped again; groups and their
/// attributes come from the recorded skeleton, and a full model gets its `model_config` back.
public enum KerasExporter {
    /// Checks everything the export trusts in a model's Keras provenance, reading no tensor
    /// data: every record decodes, names a tensor the model has, and its recorded Keras shape
    /// holds exactly that tensor's elements. `bnconvert validate` runs it on a `.bnm`, so a file
    /// it calls clean can be exported.
    public static func checkProvenance(_ model: Model) throws {
        try check(KerasProvenance.reverseRecord(in: model.provenance, source: source(of: model)).weights, in: model)
    }

    /// Where errors about `model`'s provenance say the fault lies.
    private static func source(of model: Model) -> String { "model '\(model.name)' provenance" }

    /// Every record names a tensor the model has, and its Keras shape holds exactly that tensor's elements.
    private static func check(_ records: [KerasWeightRecord], in model: Model) throws {
        let source = source(of: model)
        for record in records {
            guard let layer = model.layer(named: record.layer), let native = layer.tensor(record.role) else {
                throw KerasError.missingWeight(file: source, layer: record.layer, weight: record.role.rawValue)
            }
            guard productIfRepresentable(record.kerasShape) == native.elementCount, record.dtype == native.dtype else {
                throw KerasError.weightShape(file: source, layer: record.layer, weight: record.role.rawValue,
                                             expected: record.kerasShape, found: native.shape)
            }
        }
    }

    /// Keras loads a file by its suffix: `*.weights.h5` through Keras 3's positional reader,
    /// any other `*.h5` through the legacy one. A name that sends the layout to the wrong
    /// reader would give a file Keras refuses ("Layer count mismatch"), so it is refused here
    /// with the name that works.
    static func checkOutputName(_ path: String, model: Model) throws {
        let kind = KerasProvenance.fileKind(in: model.provenance)
        let name = AtomicWrite.split(path).name
        let stem = name.hasSuffix(".weights.h5") ? String(name.dropLast(".weights.h5".count))
            : name.hasSuffix(".h5") ? String(name.dropLast(".h5".count)) : name
        guard let kind else { return }
        let wantsKeras3Name = kind == .keras3Weights
        guard name.hasSuffix(".weights.h5") != wantsKeras3Name else { return }
        throw KerasError.outputName(
            file: path, layout: wantsKeras3Name ? "Keras 3 weights" : kind == .fullModel ? "full-model .h5" : "tf_keras weights .h5",
            suggested: stem + (wantsKeras3Name ? ".weights.h5" : ".h5"))
    }

    /// Every dataset to write with the native tensor it comes from, checked before any file
    /// exists; each is turned back into Keras' layout only when it is written, so the export
    /// holds one tensor at a time, not the model.
    private static func plan(_ model: Model) throws -> (writes: [(record: KerasWeightRecord, native: Tensor)], skeleton: [KerasGroupRecord], source: String) {
        let source = source(of: model)
        let recorded = try KerasProvenance.reverseRecord(in: model.provenance, source: source)
        try check(recorded.weights, in: model)
        let skeleton = recorded.skeleton
        let writes: [(record: KerasWeightRecord, native: Tensor)] = try recorded.weights.map { record in
            guard let layer = model.layer(named: record.layer), let native = layer.tensor(record.role) else {
                throw KerasError.missingWeight(file: source, layer: record.layer, weight: record.role.rawValue)
            }
            return (record, native)
        }
        return (writes, skeleton, source)
    }

    /// Writes one dataset. A large tensor whose native rows come from one Keras axis goes a
    /// block of rows at a time — each block turned back by the same transform and written as a
    /// hyperslab — so memory holds a block, not the tensor (the forward direction's rule, in
    /// reverse).
    private static func writeData(_ record: KerasWeightRecord, _ native: Tensor, to dataset: Dataset, source: String,
                                  blockBytes: Int) throws {
        guard native.byteCount > blockBytes, let rows = record.transform.rowSource(kerasShape: record.kerasShape),
              native.shape.first == record.kerasShape[rows.axis] * rows.rowsPerIndex else {
            try kerasTensor(record, native, source: source).withBytes { try dataset.writeBytes($0) }
            native.releasePages()
            return
        }
        let extent = record.kerasShape[rows.axis]
        let indexBytes = native.byteCount / max(extent, 1)
        let perBlock = max(1, blockBytes / max(indexBytes, 1))
        var first = 0
        while first < extent {
            let count = min(perBlock, extent - first)
            let block = try native.rows((first * rows.rowsPerIndex)..<((first + count) * rows.rowsPerIndex))
            var shape = record.kerasShape
            shape[rows.axis] = count
            let keras = try record.transform.inverse(block, kerasShape: shape)
            var start = [Int](repeating: 0, count: shape.count)
            start[rows.axis] = first
            try keras.withBytes { try dataset.writeSlab(start: start, count: shape, bytes: $0) }
            block.releasePages()
            first += count
        }
    }

    /// The Keras-layout tensor for one record.
    private static func kerasTensor(_ record: KerasWeightRecord, _ native: Tensor, source: String) throws -> Tensor {
        let keras = try record.transform.inverse(native, kerasShape: record.kerasShape)
        guard keras.shape == record.kerasShape, keras.dtype == record.dtype else {
            throw KerasError.weightShape(file: source, layer: record.layer, weight: record.role.rawValue,
                                         expected: record.kerasShape, found: keras.shape)
        }
        return keras
    }

    /// `source` names the model in errors about the model itself (the `.bnm` it was read from).
    public static func write(_ model: Model, to path: String, source: String? = nil) throws {
        try write(model, to: path, blockBytes: 32 << 20, source: source)
    }

    /// `blockBytes`: tensors larger than this are written a block of rows at a time.
    static func write(_ model: Model, to path: String, blockBytes: Int, source: String? = nil) throws {
        // Folding removed the batch norms' own parameters; no layout change brings them back.
        let folded = BatchNormFolding.recordedFolds(in: model)
        guard folded.isEmpty else { throw KerasError.foldedModel(file: source ?? path, batchNorms: folded.map(\.batchNorm)) }
        try checkOutputName(path, model: model)
        let planned = try plan(model)
        try keras {
            try HDF5File.writeAtomically(to: path) { root in try fill(root, model: model, planned: planned, blockBytes: blockBytes) }
        }
    }

    /// The groups, attributes and datasets of the Keras file `planned` describes, written under `root`.
    static func fill(_ root: Group, model: Model,
                     planned: (writes: [(record: KerasWeightRecord, native: Tensor)], skeleton: [KerasGroupRecord], source: String),
                     blockBytes: Int) throws {
        let source = planned.source
        for entry in planned.skeleton {
            let group = entry.path == "/" ? root : try root.createGroup(String(entry.path.dropFirst()))
            for attribute in entry.attributes {
                if attribute["name"]?.stringValue == "model_config", attribute["value"] == .null {
                    guard let architecture = model.provenance.sourceArchitecture else { continue }
                    var restored = attribute.objectValue ?? [:]
                    restored["value"] = .string(architecture)
                    try HDF5JSONView.writeAttribute(.object(restored), to: group, source: source)
                } else {
                    try HDF5JSONView.writeAttribute(attribute, to: group, source: source)
                }
            }
        }
        for (record, native) in planned.writes {
            let dataset = try root.createDataset(String(record.path.dropFirst()), type: elementType(record.dtype),
                                                 shape: record.kerasShape)
            try writeData(record, native, to: dataset, source: source, blockBytes: blockBytes)
            for attribute in record.attributes.arrayValue ?? [] {
                try HDF5JSONView.writeAttribute(attribute, to: dataset, source: source)
            }
        }
    }

    /// Writes a Keras 3 `.keras` archive — `metadata.json`, `config.json` (the architecture the
    /// `.bnm` carries) and `model.weights.h5` (the Keras 3 weights layout, rebuilt as for a
    /// `.weights.h5`) — which `keras.models.load_model` reads. Only a model that came from the
    /// Keras 3 weights layout (a `.keras` archive, or a `.weights.h5` with its config) has that
    /// layout to rebuild; the others are refused with the name that works.
    ///
    /// Both the weights and the archive are written to temporaries beside `path` named by
    /// `AtomicWrite`'s rule (so a crash leaves nothing a later run does not remove), entries are
    /// stored uncompressed as Keras does, and every entry carries the same fixed date, so the
    /// same `.bnm` gives the same bytes.
    public static func writeArchive(_ model: Model, to path: String, source: String? = nil) throws {
        let folded = BatchNormFolding.recordedFolds(in: model)
        guard folded.isEmpty else { throw KerasError.foldedModel(file: source ?? path, batchNorms: folded.map(\.batchNorm)) }
        let stem = AtomicWrite.split(path).name.replacingOccurrences(of: ".keras", with: "")
        guard KerasProvenance.fileKind(in: model.provenance) == .keras3Weights else {
            throw KerasError.outputName(file: path, layout: "legacy .h5", suggested: "\(stem).h5 (a .keras archive holds Keras 3's weights layout)")
        }
        guard let architecture = model.provenance.sourceArchitecture else {
            throw KerasError.architectureRequired(file: source ?? path)
        }
        let planned = try plan(model)
        AtomicWrite.removeStaleTemporaries(besides: path)
        let weights = AtomicWrite.temporaryPath(for: path), archivePath = AtomicWrite.temporaryPath(for: path)
        defer { unlink(weights) }
        do {
            try keras {
                try {
                    let file = try HDF5File.create(weights)
                    try fill(try file.root, model: model, planned: planned, blockBytes: 32 << 20)
                    try file.flush()
                }()
            }
            let metadata = try JSONValue.object(["keras_version": .string(model.provenance.sourceVersion)]).serialized()
            let archive = try Archive(url: URL(fileURLWithPath: archivePath), accessMode: .create)
            // DOS time starts in 1980; one fixed date makes the archive reproducible.
            let date = Date(timeIntervalSince1970: 315_532_800)
            for (name, text) in [("metadata.json", metadata), ("config.json", architecture)] {
                let data = Data(text.utf8)
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), modificationDate: date) { position, size in
                    data.subdata(in: Int(position) ..< Int(position) + size)
                }
            }
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: weights))
            defer { try? handle.close() }
            let size = try handle.seekToEnd()
            try archive.addEntry(with: "model.weights.h5", type: .file, uncompressedSize: Int64(size), modificationDate: date) { position, count in
                try handle.seek(toOffset: UInt64(position))
                return try handle.read(upToCount: count) ?? Data()
            }
        } catch {
            unlink(archivePath)
            throw (error as? HDF5Error).map { KerasError.hdf5($0) } ?? error
        }
        do {
            try AtomicWrite.commit(temporary: archivePath, to: path)
        } catch {
            throw KerasError.hdf5(.io(file: path, operation: error.operation, errno: error.errno))
        }
    }

    /// The HDF5 element type Keras stores a dtype as: bfloat16 as 2-byte opaque data (h5py's
    /// mapping of ml_dtypes' bfloat16).
    static func elementType(_ dtype: DType) -> ElementType {
        switch dtype {
        case .f16: .float16
        case .bf16: .opaque(size: 2)
        case .f32: .float32
        case .f64: .float64
        case .i8: .int8
        case .i16: .int16
        case .i32: .int32
        case .i64: .int64
        case .u8: .uint8
        }
    }
}

