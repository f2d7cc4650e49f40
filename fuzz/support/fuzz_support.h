#pragma once
// Helpers shared by the libFuzzer targets in fuzz/ (docs/fuzzing.md).
//
// The library reads files by path, so every input is written to a scratch file
// first. The structure-aware HDF5 targets start from a valid file made by the
// project's own writers and apply a list of edits decoded from the input
// (replace a dataset with one of another type, shape or content, patch
// elements, rewrite or delete attributes and links): the file stays valid
// HDF5, so the fuzzer exercises our validation code instead of libhdf5's
// superblock parser.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace animerec::fuzz {

// A per-process file name under $TMPDIR (or /tmp) for `tag`; the same name on
// every call, so one fuzzing process reuses one file. Removed at exit.
const std::string& scratch_path(const std::string& tag);

// Replaces the content of `path` with bytes [data, data + size).
void write_bytes(const std::string& path, const uint8_t* data, size_t size);
// The whole content of `path`.
std::string read_bytes(const std::string& path);

// Applies up to `max_edits` edits decoded from `input` to the HDF5 file at
// `path` (opened read-write). Never throws: an edit HDF5 refuses is skipped.
void mutate_hdf5(const std::string& path, FuzzedDataProvider& input, int max_edits);

// Writes a small valid dataset.h5 (synthetic MyAnimeList 2023 data, prepared)
// to `path`.
void write_seed_dataset(const std::string& path);
// Writes a small valid hybrid model.h5 / checkpoint to `path`.
void write_seed_model(const std::string& path);
void write_seed_checkpoint(const std::string& path);

}  // namespace animerec::fuzz
