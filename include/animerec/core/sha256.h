#pragma once
// SHA-256 (OpenSSL) for provenance: input files are hashed as they stream by,
// so checksumming costs no second pass over a 2 GB file.

#include <cstddef>
#include <memory>
#include <string>

namespace animerec {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hash of a whole file, read in large blocks. Throws IoError if unreadable.
std::string sha256_file(const std::string& path);

}  // namespace animerec
