#include "animerec/dist/partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

#include "animerec/core/error.h"

namespace animerec::dist {

namespace {

// Bad arguments here are caller bugs, not user mistakes.
[[noreturn]] void internal_error(const std::string& message) {
  throw Error("partition: " + message, kExitInternal);
}

void check_offsets(const std::vector<int64_t>& offsets) {
  if (offsets.empty()) internal_error("offsets must hold n + 1 entries, got none");
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) {
      internal_error(
          fmt::format("offsets decrease at row {} ({} -> {})", i - 1, offsets[i - 1], offsets[i]));
    }
  }
}

// Weight before boundary j: ratings of rows [0, j) plus row_cost per row.
int64_t weight_before(const std::vector<int64_t>& offsets, int64_t row_cost, int64_t j) {
  return offsets[static_cast<size_t>(j)] - offsets[0] + j * row_cost;
}

// round(r * total / parts), halves up, without overflowing r * total:
// r * total / parts = r * q + r * rem / parts and r * rem < parts^2 < 2^62.
int64_t target(int r, int64_t total, int parts) {
  const int64_t q = total / parts;
  const int64_t rem = total % parts;
  return r * q + (2 * static_cast<int64_t>(r) * rem + parts) / (2 * static_cast<int64_t>(parts));
}

// The boundary j in [lo, n] with weight_before(j) nearest to t, lower on a tie.
// Searching from lo (the previous boundary) is safe: the nearest boundary is
// monotone in t because weight_before is strictly increasing.
int64_t nearest_boundary(const std::vector<int64_t>& offsets, int64_t row_cost, int64_t lo,
                         int64_t t) {
  auto before = [&](int64_t j) { return weight_before(offsets, row_cost, j); };
  int64_t first = lo;  // first j with weight_before(j) >= t
  int64_t count = static_cast<int64_t>(offsets.size()) - lo;
  while (count > 0) {
    const int64_t half = count / 2;
    if (before(first + half) < t) {
      first += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  if (first > n) return n;
  if (first > lo && t - before(first - 1) <= before(first) - t) {
    return first - 1;
  }
  return first;
}

}  // namespace

std::vector<int64_t> balanced_blocks(const std::vector<int64_t>& offsets, int parts,
                                     int64_t row_cost) {
  check_offsets(offsets);
  if (parts < 1) internal_error(fmt::format("parts must be >= 1, got {}", parts));
  if (row_cost < 1) internal_error(fmt::format("row_cost must be >= 1, got {}", row_cost));
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  const int64_t total = weight_before(offsets, row_cost, n);
  std::vector<int64_t> bounds(static_cast<size_t>(parts) + 1, 0);
  for (int r = 1; r < parts; ++r) {
    bounds[static_cast<size_t>(r)] = nearest_boundary(
        offsets, row_cost, bounds[static_cast<size_t>(r) - 1], target(r, total, parts));
  }
  bounds.back() = n;
  return bounds;
}

Block block_of(const std::vector<int64_t>& boundaries, int part) {
  if (part < 0 || static_cast<size_t>(part) + 1 >= boundaries.size()) {
    internal_error(fmt::format("part {} out of range for {} boundaries", part, boundaries.size()));
  }
  return Block{boundaries[static_cast<size_t>(part)], boundaries[static_cast<size_t>(part) + 1]};
}

int owner_of(const std::vector<int64_t>& boundaries, int64_t row) {
  if (boundaries.size() < 2 || row < boundaries.front() || row >= boundaries.back()) {
    internal_error(fmt::format("row {} is outside the partitioned rows", row));
  }
  // The last boundary <= row starts the (non-empty) block holding row.
  auto it = std::upper_bound(boundaries.begin(), boundaries.end(), row);
  return static_cast<int>(it - boundaries.begin()) - 1;
}

std::vector<int64_t> block_counts(const std::vector<int64_t>& boundaries, int64_t per_row) {
  if (boundaries.empty()) internal_error("boundaries must hold parts + 1 entries, got none");
  std::vector<int64_t> counts(boundaries.size() - 1);
  for (size_t r = 0; r + 1 < boundaries.size(); ++r) {
    counts[r] = (boundaries[r + 1] - boundaries[r]) * per_row;
  }
  return counts;
}

}  // namespace animerec::dist
