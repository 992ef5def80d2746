// The parts of HDF5's C API that Swift cannot import directly.
//
// HDF5's predefined type ids and property-list classes are macros that expand to
// `(H5open(), H5T_NATIVE_FLOAT_g)`: Swift imports neither the comma expression nor the
// macro. Each accessor below calls H5open() first (through the macro), so the value is
// never the -1 that the global holds before the library is initialised.
#ifndef BNCONVERT_CHDF5_SHIM_H
#define BNCONVERT_CHDF5_SHIM_H

#include <hdf5.h>

static inline hid_t chdf5_native_int8(void)    { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_native_int16(void)   { return H5T_NATIVE_INT16; }
static inline hid_t chdf5_native_int32(void)   { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_int64(void)   { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint8(void)   { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_native_uint16(void)  { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_native_uint32(void)  { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_native_uint64(void)  { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_native_float(void)   { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void)  { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_c_s1(void)           { return H5T_C_S1; }
static inline hid_t chdf5_ieee_f32le(void)     { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void)     { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_i8le(void)       { return H5T_STD_I8LE; }
static inline hid_t chdf5_std_i16le(void)      { return H5T_STD_I16LE; }
static inline hid_t chdf5_std_i32le(void)      { return H5T_STD_I32LE; }
static inline hid_t chdf5_std_i64le(void)      { return H5T_STD_I64LE; }
static inline hid_t chdf5_std_u8le(void)       { return H5T_STD_U8LE; }

static inline hid_t chdf5_p_file_create(void)   { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_file_access(void)   { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_group_create(void)  { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_dataset_create(void){ return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_link_create(void)   { return H5P_LINK_CREATE; }
static inline hid_t chdf5_p_link_access(void)   { return H5P_LINK_ACCESS; }
static inline hid_t chdf5_p_attribute_create(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t chdf5_p_default(void)       { return H5P_DEFAULT; }

static inline hid_t chdf5_s_all(void)           { return H5S_ALL; }
static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_trunc(void)  { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void)   { return H5F_ACC_EXCL; }
static inline hid_t chdf5_e_default(void)       { return H5E_DEFAULT; }
static inline unsigned chdf5_f_obj_all(void)    { return H5F_OBJ_ALL; }
static inline size_t chdf5_variable(void)       { return H5T_VARIABLE; }
static inline hid_t chdf5_e_truncated(void)     { return H5E_TRUNCATED; }
static inline hid_t chdf5_e_nothdf5(void)       { return H5E_NOTHDF5; }
static inline hid_t chdf5_e_notfound(void)      { return H5E_NOTFOUND; }

#endif
