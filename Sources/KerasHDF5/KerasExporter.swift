import AtomicWrite
import BNModel
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
        let (writes, skeleton, source) = try plan(model)
        try keras {
            try HDF5File.writeAtomically(to: path) { root in
                for entry in skeleton {
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
                for (record, native) in writes {
                    let dataset = try root.createDataset(String(record.path.dropFirst()), type: elementType(record.dtype),
                                                         shape: record.kerasShape)
                    try writeData(record, native, to: dataset, source: source, blockBytes: blockBytes)
                    for attribute in record.attributes.arrayValue ?? [] {
                        try HDF5JSONView.writeAttribute(attribute, to: dataset, source: source)
                    }
                }
            }
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

