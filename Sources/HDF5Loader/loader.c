// Stubs for the HDF5 functions Interop calls. The first call loads Debian's serial
// libhdf5 with dlopen and each stub then forwards to the library's function.
//
// Where the library is looked for: $ROMA_HDF5_LIBRARY (a path to the file), else the
// soname libhdf5_serial.so.103 through the dynamic linker's usual search (package
// libhdf5-103-1, pulled in by libhdf5-dev). The soname is fixed at 103 because the
// types compiled in from <hdf5.h> are those of that ABI.
#include "hdf5_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define LIBRARY_NAME "libhdf5_serial.so.103"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *handle;
static char problem[4096];

static void load(void) {
    const char *override = getenv("ROMA_HDF5_LIBRARY");
    if (override && *override) {
        handle = dlopen(override, RTLD_NOW | RTLD_LOCAL);
        if (!handle) snprintf(problem, sizeof problem, "cannot load ROMA_HDF5_LIBRARY=%s: %s", override, dlerror());
        return;
    }
    handle = dlopen(LIBRARY_NAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(problem, sizeof problem,
                 "the HDF5 library " LIBRARY_NAME " cannot be loaded (%s); install it (apt-get install libhdf5-dev, "
                 "or make deps) or set ROMA_HDF5_LIBRARY to its path",
                 dlerror());
    }
}

int roma_h5_load(const char **message) {
    pthread_once(&once, load);
    if (message) *message = handle ? NULL : problem;
    return handle ? 0 : 1;
}

