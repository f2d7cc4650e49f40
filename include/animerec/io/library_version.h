#pragma once
// The HDF5 library version this program runs with, for the run manifest
// (only io sources include HDF5).

#include <string>

namespace animerec::io {

// "1.10.8": H5get_libversion, the library loaded at run time (it may differ
// from the headers the program was compiled against).
std::string hdf5_library_version();

}  // namespace animerec::io
