#include "animerec/dist/partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <functional>

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

// C(j), the weight of rows [0, j), for j = 0..n: ratings plus row_cost per row.
std::vector<int64_t> weights_before(const std::vector<int64_t>& offsets,
                                    const std::function<int64_t(int64_t)>& row_cost) {
  std::vector<int64_t> before(offsets.size(), 0);
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    const int64_t ratings = offsets[i + 1] - offsets[i];
    const int64_t cost = row_cost(ratings);
    if (cost < 1) {
      internal_error(
          fmt::format("row_cost must be >= 1, got {} for row {} ({} ratings)", cost, i, ratings));
    }
    before[i + 1] = before[i] + ratings + cost;
  }
  return before;
}

// round(r * total / parts), halves up, without overflowing r * total:
// r * total / parts = r * q + r * rem / parts and r * rem < parts^2 < 2^62.
int64_t target(int r, int64_t total, int parts) {
  const int64_t q = total / parts;
  const int64_t rem = total % parts;
  return r * q + (2 * static_cast<int64_t>(r) * rem + parts) / (2 * static_cast<int64_t>(parts));
}

// The boundary j in [lo, n] with before[j] nearest to t, lower on a tie.
// Searching from lo (the previous boundary) is safe: the nearest boundary is
// monotone in t because before is strictly increasing.
int64_t nearest_boundary(const std::vector<int64_t>& before, int64_t lo, int64_t t) {
  const int64_t n = static_cast<int64_t>(before.size()) - 1;
  // first j >= lo with before[j] >= t
  const int64_t first = std::lower_bound(before.begin() + lo, before.end(), t) - before.begin();
  if (first > n) return n;
  if (first > lo &&
      t - before[static_cast<size_t>(first) - 1] <= before[static_cast<size_t>(first)] - t) {
    return first - 1;
  }
  return first;
}

}  // namespace

std::vector<int64_t> balanced_blocks(const std::vector<int64_t>& offsets, int parts,
                                     int64_t row_cost) {
  if (row_cost < 1) internal_error(fmt::format("row_cost must be >= 1, got {}", row_cost));
  return balanced_blocks(offsets, parts, [row_cost](int64_t) { return row_cost; });
}

std::vector<int64_t> balanced_blocks(const std::vector<int64_t>& offsets, int parts,
                                     const std::function<int64_t(int64_t)>& row_cost) {
  check_offsets(offsets);
  if (parts < 1) internal_error(fmt::format("parts must be >= 1, got {}", parts));
  const std::vector<int64_t> before = weights_before(offsets, row_cost);
  const int64_t n = static_cast<int64_t>(offsets.size()) - 1;
  const int64_t total = before.back();
  std::vector<int64_t> bounds(static_cast<size_t>(parts) + 1, 0);
  for (int r = 1; r < parts; ++r) {
    bounds[static_cast<size_t>(r)] =
        nearest_boundary(before, bounds[static_cast<size_t>(r) - 1], target(r, total, parts));
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
