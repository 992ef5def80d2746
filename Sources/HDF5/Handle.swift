import CHDF5

/// Owns one HDF5 identifier and closes it exactly once, when the last reference goes.
///
/// `@unchecked Sendable`: the identifier never changes after creation and every use of it,
/// closing included, goes through ``Library``'s lock.
/// Opaque to users of the module: it only lets ``HDF5Node`` name its identifier.
public final class Handle: @unchecked Sendable {
    enum Kind {
        case file, group, dataset, datatype, dataspace, attribute, propertyList, object
    }

    let id: hid_t
    let kind: Kind

    init(id: hid_t, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit {
        let id = self.id
        let kind = self.kind
        Library.locked {
            switch kind {
            case .file: _ = H5Fclose(id)
            case .group: _ = H5Gclose(id)
            case .dataset: _ = H5Dclose(id)
            case .datatype: _ = H5Tclose(id)
            case .dataspace: _ = H5Sclose(id)
            case .attribute: _ = H5Aclose(id)
            case .propertyList: _ = H5Pclose(id)
            case .object: _ = H5Oclose(id)
            }
        }
    }
}
