#pragma once
// How rows (users or anime) are split into one contiguous block per rank.
//
// The rule, balanced_blocks(offsets, parts, c): row i weighs w_i = (ratings of
// row i) + c, its estimated solve work in ratings: c is the per-row cost that
// does not grow with the row (a factorisation, vector updates), so that rows
// with few ratings are not under-counted, and is >= 1 so that rows without
// ratings still cost something and are spread over the ranks instead of
// piling onto one (the trainer passes als::row_solve_cost). C(j) = w_0 + ... +
// w_{j-1} = (offsets[j] - offsets[0]) + c j is the weight before boundary j,
// and W = C(n) the total. Boundary b_r (0 < r < parts) is the j in [0, n]
// whose C(j) is nearest to the target T_r = round(r * W / parts) (halves round
// up, computed exactly in integers), the smaller j on a tie; b_0 = 0,
// b_parts = n. C is strictly increasing, so the boundaries are non-decreasing
// and depend only on offsets, parts and c: every rank computes the same blocks
// on its own. Each block weighs less than max_i w_i + 1 away from W / parts;
// with parts > n some blocks are empty. Which rank solves a row never changes
// the row's result, so any c gives the same model.
//
// balanced_blocks(offsets, parts, cost) is the same rule with a cost that
// depends on the row's rating count: w_i = (ratings of row i) + cost(ratings
// of row i), cost >= 1 (the trainer passes als::row_solve_cost(opt, n): a
// short explicit row solved through the Woodbury identity costs about its
// ratings, not a whole factorisation). With a constant cost it gives the
// boundaries of the constant rule.

#include <cstdint>
#include <functional>
#include <vector>

namespace animerec::dist {

// Rows [begin, end) of one part.
struct Block {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
  bool contains(int64_t row) const { return begin <= row && row < end; }
};

// parts + 1 boundaries 0 = b_0 <= ... <= b_parts = n by the rule above.
// offsets: CSR offsets, n + 1 non-decreasing cumulative rating counts for n
// rows. Throws animerec::Error (internal) when offsets is empty or decreasing,
// parts < 1 or row_cost < 1.
std::vector<int64_t> balanced_blocks(const std::vector<int64_t>& offsets, int parts,
                                     int64_t row_cost = 1);

// The rule with a per-row cost of row_cost(ratings of the row); also throws
// when a cost is < 1.
std::vector<int64_t> balanced_blocks(const std::vector<int64_t>& offsets, int parts,
                                     const std::function<int64_t(int64_t)>& row_cost);

// Part `part`'s rows: [boundaries[part], boundaries[part + 1]).
Block block_of(const std::vector<int64_t>& boundaries, int part);

// The part whose block holds `row` (0 <= row < n); empty blocks own no row.
int owner_of(const std::vector<int64_t>& boundaries, int64_t row);

// counts[r] = rows of part r * per_row: the `counts` of Comm::allgatherv when
// every row carries per_row values (e.g. k factors).
std::vector<int64_t> block_counts(const std::vector<int64_t>& boundaries, int64_t per_row);

}  // namespace animerec::dist
