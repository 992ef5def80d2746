import CHDF5

/// A dataset of any rank. Its shape and element type are read when it is opened; its data
/// only when asked for, whole or by hyperslab, so large tensors can be streamed.
public struct Dataset: HDF5Node {
    public let file: HDF5File
    public let handle: Handle
    public let path: String
    /// Dimensions in C (row-major) order; `[]` for a scalar dataset.
    public let shape: [Int]
    public let elementType: ElementType
    /// Chunk dimensions when the dataset is chunked, else nil.
    public let chunks: [Int]?
    /// The names of the filters in its pipeline (e.g. `["deflate"]`), in order.
    public let filters: [String]

    init(file: HDF5File, handle: Handle, path: String) throws {
        self.file = file
        self.handle = handle
        self.path = path
        let site = Site(file: file.path, path: path, operation: "describe dataset")
        let space = try Library.open(site, .dataspace) { H5Dget_space(handle.id) }
        let shape = try Dataspace.shape(of: space, site: site)
        self.shape = shape
        let type = try Library.open(site, .datatype) { H5Dget_type(handle.id) }
        elementType = Library.locked { TypeMapping.elementType(of: type.id) }
        let creation = try Library.open(site, .propertyList) { H5Dget_create_plist(handle.id) }
        (chunks, filters) = try Library.locked {
            var chunks: [Int]?
            if H5Pget_layout(creation.id) == H5D_CHUNKED {
                var dims = [hsize_t](repeating: 0, count: max(shape.count, 1))
                let rank = try Library.call(site) { H5Pget_chunk(creation.id, Int32(dims.count), &dims) }
                chunks = dims.prefix(Int(rank)).map { Int($0) }
            }
            let count = try Library.call(site) { H5Pget_nfilters(creation.id) }
            let filters = try (0..<UInt32(count)).map { index -> String in
                var flags: UInt32 = 0
                var elements = 0
                var name = [CChar](repeating: 0, count: 64)
                var config: UInt32 = 0
                let filter = try Library.call(site) {
                    H5Pget_filter2(creation.id, index, &flags, &elements, nil, name.count, &name, &config)
                }
                switch filter {
                case H5Z_FILTER_DEFLATE: return "deflate"
                case H5Z_FILTER_SHUFFLE: return "shuffle"
                case H5Z_FILTER_FLETCHER32: return "fletcher32"
                default: return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            return (chunks, filters)
        }
    }

    /// Number of elements (1 for a scalar). Throws only if the shape product overflows.
    public var elementCount: Int {
        get throws {
            guard let count = checkedProduct(shape) else {
                throw HDF5Error.shapeMismatch(file: file.path, path: path, detail: "shape \(shape) has more elements than fit in memory")
            }
            return count
        }
    }

    // MARK: - Reading

    /// Reads every element as `T`. The stored type must be exactly `T`'s (byte order aside):
    /// a float16 dataset read as `Float` is a ``HDF5Error/typeMismatch(file:path:stored:requested:)``,
    /// never a silent conversion.
    public func read<T: HDF5Scalar>(as type: T.Type = T.self) throws -> [T] {
        try requireType(T.elementType)
        let count = try elementCount
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            try readAll(into: UnsafeMutableRawBufferPointer(buffer))
            initialised = count
        }
    }

    /// Reads every element in the stored numeric type, as little-endian bytes in C order.
    public func readBytes() throws -> [UInt8] {
        guard let size = elementType.byteSize else { throw unsupported() }
        let (total, overflow) = try elementCount.multipliedReportingOverflow(by: size)
        guard !overflow else { throw HDF5Error.shapeMismatch(file: file.path, path: path, detail: "too large to read") }
        return try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialised in
            try readAll(into: UnsafeMutableRawBufferPointer(buffer))
            initialised = total
        }
    }

    /// Reads the block `start ..< start + count` (one entry per dimension) into `buffer`, in the
    /// stored numeric type, C order. `buffer` must hold exactly the block's bytes. This is how
    /// a tensor larger than memory-twice is streamed. The corresponding C call is
    /// `H5Sselect_hyperslab` followed by `H5Dread`.
    public func readSlab(start: [Int], count: [Int], into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let size = elementType.byteSize else { throw unsupported() }
        try checkSlab(start: start, count: count, elementSize: size, bufferBytes: buffer.count)
        guard buffer.count > 0 else { return }
        try withSlab(start: start, count: count, operation: "read") { memoryType, memorySpace, fileSpace in
            H5Dread(handle.id, memoryType, memorySpace, fileSpace, chdf5_p_default(), buffer.baseAddress)
        }
    }

    /// Reads a string dataset (variable or fixed length) as text.
    public func readStrings() throws -> [String] {
        guard case let .string(encoding) = elementType else {
            throw HDF5Error.typeMismatch(file: file.path, path: path, stored: elementType, requested: .string(.variableUTF8))
        }
        let site = site("read strings")
        let space = try Library.open(site, .dataspace) { H5Dget_space(handle.id) }
        return try StringIO.read(encoding: encoding, count: try elementCount, space: space, site: site) { memoryType, buffer in
            H5Dread(handle.id, memoryType, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer)
        }
    }

