import CHDF5

/// The check that makes an untrusted file safe to walk and read: run once when a file is
/// opened, before any caller sees a group or dataset.
///
/// HDF5 lets a file point outside itself and lets its links form loops. A converter of files
/// it did not write must do neither: a weight whose bytes come from `/etc/passwd` (external
/// raw storage), from another file (an external link, a virtual dataset) or from nowhere (a
/// 4 TB chunked dataset whose chunks were never written, which libhdf5 would "read" as fill
/// values after allocating the 4 TB) is not a weight of this file. So every link is looked at
/// without being followed, every group is entered once, and every dataset is checked for
/// where its bytes live, before the file is handed out. What passes is a tree of groups whose
/// datasets all store their declared bytes inside the file.
///
/// The walk is linear in the number of links; what it refuses is an ``HDF5Error``:
/// ``HDF5Error/outsideFile(file:path:reference:)``, ``HDF5Error/linkCycle(file:path:target:)``
/// or ``HDF5Error/unstoredData(file:path:detail:)``.
enum Containment {
    /// Link access properties under which an external link is never traversed: its callback
    /// refuses every traversal. Used for every lookup the audit makes, so that even a soft link
    /// whose path runs through an external link cannot reach another file.
    private static let linkAccess: hid_t = Library.locked {
        let list = H5Pcreate(chdf5_p_link_access())
        _ = H5Pset_elink_cb(list, { _, _, _, _, _, _, _ in -1 }, nil)
        return list
    }

    static func audit(_ file: HDF5File) throws {
        try Library.locked {
            let fileSize = try file.identity().size
            let rootSite = Site(file: file.path, path: "/", operation: "check the file's structure")
            var rootInfo = H5O_info_t()
            try Library.call(rootSite) { H5Oget_info_by_name2(file.handle.id, "/", &rootInfo, UInt32(H5O_INFO_BASIC), chdf5_p_default()) }
            // Where each group was first reached, by object address: a second way into a group
            // is a loop (or a lattice that grows exponentially when walked), which Keras never
            // writes.
            var groups: [haddr_t: String] = [rootInfo.addr: "/"]
            var datasets = Set<haddr_t>()
            var pending = [try file.root]
            while let group = pending.popLast() {
                for name in try group.children() {
                    let path = group.childPath(name)
                    let site = Site(file: file.path, path: path, operation: "check link")
                    var link = H5L_info_t()
                    try Library.call(site) { H5Lget_info(group.handle.id, name, &link, linkAccess) }
                    switch link.type {
                    case H5L_TYPE_HARD:
                        break
                    case H5L_TYPE_SOFT:
                        // A soft link names a path in this file; a dangling one is simply absent.
                        guard targetExists(group, name) else { continue }
                    case H5L_TYPE_EXTERNAL:
                        throw HDF5Error.outsideFile(file: file.path, path: path, reference: try externalTarget(group, name, link, site))
                    default:
                        throw HDF5Error.outsideFile(file: file.path, path: path, reference: "a user-defined link (type \(link.type.rawValue)), which this tool never follows")
                    }
                    var object = H5O_info_t()
                    try Library.call(site) { H5Oget_info_by_name2(group.handle.id, name, &object, UInt32(H5O_INFO_BASIC), linkAccess) }
                    switch object.type {
                    case H5O_TYPE_GROUP:
                        if let first = groups[object.addr] {
                            throw HDF5Error.linkCycle(file: file.path, path: path, target: first)
                        }
                        groups[object.addr] = path
                        pending.append(try group.group(name))
                    case H5O_TYPE_DATASET:
                        guard datasets.insert(object.addr).inserted else { continue }
                        try auditDataset(try group.dataset(name), fileSize: fileSize)
                    default:
                        continue
                    }
                }
            }
        }
    }

    /// `H5Lexists` on the link itself succeeds for a dangling soft link; whether its target
    /// exists is asked of `H5Oexists_by_name`, which resolves it.
    private static func targetExists(_ group: Group, _ name: String) -> Bool {
        _ = H5Eclear2(chdf5_e_default())
        return H5Oexists_by_name(group.handle.id, name, linkAccess) > 0
    }

