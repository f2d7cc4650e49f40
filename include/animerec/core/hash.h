#pragma once
// Counter-based randomness: every random choice is a pure function of
// (seed, purpose, global id), never of the order rows are visited or of how
// work is split across ranks and threads. That is what makes splits and
// models independent of the number of ranks.

#include <cstdint>

namespace animerec {

// SplitMix64 finaliser: a bijective 64-bit mixer with good avalanche.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr uint64_t hash_combine(uint64_t a, uint64_t b) { return mix64(a ^ mix64(b)); }
constexpr uint64_t hash_combine(uint64_t a, uint64_t b, uint64_t c) {
  return hash_combine(hash_combine(a, b), c);
}
constexpr uint64_t hash_combine(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  return hash_combine(hash_combine(a, b, c), d);
}

// Uniform double in [0, 1) from the top 53 bits of a hash.
constexpr double unit_interval(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

}  // namespace animerec
