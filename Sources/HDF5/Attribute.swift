import CHDF5

/// An attribute as stored: its element type, shape (`[]` for a scalar) and values.
public struct Attribute: Equatable, Sendable {
    public var name: String
    public var type: ElementType
    public var shape: [Int]
    public var value: AttributeValue

    public init(name: String, type: ElementType, shape: [Int], value: AttributeValue) {
        self.name = name
        self.type = type
        self.shape = shape
        self.value = value
    }
}

/// Attribute values, widened to one Swift type per kind; ``Attribute/type`` keeps the stored one.
public enum AttributeValue: Equatable, Sendable {
    case integers([Int64])
    case unsignedIntegers([UInt64])
    case floats([Double])
    case strings([String])

    public var strings: [String]? { if case let .strings(values) = self { values } else { nil } }
    public var floats: [Double]? {
        switch self {
        case let .floats(values): values
        case let .integers(values): values.map(Double.init)
        case let .unsignedIntegers(values): values.map(Double.init)
        case .strings: nil
        }
    }
    public var integers: [Int64]? {
        switch self {
        case let .integers(values): values
        case let .unsignedIntegers(values): values.compactMap { Int64(exactly: $0) }
        case .floats, .strings: nil
        }
    }
}

extension HDF5Node {
    /// The names of this object's attributes, in name order.
    public func attributeNames() throws -> [String] {
        let site = site("list attributes")
        return try Library.locked {
            var info = H5O_info_t()
            try Library.call(site) { H5Oget_info2(handle.id, &info, UInt32(H5O_INFO_NUM_ATTRS)) }
            return try (0..<info.num_attrs).map { position in
                let length = try Library.call(site) {
                    H5Aget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, position, nil, 0, chdf5_p_default())
                }
                var buffer = [CChar](repeating: 0, count: length + 1)
                try Library.call(site) {
                    H5Aget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, position, &buffer, buffer.count, chdf5_p_default())
                }
                let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                guard let name = String(validating: bytes, as: UTF8.self) else {
                    throw HDF5Error.invalidText(file: file.path, path: path)
                }
                return name
            }
        }
    }

    public func hasAttribute(_ name: String) throws -> Bool {
        try Library.call(site("check attribute \(name)")) { H5Aexists(handle.id, name) } > 0
    }

    /// Reads one attribute: numeric scalars and arrays (widened to Int64, UInt64 or Double),
    /// and strings — scalar or 1-D, variable or fixed length, ASCII or UTF-8.
    public func attribute(_ name: String) throws -> Attribute {
        let location = "\(path)@\(name)"
        guard try hasAttribute(name) else {
            throw HDF5Error.notFound(file: file.path, path: location, kind: .attribute)
        }
        let site = Site(file: file.path, path: location, operation: "read attribute")
        let attribute = try Library.open(site, .attribute) { H5Aopen(handle.id, name, chdf5_p_default()) }
        let storedType = try Library.open(site, .datatype) { H5Aget_type(attribute.id) }
        let type = Library.locked { TypeMapping.elementType(of: storedType.id) }
        let space = try Library.open(site, .dataspace) { H5Aget_space(attribute.id) }
        let shape = try Dataspace.shape(of: space, site: site)
        guard let count = checkedProduct(shape) else {
            throw HDF5Error.shapeMismatch(file: file.path, path: location, detail: "shape \(shape) too large")
        }
        let value: AttributeValue
        switch type {
        case let .string(encoding):
            value = .strings(try StringIO.read(encoding: encoding, count: count, space: space, site: site) { memoryType, buffer in
                H5Aread(attribute.id, memoryType, buffer)
            })
        case .float16, .float32, .float64:
            value = .floats(try readNumbers(attribute, count: count, as: Double.self, memoryType: chdf5_native_double(), site: site))
        case .int8, .int16, .int32, .int64:
            value = .integers(try readNumbers(attribute, count: count, as: Int64.self, memoryType: chdf5_native_int64(), site: site))
        case .uint8, .uint16, .uint32, .uint64:
            value = .unsignedIntegers(try readNumbers(attribute, count: count, as: UInt64.self, memoryType: chdf5_native_uint64(), site: site))
        case .opaque:
            throw HDF5Error.unsupportedType(file: file.path, path: location, description: type.code)
        case let .other(description):
            throw HDF5Error.unsupportedType(file: file.path, path: location, description: description)
        }
        return Attribute(name: name, type: type, shape: shape, value: value)
    }

    /// A string list that may have been split across numbered attributes: `name` when it
    /// exists, else `name0`, `name1`, … joined in order (Keras splits lists whose attribute
    /// would exceed HDF5's 64 KiB object-header limit that way).
    public func stringListAttribute(_ name: String) throws -> [String] {
        if try hasAttribute(name) { return try stringValues(of: name) }
        var joined: [String] = []
        var chunk = 0
        while try hasAttribute("\(name)\(chunk)") {
            joined += try stringValues(of: "\(name)\(chunk)")
            chunk += 1
        }
        guard chunk > 0 else {
            throw HDF5Error.notFound(file: file.path, path: "\(path)@\(name)", kind: .attribute)
        }
        return joined
    }

    private func stringValues(of name: String) throws -> [String] {
        let attribute = try attribute(name)
        switch attribute.value {
        case let .strings(values): return values
        // Keras writes an empty list as a zero-length float64 array.
        case let .floats(values) where values.isEmpty: return []
        default:
            throw HDF5Error.typeMismatch(file: file.path, path: "\(path)@\(name)", stored: attribute.type,
                                         requested: .string(.variableASCII))
        }
    }

    private func readNumbers<T>(_ attribute: Handle, count: Int, as: T.Type, memoryType: hid_t, site: Site) throws -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            if count > 0 {
                try Library.call(site) { H5Aread(attribute.id, memoryType, buffer.baseAddress) }
            }
            initialised = count
        }
    }

    // MARK: - Writing

    /// Writes (or replaces) an attribute. `shape` `[]` makes a scalar; the value count must
    /// match the shape. Strings are written with `type`'s encoding; numbers are converted by
    /// HDF5 from the Swift values to `type` (little-endian in the file).
    public func writeAttribute(_ name: String, type: ElementType, shape: [Int], value: AttributeValue) throws {
        let location = "\(path)@\(name)"
        let site = Site(file: file.path, path: location, operation: "write attribute")
        let count: Int = switch value {
        case let .strings(values): values.count
        case let .floats(values): values.count
        case let .integers(values): values.count
        case let .unsignedIntegers(values): values.count
        }
        guard checkedProduct(shape) == count else {
            throw HDF5Error.shapeMismatch(file: file.path, path: location, detail: "\(count) values for shape \(shape)")
        }
        try Library.locked {
            if try hasAttribute(name) {
                try Library.call(site) { H5Adelete(handle.id, name) }
            }
            let fileType = try TypeMapping.fileType(for: type, site: site)
            let space = try Dataspace.create(shape: shape, site: site)
            let creation = try CreationProperties.attributeCreation(site)
            let attribute = try Library.open(site, .attribute) {
                H5Acreate2(handle.id, name, fileType.id, space.id, creation.id, chdf5_p_default())
            }
            func write(_ memoryType: hid_t, _ pointer: UnsafeRawPointer?) throws {
                guard count > 0 else { return }
                try Library.call(site) { H5Awrite(attribute.id, memoryType, pointer) }
            }
            switch (value, type) {
            case let (.strings(values), .string(encoding)):
                let memoryType = try TypeMapping.memoryType(for: .string(encoding), site: site)
                try StringIO.withBuffer(values, encoding: encoding, site: site) { try write(memoryType.id, $0) }
            case let (.floats(values), _) where type.isNumeric:
                try values.withUnsafeBytes { try write(chdf5_native_double(), $0.baseAddress) }
            case let (.integers(values), _) where type.isNumeric:
                try values.withUnsafeBytes { try write(chdf5_native_int64(), $0.baseAddress) }
            case let (.unsignedIntegers(values), _) where type.isNumeric:
                try values.withUnsafeBytes { try write(chdf5_native_uint64(), $0.baseAddress) }
            default:
                throw HDF5Error.typeMismatch(file: file.path, path: location, stored: type, requested: type)
            }
        }
    }

    /// A scalar string attribute (Keras' `backend`, `keras_version`, `model_config`).
    public func writeAttribute(_ name: String, string: String, encoding: StringEncoding = .variableUTF8) throws {
        try writeAttribute(name, type: .string(encoding), shape: [], value: .strings([string]))
    }

    /// A 1-D string attribute (Keras' `layer_names`, `weight_names`).
    public func writeAttribute(_ name: String, strings: [String], encoding: StringEncoding) throws {
        try writeAttribute(name, type: .string(encoding), shape: [strings.count], value: .strings(strings))
    }
}
