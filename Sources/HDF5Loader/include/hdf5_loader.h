#ifndef ROMA_HDF5_LOADER_H
#define ROMA_HDF5_LOADER_H

// The part of HDF5's C API that Sources/Interop uses, served by stubs that dlopen
// Debian's serial libhdf5 on first use. `roma` does not link HDF5, whose ~35
// dependencies (curl, ssl, krb5, ldap…) would otherwise load at every start-up
// (docs/stages.md, "Start-up"). Types and enums still come from <hdf5.h>: this target
// and its Swift users compile with -I/usr/include/hdf5/serial (Package.swift).
//
// The stubs carry a roma_h5_ prefix rather than HDF5's own names so that they never
// interpose on the library's internal calls to its own functions.
#include <hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

// Loads libhdf5 now if it is not loaded yet. Returns 0 on success; otherwise a message
// naming the library and what went wrong (also what a stub prints before exiting 1).
int roma_h5_load(const char **message);

herr_t roma_h5_open(void);
herr_t roma_h5_Eset_auto2(hid_t estack_id, H5E_auto2_t func, void *client_data);

hid_t roma_h5_Fopen(const char *filename, unsigned flags, hid_t fapl_id);
hid_t roma_h5_Fcreate(const char *filename, unsigned flags, hid_t fcpl_id, hid_t fapl_id);
herr_t roma_h5_Fclose(hid_t file_id);

htri_t roma_h5_Lexists(hid_t loc_id, const char *name, hid_t lapl_id);
ssize_t roma_h5_Lget_name_by_idx(hid_t loc_id, const char *group_name, H5_index_t idx_type, H5_iter_order_t order, hsize_t n,
                                 char *name, size_t size, hid_t lapl_id);
herr_t roma_h5_Oget_info_by_name2(hid_t loc_id, const char *name, H5O_info_t *oinfo, unsigned fields, hid_t lapl_id);

hid_t roma_h5_Gopen2(hid_t loc_id, const char *name, hid_t gapl_id);
herr_t roma_h5_Gget_info(hid_t loc_id, H5G_info_t *ginfo);
herr_t roma_h5_Gclose(hid_t group_id);

hid_t roma_h5_Dopen2(hid_t loc_id, const char *name, hid_t dapl_id);
hid_t roma_h5_Dcreate2(hid_t loc_id, const char *name, hid_t type_id, hid_t space_id, hid_t lcpl_id, hid_t dcpl_id, hid_t dapl_id);
hid_t roma_h5_Dget_type(hid_t dset_id);
hid_t roma_h5_Dget_space(hid_t dset_id);
herr_t roma_h5_Dread(hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, void *buf);
herr_t roma_h5_Dwrite(hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, const void *buf);
herr_t roma_h5_Dclose(hid_t dset_id);

H5T_class_t roma_h5_Tget_class(hid_t type_id);
size_t roma_h5_Tget_size(hid_t type_id);
herr_t roma_h5_Tclose(hid_t type_id);

hid_t roma_h5_Screate_simple(int rank, const hsize_t dims[], const hsize_t maxdims[]);
int roma_h5_Sget_simple_extent_ndims(hid_t space_id);
int roma_h5_Sget_simple_extent_dims(hid_t space_id, hsize_t dims[], hsize_t maxdims[]);
herr_t roma_h5_Sclose(hid_t space_id);

hid_t roma_h5_Pcreate(hid_t cls_id);
herr_t roma_h5_Pset_create_intermediate_group(hid_t plist_id, unsigned crt_intmd);
herr_t roma_h5_Pclose(hid_t plist_id);

// HDF5 names its types and property-list classes with macros that call H5open() and
// read library globals (H5T_NATIVE_DOUBLE is `H5open(), H5T_NATIVE_DOUBLE_g`); Swift
// imports neither, and these read the globals from the loaded library.
hid_t roma_h5_native_double(void);
hid_t roma_h5_native_float(void);
hid_t roma_h5_native_int64(void);
hid_t roma_h5_native_int32(void);
hid_t roma_h5_file_float32(void);
hid_t roma_h5_file_int32(void);
hid_t roma_h5_link_create(void);

// H5F_ACC_RDONLY and H5F_ACC_TRUNC are constants behind the same H5open() macro
// prefix (H5Fpublic.h), so they are spelt out here.
static inline unsigned roma_h5_read_only(void) { return 0x0000u; }
static inline unsigned roma_h5_truncate(void) { return 0x0002u; }

#ifdef __cplusplus
}
#endif

#endif
