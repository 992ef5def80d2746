// Target 4: the `.npy` reader (`verify --input/--expect`): preamble, header dictionary,
// shape arithmetic, every dtype's decoding; and, for an array that decodes, the writer and
// a second read, which must give back the same float32 values bit for bit.
import BNModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let header = try NPY.header(of: bytes, path: "<fuzz>")
        _ = header.elementType.dtype
        let array = try NPY.decode(bytes, path: "<fuzz>")
        precondition(array.shape == header.shape && array.values.count == header.elementCount,
                     "decode disagrees with its header: \(array.shape) vs \(header.shape)")
        let again = try NPY.decode(try NPY.encode(array), path: "<fuzz: re-encoded>")
        precondition(again.shape == array.shape
                     && zip(again.values, array.values).allSatisfy { $0.bitPattern == $1.bitPattern },
                     "encode then decode changed the array")
        if array.shape.count == 4 {
            _ = try? array.transposedNHWCtoNCHW()
            _ = try? array.transposedNCHWtoNHWC()
        }
    } catch {
        _ = error.description
    }
    return 0
}
