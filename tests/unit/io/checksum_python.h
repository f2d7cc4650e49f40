#pragma once
// Python (h5py) shared by the io tests that damage files on purpose.

namespace animerec::testing {

// Opens sys.argv[1] read-write as `f` and defines restamp(name): recomputes
// the sha256 checksum attribute of an array changed in place (by the
// definition in docs/model-format.md), so a test of a check that runs after
// the checksum reaches that check instead of the checksum mismatch.
inline constexpr const char* kOpenWithRestampPython =
    "import hashlib\n"
    "f = h5py.File(sys.argv[1], 'r+')\n"
    "def restamp(name):\n"
    "    d = f[name]\n"
    "    if h5py.check_string_dtype(d.dtype) is not None:\n"
    "        raw = b''.join(s + b'\\0' for s in d[()])\n"
    "    else:\n"
    "        raw = d[()].astype(d.dtype.newbyteorder('<')).tobytes()\n"
    "    d.attrs['sha256'] = hashlib.sha256(raw).hexdigest()\n";

}  // namespace animerec::testing
