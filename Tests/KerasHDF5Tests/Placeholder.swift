import Testing
@testable import KerasHDF5