    private static func externalTarget(_ group: Group, _ name: String, _ link: H5L_info_t, _ site: Site) throws -> String {
        var value = [UInt8](repeating: 0, count: max(Int(link.u.val_size), 1))
        try Library.call(site) { H5Lget_val(group.handle.id, name, &value, value.count, chdf5_p_default()) }
        var flags: UInt32 = 0
        var fileName: UnsafePointer<CChar>?
        var objectName: UnsafePointer<CChar>?
        let unpacked = value.withUnsafeBytes { raw in
            H5Lunpack_elink_val(raw.baseAddress, raw.count, &flags, &fileName, &objectName)
        }
        // The pointers point into `value`, which is still alive here.
        guard unpacked >= 0, let fileName, let objectName else { return "an external link to another file" }
        return "an external link to \(String(cString: fileName)):\(String(cString: objectName))"
    }

    /// Refuses a dataset whose bytes are not all inside the file: external raw storage, a
    /// virtual dataset, chunks never written, or contiguous data past the end of the file.
    private static func auditDataset(_ dataset: Dataset, fileSize: UInt64) throws {
        let file = dataset.file.path
        let site = Site(file: file, path: dataset.path, operation: "check where the dataset's bytes are")
        let creation = try Library.open(site, .propertyList) { H5Dget_create_plist(dataset.handle.id) }
        let layout = H5Pget_layout(creation.id)
        if layout == H5D_VIRTUAL {
            var count = 0
            try Library.call(site) { H5Pget_virtual_count(creation.id, &count) }
            let sources = (0..<min(count, 3)).compactMap { index -> String? in
                let length = H5Pget_virtual_filename(creation.id, index, nil, 0)
                guard length > 0 else { return nil }
                var name = [CChar](repeating: 0, count: length + 1)
                _ = H5Pget_virtual_filename(creation.id, index, &name, name.count)
                return decode(name)
            }
            throw HDF5Error.outsideFile(file: file, path: dataset.path,
                                        reference: "a virtual dataset mapped onto \(sources.isEmpty ? "other datasets" : sources.joined(separator: ", "))")
        }
        let externalCount = try Library.call(site) { H5Pget_external_count(creation.id) }
        if externalCount > 0 {
            var name = [CChar](repeating: 0, count: 4096)
            var offset: off_t = 0
            var size: hsize_t = 0
            _ = H5Pget_external(creation.id, 0, name.count, &name, &offset, &size)
            throw HDF5Error.outsideFile(file: file, path: dataset.path, reference: "external raw storage in \(decode(name))")
        }
        guard let elementSize = dataset.elementType.byteSize,
              let elements = checkedProduct(dataset.shape),
              case let (declared, false) = elements.multipliedReportingOverflow(by: elementSize) else {
            if dataset.elementType.byteSize == nil { return }  // strings and other non-numeric data
            throw HDF5Error.unstoredData(file: file, path: dataset.path, detail: "its shape \(dataset.shape) declares more bytes than any file holds")
        }
        guard declared > 0 else { return }
        switch layout {
        case H5D_CONTIGUOUS:
            let offset = H5Dget_offset(dataset.handle.id)
            guard offset != haddr_t.max else {
                throw HDF5Error.unstoredData(file: file, path: dataset.path,
                                             detail: "it declares \(declared) bytes (shape \(dataset.shape)) but none were ever written")
            }
            let (end, overflow) = UInt64(offset).addingReportingOverflow(UInt64(declared))
            guard !overflow, end <= fileSize else {
                throw HDF5Error.unstoredData(file: file, path: dataset.path,
                                             detail: "its \(declared) bytes at offset \(offset) run past the end of the file (\(fileSize) bytes)")
            }
        case H5D_CHUNKED:
            guard let chunks = dataset.chunks, chunks.count == dataset.shape.count, chunks.allSatisfy({ $0 > 0 }) else { return }
            var expected: UInt64 = 1
            for (extent, chunk) in zip(dataset.shape, chunks) {
                let (product, overflow) = expected.multipliedReportingOverflow(by: UInt64((extent + chunk - 1) / chunk))
                guard !overflow else {
                    throw HDF5Error.unstoredData(file: file, path: dataset.path, detail: "its shape \(dataset.shape) needs more chunks than any file holds")
                }
                expected = product
            }
            let space = try Library.open(site, .dataspace) { H5Dget_space(dataset.handle.id) }
            var stored: hsize_t = 0
            try Library.call(site) { H5Dget_num_chunks(dataset.handle.id, space.id, &stored) }
            guard stored >= expected else {
                throw HDF5Error.unstoredData(file: file, path: dataset.path,
                                             detail: "it declares \(declared) bytes (shape \(dataset.shape)) in \(expected) chunks, but only \(stored) were ever written")
            }
        default:
            return  // compact: the bytes are inside the object header
        }
    }

    private static func decode(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
