import HDF5
import BNModel
