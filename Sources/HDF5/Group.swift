import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// A group: a folder of named links to groups and datasets.
public struct Group: HDF5Node {
    public let file: HDF5File
    public let handle: Handle
    public let path: String

    /// The order children are listed in.
    public enum Order: Sendable {
        /// Byte order of the UTF-8 names (what h5py's `list(group)` gives).
        case name
        /// The order the links were created in; only groups created with creation-order
        /// tracking have it, and asking another group for it is an error rather than a guess.
        case creation
    }

    /// The names of the direct children, in one pass over the group's links (asking for each
    /// name by its index instead costs a walk of the group's B-tree per name: quadratic in
    /// the number of children, minutes for a 100,000-layer model). The corresponding C
    /// function is `H5Literate`.
    public func children(order: Order = .name) throws -> [String] {
        let site = site("list children")
        return try Library.locked {
            if order == .creation, try !tracksCreationOrder() {
                throw HDF5Error.library(
                    file: file.path, path: path, operation: "list children in creation order",
                    message: "the group was created without link creation-order tracking")
            }
            final class Names { var names: [String] = []; var invalid = false }
            let collected = Names()
            var position: hsize_t = 0
            let index = order == .name ? H5_INDEX_NAME : H5_INDEX_CRT_ORDER
            _ = try withExtendedLifetime(collected) {
                try Library.call(site) {
                    H5Literate(handle.id, index, H5_ITER_INC, &position, { _, name, _, context in
                        guard let name, let context else { return -1 }
                        let names = Unmanaged<Names>.fromOpaque(context).takeUnretainedValue()
                        let bytes = UnsafeRawBufferPointer(start: name, count: strlen(name))
                        guard let text = String(validating: bytes, as: UTF8.self) else {
                            names.invalid = true
                            return 1  // stop: the caller reports it
                        }
                        names.names.append(text)
                        return 0
                    }, Unmanaged.passUnretained(collected).toOpaque())
                }
            }
            if collected.invalid { throw HDF5Error.invalidText(file: site.file, path: site.path) }
            return collected.names
        }
    }

    /// Whether links in this group remember the order they were created in.
    public func tracksCreationOrder() throws -> Bool {
        let site = site("read group creation properties")
        let properties = try Library.open(site, .propertyList) { H5Gget_create_plist(handle.id) }
        var flags: UInt32 = 0
        try Library.call(site) { H5Pget_link_creation_order(properties.id, &flags) }
        return flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0
    }

