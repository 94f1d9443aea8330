// HDF5's C API from Debian's libhdf5-dev (serial build). Its headers live in
// /usr/include/hdf5/serial, which pkg-config `hdf5-serial` puts on the include path.
#include <hdf5.h>

// HDF5 names its types and flags with macros that call H5open() and read library
// globals; Swift imports neither, so these inline functions expand them.
static inline hid_t roma_h5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t roma_h5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t roma_h5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t roma_h5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t roma_h5_file_float32(void) { return H5T_IEEE_F32LE; }
static inline hid_t roma_h5_file_int32(void) { return H5T_STD_I32LE; }
static inline hid_t roma_h5_link_create(void) { return H5P_LINK_CREATE; }
static inline unsigned roma_h5_read_only(void) { return H5F_ACC_RDONLY; }
static inline unsigned roma_h5_truncate(void) { return H5F_ACC_TRUNC; }
