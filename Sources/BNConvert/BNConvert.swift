// The library as users first reach for it: `import BNConvert` (the product's name) brings the
// IR and `.bnm` reader/writer (BNModel), the Keras conversion both ways (KerasHDF5), the HDF5
// layer, JSON and JSON Schema, and the atomic-write primitive; and, defined here, the formats
// recognised by their bytes (`ModelFormat`), the table of readers and writers (`FormatTable`)
// and the conversion in both directions (`convert(from:to:options:)`, `ConversionJob`). Each
// module can still be imported alone by code that needs only part of it.
@_exported import AtomicWrite
@_exported import BNModel
@_exported import HDF5
@_exported import JSONSchema
@_exported import KerasHDF5
