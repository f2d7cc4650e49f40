#include "animerec/eval/item_knn.h"

#include <algorithm>
#include <cmath>

namespace animerec::eval {

uint64_t gram_bytes(int64_t n_anime) {
  return static_cast<uint64_t>(n_anime) * static_cast<uint64_t>(n_anime) * sizeof(int32_t);
}

std::vector<int32_t> training_anime(const data::Dataset& d, int64_t user) {
  const auto& r = d.by_user;
  std::vector<int32_t> out;
  for (int64_t i = d.user_offsets[static_cast<size_t>(user)];
       i < d.user_offsets[static_cast<size_t>(user) + 1]; ++i) {
    if (r.split[static_cast<size_t>(i)] == static_cast<uint8_t>(data::Split::kTrain))
      out.push_back(r.anime[static_cast<size_t>(i)]);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

// Adds int32 partial counts over the ranks in slices, so the int64 buffer
// the allreduce needs stays small beside the matrix.
void allreduce_counts(std::vector<int32_t>& counts, dist::Comm& comm) {
  if (comm.size() == 1) return;
  constexpr size_t kSlice = size_t{1} << 22;
  std::vector<int64_t> buffer;
  for (size_t first = 0; first < counts.size(); first += kSlice) {
    const size_t n = std::min(kSlice, counts.size() - first);
    buffer.assign(counts.begin() + static_cast<std::ptrdiff_t>(first),
                  counts.begin() + static_cast<std::ptrdiff_t>(first + n));
    comm.allreduce_sum(buffer);
    for (size_t i = 0; i < n; ++i) counts[first + i] = static_cast<int32_t>(buffer[i]);
  }
}

}  // namespace

TrainingGram training_gram(const data::Dataset& d, dist::Comm& comm) {
  TrainingGram g;
  g.n = static_cast<int64_t>(d.n_anime());
  g.counts.assign(static_cast<size_t>(g.n * g.n), 0);
  const auto n_users = static_cast<int64_t>(d.n_users());
  const int64_t first = n_users * comm.rank() / comm.size();
  const int64_t last = n_users * (comm.rank() + 1) / comm.size();
  for (int64_t u = first; u < last; ++u) {
    const std::vector<int32_t> anime = training_anime(d, u);
    for (int32_t i : anime) {
      int32_t* row = g.counts.data() + static_cast<size_t>(i) * static_cast<size_t>(g.n);
      for (int32_t j : anime) ++row[j];
    }
  }
  allreduce_counts(g.counts, comm);
  return g;
}

ItemKnn::ItemKnn(const TrainingGram& g) : g_(g), inv_norm_(static_cast<size_t>(g.n), 0.0) {
  for (int64_t i = 0; i < g.n; ++i) {
    const int32_t c = g.at(i, i);
    if (c > 0) inv_norm_[static_cast<size_t>(i)] = 1.0 / std::sqrt(static_cast<double>(c));
  }
}

std::vector<double> ItemKnn::scores(const std::vector<int32_t>& train_anime) const {
  // sum_i G(i, j) / (|i| |j|) = (sum_i G(i, j) / |i|) / |j|.
  std::vector<double> out(static_cast<size_t>(g_.n), 0.0);
  for (int32_t i : train_anime) {
    const double w = inv_norm_[static_cast<size_t>(i)];
    if (w == 0) continue;
    const int32_t* row = g_.counts.data() + static_cast<size_t>(i) * static_cast<size_t>(g_.n);
    for (size_t j = 0; j < out.size(); ++j) out[j] += w * row[j];
  }
  for (size_t j = 0; j < out.size(); ++j) out[j] *= inv_norm_[j];
  return out;
}

}  // namespace animerec::eval
