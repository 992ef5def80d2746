// Target 2: the reverse export (`bnconvert model.bnm back.h5`) of `.bnm` files whose manifest
// is mutated — numbers, strings and structure of the Keras records in provenance.extra
// (keras_weights, keras_skeleton) as much as the model — and re-checksummed.
//
// Input: a `.bnm` image. Whatever the bytes, the harness rebuilds a canonical file from the
// manifest and data section it finds (header and manifest CRCs right, manifest at 64, data at
// the next multiple of 64), so every input reaches the manifest decoder. A model that opens
// is exported with `KerasExporter.write` into a scratch folder, and an exported file is read
// back with `KerasImporter.read` (the round trip `bnconvert` promises).
import BNModel
import FuzzSupport
import KerasHDF5

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let (manifest, section) = FuzzSupport.splitBNM(bytes)
    let path = FuzzSupport.write(FuzzSupport.assembleBNM(manifest: manifest, data: section), name: "input.bnm")
    let output = "\(FuzzSupport.scratch)/back.h5"
    defer { FuzzSupport.clearScratch() }
    do {
        let model = try BNMFile(path: path).model()
        try KerasExporter.write(model, to: output)
        let architecture = model.provenance.extra["keras_architecture_in_file"]?.boolValue == true
            ? nil : model.provenance.sourceArchitecture
        let imported = try KerasImporter.read(path: output, options: KerasImportOptions(architectureJSON: architecture))
        _ = KerasValidation.validate(imported, path: output).count
    } catch {
        _ = "\(error)"
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    Mutators.mutateBNM(data, size: size, maxSize: maxSize, seed: seed, structuredPercent: 60, wholeFile: false)
}
