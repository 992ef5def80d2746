// Target 1: a `.bnm` file opened and validated the way `bnconvert validate` and `verify` do.
//
// The header and manifest CRCs of the input are recomputed before it is written (the other
// header fields are kept as given), so mutations get past the checksums into the header
// rules, the manifest decoder, the tensor table, the model rules, the validator's findings
// and, for a model that opens, the reference interpreter on a small batch.
import BNModel
import FuzzSupport
import JSONSchema

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    FuzzSupport.fixChecksums(&bytes)
    let path = FuzzSupport.write(bytes, name: "input.bnm")

    // `bnconvert validate x.bnm`: the lenient pass that lists every finding.
    let result = Validator.validateFile(bnmPath: path)
    _ = Finding.jsonText(result.findings)
    _ = result.findings.map(\.description)

    // `inspect` / `verify`: the strict open, the full validate, then a reference pass.
    do {
        let file = try BNMFile(path: path)
        _ = file.manifestText.count
        _ = file.checksumFailures().map(\.description)
        do { try file.validate() } catch { _ = error.description }
        let model = try file.model()
        _ = Validator.validate(model, file: path).count
        FuzzSupport.runReference(model)
    } catch {
        _ = error.description
    }
    return 0
}

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    Mutators.mutateBNM(data, size: size, maxSize: maxSize, seed: seed, structuredPercent: 40, wholeFile: true)
}
