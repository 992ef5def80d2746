import CHDF5

/// Dataspace helpers: shapes in and out of HDF5. Callers hold the lock or go through `Library`.
enum Dataspace {
    /// A simple dataspace of `shape`, or a scalar one for `[]`.
    static func create(shape: [Int], site: Site) throws -> Handle {
        if shape.isEmpty {
            return try Library.open(site, .dataspace) { H5Screate(H5S_SCALAR) }
        }
        let dims = shape.map { hsize_t($0) }
        return try Library.open(site, .dataspace) { H5Screate_simple(Int32(dims.count), dims, nil) }
    }

    /// The shape of a dataspace: `[]` for scalar, `[0]`-like for empty, nil-free.
    static func shape(of space: Handle, site: Site) throws -> [Int] {
        try Library.locked {
            let rank = try Library.call(site) { H5Sget_simple_extent_ndims(space.id) }
            if rank == 0 {
                // A null dataspace holds no element at all; report it as an empty vector.
                return H5Sget_simple_extent_type(space.id) == H5S_NULL ? [0] : []
            }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            try Library.call(site) { H5Sget_simple_extent_dims(space.id, &dims, nil) }
            return dims.map { Int($0) }
        }
    }
}

/// Product of dimensions, or nil on overflow (shapes come from files and are untrusted).
func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for value in values {
        guard value >= 0 else { return nil }
        let (result, overflow) = product.multipliedReportingOverflow(by: value)
        if overflow { return nil }
        product = result
    }
    return product
}
