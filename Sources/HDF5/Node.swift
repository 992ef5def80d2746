import CHDF5

/// Anything in a file that can carry attributes: groups and datasets.
public protocol HDF5Node: Sendable {
    /// The file this object belongs to (kept alive by the object).
    var file: HDF5File { get }
    /// The object's absolute path inside the file.
    var path: String { get }
    var handle: Handle { get }
}

extension HDF5Node {
    func site(_ operation: String, _ path: String? = nil) -> Site {
        Site(file: file.path, path: path ?? self.path, operation: operation)
    }

    /// The absolute path of a child given relative to this object.
    func childPath(_ relative: String) -> String {
        if relative.hasPrefix("/") { return relative }
        return path == "/" ? "/" + relative : path + "/" + relative
    }
}

/// Creation properties shared by every link and attribute this layer makes: names are UTF-8
/// (HDF5's default is ASCII, which h5py would then decode as bytes).
enum CreationProperties {
    static func linkCreation(_ site: Site) throws -> Handle {
        let list = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_link_create()) }
        try Library.call(site) { H5Pset_char_encoding(list.id, H5T_CSET_UTF8) }
        return list
    }

    static func attributeCreation(_ site: Site) throws -> Handle {
        let list = try Library.open(site, .propertyList) { H5Pcreate(chdf5_p_attribute_create()) }
        try Library.call(site) { H5Pset_char_encoding(list.id, H5T_CSET_UTF8) }
        return list
    }
}