static void *symbol(const char *name) {
    const char *message;
    if (roma_h5_load(&message) != 0) {
        fprintf(stderr, "roma: %s\n", message);
        exit(1);
    }
    void *p = dlsym(handle, name);
    if (!p) {
        fprintf(stderr, "roma: the loaded HDF5 library has no %s (not HDF5 1.10?): %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

// One stub per function; the resolved pointer is cached (a racing first call resolves
// the same address twice, which is harmless).
#define FORWARD(ret, stub, name, params, args)                             \
    ret stub params {                                                      \
        static ret(*fn) params;                                            \
        ret(*f) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);           \
        if (!f) {                                                          \
            f = (ret(*) params)symbol(#name);                              \
            __atomic_store_n(&fn, f, __ATOMIC_RELEASE);                    \
        }                                                                  \
        return f args;                                                     \
    }

FORWARD(herr_t, roma_h5_open, H5open, (void), ())
FORWARD(herr_t, roma_h5_Eset_auto2, H5Eset_auto2, (hid_t estack_id, H5E_auto2_t func, void *client_data), (estack_id, func, client_data))

FORWARD(hid_t, roma_h5_Fopen, H5Fopen, (const char *filename, unsigned flags, hid_t fapl_id), (filename, flags, fapl_id))
FORWARD(hid_t, roma_h5_Fcreate, H5Fcreate, (const char *filename, unsigned flags, hid_t fcpl_id, hid_t fapl_id),
        (filename, flags, fcpl_id, fapl_id))
FORWARD(herr_t, roma_h5_Fclose, H5Fclose, (hid_t file_id), (file_id))

FORWARD(htri_t, roma_h5_Lexists, H5Lexists, (hid_t loc_id, const char *name, hid_t lapl_id), (loc_id, name, lapl_id))
FORWARD(ssize_t, roma_h5_Lget_name_by_idx, H5Lget_name_by_idx,
        (hid_t loc_id, const char *group_name, H5_index_t idx_type, H5_iter_order_t order, hsize_t n, char *name, size_t size, hid_t lapl_id),
        (loc_id, group_name, idx_type, order, n, name, size, lapl_id))
FORWARD(herr_t, roma_h5_Oget_info_by_name2, H5Oget_info_by_name2,
        (hid_t loc_id, const char *name, H5O_info_t *oinfo, unsigned fields, hid_t lapl_id), (loc_id, name, oinfo, fields, lapl_id))

FORWARD(hid_t, roma_h5_Gopen2, H5Gopen2, (hid_t loc_id, const char *name, hid_t gapl_id), (loc_id, name, gapl_id))
FORWARD(herr_t, roma_h5_Gget_info, H5Gget_info, (hid_t loc_id, H5G_info_t *ginfo), (loc_id, ginfo))
FORWARD(herr_t, roma_h5_Gclose, H5Gclose, (hid_t group_id), (group_id))

FORWARD(hid_t, roma_h5_Dopen2, H5Dopen2, (hid_t loc_id, const char *name, hid_t dapl_id), (loc_id, name, dapl_id))
FORWARD(hid_t, roma_h5_Dcreate2, H5Dcreate2,
        (hid_t loc_id, const char *name, hid_t type_id, hid_t space_id, hid_t lcpl_id, hid_t dcpl_id, hid_t dapl_id),
        (loc_id, name, type_id, space_id, lcpl_id, dcpl_id, dapl_id))
FORWARD(hid_t, roma_h5_Dget_type, H5Dget_type, (hid_t dset_id), (dset_id))
FORWARD(hid_t, roma_h5_Dget_space, H5Dget_space, (hid_t dset_id), (dset_id))
FORWARD(herr_t, roma_h5_Dread, H5Dread, (hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, void *buf),
        (dset_id, mem_type_id, mem_space_id, file_space_id, dxpl_id, buf))
FORWARD(herr_t, roma_h5_Dwrite, H5Dwrite,
        (hid_t dset_id, hid_t mem_type_id, hid_t mem_space_id, hid_t file_space_id, hid_t dxpl_id, const void *buf),
        (dset_id, mem_type_id, mem_space_id, file_space_id, dxpl_id, buf))
FORWARD(herr_t, roma_h5_Dclose, H5Dclose, (hid_t dset_id), (dset_id))

FORWARD(H5T_class_t, roma_h5_Tget_class, H5Tget_class, (hid_t type_id), (type_id))
FORWARD(size_t, roma_h5_Tget_size, H5Tget_size, (hid_t type_id), (type_id))
FORWARD(herr_t, roma_h5_Tclose, H5Tclose, (hid_t type_id), (type_id))

FORWARD(hid_t, roma_h5_Screate_simple, H5Screate_simple, (int rank, const hsize_t dims[], const hsize_t maxdims[]), (rank, dims, maxdims))
FORWARD(int, roma_h5_Sget_simple_extent_ndims, H5Sget_simple_extent_ndims, (hid_t space_id), (space_id))
FORWARD(int, roma_h5_Sget_simple_extent_dims, H5Sget_simple_extent_dims, (hid_t space_id, hsize_t dims[], hsize_t maxdims[]),
        (space_id, dims, maxdims))
FORWARD(herr_t, roma_h5_Sclose, H5Sclose, (hid_t space_id), (space_id))

FORWARD(hid_t, roma_h5_Pcreate, H5Pcreate, (hid_t cls_id), (cls_id))
FORWARD(herr_t, roma_h5_Pset_create_intermediate_group, H5Pset_create_intermediate_group, (hid_t plist_id, unsigned crt_intmd),
        (plist_id, crt_intmd))
FORWARD(herr_t, roma_h5_Pclose, H5Pclose, (hid_t plist_id), (plist_id))

// What HDF5's type macros expand to: H5open() (which fills the globals), then the
// global's value. The address is looked up each time (dlsym is cheap next to any
// HDF5 call, and these are read a few times per dataset).
static hid_t global(const char *name) {
    roma_h5_open();
    return *(const hid_t *)symbol(name);
}

hid_t roma_h5_native_double(void) { return global("H5T_NATIVE_DOUBLE_g"); }
hid_t roma_h5_native_float(void) { return global("H5T_NATIVE_FLOAT_g"); }
hid_t roma_h5_native_int64(void) { return global("H5T_NATIVE_INT64_g"); }
hid_t roma_h5_native_int32(void) { return global("H5T_NATIVE_INT32_g"); }
hid_t roma_h5_file_float32(void) { return global("H5T_IEEE_F32LE_g"); }
hid_t roma_h5_file_int32(void) { return global("H5T_STD_I32LE_g"); }
hid_t roma_h5_link_create(void) { return global("H5P_CLS_LINK_CREATE_ID_g"); }