    /// What is at `relativePath` ("a/b/c" walks through groups), or `nil` when nothing is.
    public func kind(of relativePath: String) throws -> ObjectKind? {
        try Library.locked {
            guard try linkExists(relativePath) else { return nil }
            let target = childPath(relativePath)
            let object = try Library.open(site("open object", target), .object) {
                H5Oopen(handle.id, relativePath, chdf5_p_default())
            }
            switch H5Iget_type(object.id) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            case H5I_DATATYPE: return .namedType
            default: return .other
            }
        }
    }

    /// Whether anything exists at `relativePath`.
    public func contains(_ relativePath: String) throws -> Bool {
        try kind(of: relativePath) != nil
    }

    /// Opens the group at `relativePath`.
    public func group(_ relativePath: String) throws -> Group {
        let target = childPath(relativePath)
        let opened = try open(relativePath, as: .group, kind: .group) { H5Gopen2(handle.id, relativePath, chdf5_p_default()) }
        return Group(file: file, handle: opened, path: target)
    }

    /// Opens the dataset at `relativePath`, reading its shape and element type (not its data).
    public func dataset(_ relativePath: String) throws -> Dataset {
        let target = childPath(relativePath)
        let opened = try open(relativePath, as: .dataset, kind: .dataset) { H5Dopen2(handle.id, relativePath, chdf5_p_default()) }
        return try Dataset(file: file, handle: opened, path: target)
    }

    /// Opens an object directly — one lookup, the common case — and only when that fails asks
    /// what is at the path, so that a missing object or one of another kind gets its own error
    /// (checking first would walk the path three times for every object opened).
    private func open(_ relativePath: String, as expected: ObjectKind, kind: Handle.Kind, _ call: () -> hid_t) throws -> Handle {
        let site = site("open \(expected.rawValue)", childPath(relativePath))
        return try Library.locked {
            _ = H5Eclear2(chdf5_e_default())
            let id = call()
            if id >= 0 { return Handle(id: id, kind: kind) }
            let failure = ErrorStack.capture().error(at: site)
            try expect(relativePath, is: expected)  // throws notFound / wrongKind when that is why
            throw failure
        }
    }

    /// Creates a child group. With `trackCreationOrder` its children can later be listed in
    /// the order they were made (``Order/creation``).
    @discardableResult
    public func createGroup(_ name: String, trackCreationOrder: Bool = false) throws -> Group {
        let target = childPath(name)
        let site = site("create group", target)
        let links = try CreationProperties.linkCreation(site)
        let creation = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_group_create()) }
        // No modification times in object headers: the same content gives the same bytes.
        try Library.call(site) { H5Pset_obj_track_times(creation.id, false) }
        if trackCreationOrder {
            let flags = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
            try Library.call(site) { H5Pset_link_creation_order(creation.id, flags) }
        }
        let created = try Library.open(site, .group) {
            H5Gcreate2(handle.id, name, links.id, creation.id, chdf5_p_default())
        }
        return Group(file: file, handle: created, path: target)
    }

    /// Creates a dataset of `type` and `shape` (`[]` for a scalar), optionally chunked and
    /// gzip-compressed. Its data is written afterwards, whole or by slabs.
    @discardableResult
    public func createDataset(
        _ name: String, type: ElementType, shape: [Int], chunks: [Int]? = nil, gzipLevel: Int? = nil
    ) throws -> Dataset {
        let target = childPath(name)
        let site = site("create dataset", target)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw HDF5Error.shapeMismatch(file: file.path, path: target, detail: "negative dimension in shape \(shape)")
        }
        let fileType = try TypeMapping.fileType(for: type, site: site)
        let space = try Dataspace.create(shape: shape, site: site)
        let links = try CreationProperties.linkCreation(site)
        let creation = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_dataset_create()) }
        try Library.call(site) { H5Pset_obj_track_times(creation.id, false) }
        if let chunks {
            guard chunks.count == shape.count, chunks.allSatisfy({ $0 > 0 }) else {
                throw HDF5Error.shapeMismatch(file: file.path, path: target, detail: "chunk shape \(chunks) does not fit shape \(shape)")
            }
            let dims = chunks.map { hsize_t($0) }
            try Library.call(site) { H5Pset_chunk(creation.id, Int32(dims.count), dims) }
            if let gzipLevel { try Library.call(site) { H5Pset_deflate(creation.id, UInt32(gzipLevel)) } }
        }
        let created = try Library.open(site, .dataset) {
            H5Dcreate2(handle.id, name, fileType.id, space.id, links.id, creation.id, chdf5_p_default())
        }
        return try Dataset(file: file, handle: created, path: target)
    }

    /// Creates a dataset and writes `values` into it in one step.
    @discardableResult
    public func writeDataset<T: HDF5Scalar>(
        _ name: String, values: [T], shape: [Int], chunks: [Int]? = nil, gzipLevel: Int? = nil
    ) throws -> Dataset {
        let dataset = try createDataset(name, type: T.elementType, shape: shape, chunks: chunks, gzipLevel: gzipLevel)
        try dataset.write(values)
        return dataset
    }

    // MARK: - Helpers

    /// Walks `relativePath` component by component: `H5Lexists` on "a/b" fails when "a" is
    /// missing, so each prefix is checked first.
    private func linkExists(_ relativePath: String) throws -> Bool {
        let components = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        if components.isEmpty { return true }
        var prefix = relativePath.hasPrefix("/") ? "/" : ""
        for (position, component) in components.enumerated() {
            prefix += (position == 0 ? "" : "/") + component
            let exists = try Library.call(site("check existence", childPath(prefix))) {
                H5Lexists(handle.id, prefix, chdf5_p_default())
            }
            guard exists > 0 else { return false }
        }
        return true
    }

    private func expect(_ relativePath: String, is expected: ObjectKind) throws {
        let target = childPath(relativePath)
        guard let found = try kind(of: relativePath) else {
            throw HDF5Error.notFound(file: file.path, path: target, kind: expected)
        }
        guard found == expected else {
            throw HDF5Error.wrongKind(file: file.path, path: target, expected: expected, found: found)
        }
    }
}