    private func readAll(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard buffer.count > 0 else { return }
        let site = site("read")
        let memoryType = try memoryType(site)
        try Library.call(site) {
            H5Dread(handle.id, memoryType.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), buffer.baseAddress)
        }
    }

    // MARK: - Writing

    /// Writes every element. `values.count` must equal the element count and `T` the element type.
    public func write<T: HDF5Scalar>(_ values: [T]) throws {
        try requireType(T.elementType)
        guard values.count == (try elementCount) else {
            throw HDF5Error.shapeMismatch(file: file.path, path: path, detail: "\(values.count) values for shape \(shape)")
        }
        try values.withUnsafeBytes { try writeBytes($0) }
    }

    /// Writes every element from little-endian bytes of the dataset's element type, C order.
    public func writeBytes(_ bytes: UnsafeRawBufferPointer) throws {
        guard let size = elementType.byteSize else { throw unsupported() }
        let (expected, overflow) = try elementCount.multipliedReportingOverflow(by: size)
        guard !overflow, bytes.count == expected else {
            throw HDF5Error.shapeMismatch(file: file.path, path: path, detail: "\(bytes.count) bytes for shape \(shape) of \(elementType)")
        }
        guard expected > 0 else { return }
        let site = site("write")
        let memoryType = try memoryType(site)
        try Library.call(site) {
            H5Dwrite(handle.id, memoryType.id, chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), bytes.baseAddress)
        }
    }

    /// Writes the block `start ..< start + count` from `bytes` (stored type, C order).
    public func writeSlab(start: [Int], count: [Int], bytes: UnsafeRawBufferPointer) throws {
        guard let size = elementType.byteSize else { throw unsupported() }
        try checkSlab(start: start, count: count, elementSize: size, bufferBytes: bytes.count)
        guard bytes.count > 0 else { return }
        try withSlab(start: start, count: count, operation: "write") { memoryType, memorySpace, fileSpace in
            H5Dwrite(handle.id, memoryType, memorySpace, fileSpace, chdf5_p_default(), bytes.baseAddress)
        }
    }

    /// Selects the block `start ..< start + count` in the file and a matching memory space,
    /// then makes the one `H5Dread`/`H5Dwrite` call `transfer` stands for.
    private func withSlab(
        start: [Int], count: [Int], operation: String, _ transfer: (hid_t, hid_t, hid_t) -> herr_t
    ) throws {
        let site = site("\(operation) slab \(start) + \(count)")
        let memoryType = try memoryType(site)
        try Library.locked {
            let fileSpace = try Library.open(site, .dataspace) { H5Dget_space(handle.id) }
            let memorySpace = try Dataspace.create(shape: count, site: site)
            if !shape.isEmpty {
                try Library.call(site) {
                    H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, start.map { hsize_t($0) }, nil, count.map { hsize_t($0) }, nil)
                }
            }
            try Library.call(site) { transfer(memoryType.id, memorySpace.id, fileSpace.id) }
        }
    }

    /// The type to read into or write from: the native equivalent of the stored numeric type,
    /// or for opaque data the stored type itself (opaque types convert only to their own tag).
    private func memoryType(_ site: Site) throws -> Handle {
        if case .opaque = elementType {
            return try Library.open(site, .datatype) { H5Dget_type(handle.id) }
        }
        return try TypeMapping.memoryType(for: elementType, site: site)
    }

    // MARK: - Checks

    private func requireType(_ requested: ElementType) throws {
        guard elementType == requested else {
            throw HDF5Error.typeMismatch(file: file.path, path: path, stored: elementType, requested: requested)
        }
    }

    private func unsupported() -> HDF5Error {
        if case .string = elementType {
            return .typeMismatch(file: file.path, path: path, stored: elementType, requested: .other("numeric"))
        }
        return .unsupportedType(file: file.path, path: path, description: elementType.code)
    }

    private func checkSlab(start: [Int], count: [Int], elementSize: Int, bufferBytes: Int) throws {
        let fail = { (detail: String) in HDF5Error.shapeMismatch(file: file.path, path: path, detail: detail) }
        guard start.count == shape.count, count.count == shape.count else {
            throw fail("slab of rank \(start.count)/\(count.count) for shape \(shape)")
        }
        for axis in shape.indices {
            let (end, overflow) = start[axis].addingReportingOverflow(count[axis])
            guard start[axis] >= 0, count[axis] >= 0, !overflow, end <= shape[axis] else {
                throw fail("slab start \(start) count \(count) outside shape \(shape)")
            }
        }
        guard let elements = checkedProduct(count) else { throw fail("slab \(count) too large") }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: elementSize)
        guard !overflow, bytes == bufferBytes else {
            throw fail("buffer of \(bufferBytes) bytes for a slab of \(elements) elements of \(elementType)")
        }
    }
}
