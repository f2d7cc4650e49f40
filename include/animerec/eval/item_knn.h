#pragma once
// The item co-occurrence (Gram) matrix of the binary training matrix and the
// item-kNN baseline built on it (docs/evaluate.md). The binary matrix has a 1
// for every training row, scored or not (watching, dropped, plan to watch
// count as interactions, as for most_popular). Counts are integers, so the
// sum over MPI ranks is exact and the matrix is the same for any rank count.

#include <cstdint>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"

namespace animerec::eval {

// G = X^T X for the users x anime binary training matrix X: G(i, j) = number
// of users with training rows on both i and j, G(i, i) = training users of i.
struct TrainingGram {
  int64_t n = 0;                // anime
  std::vector<int32_t> counts;  // n x n, row-major (symmetric)
  int32_t at(int64_t i, int64_t j) const { return counts[static_cast<size_t>(i * n + j)]; }
};

// Bytes of the Gram matrix for n anime.
uint64_t gram_bytes(int64_t n_anime);

// The user's training anime (every training row), ascending.
std::vector<int32_t> training_anime(const data::Dataset& d, int64_t user);

// Each rank counts a contiguous range of the users; the counts are added
// with an allreduce, so every rank gets the whole matrix.
TrainingGram training_gram(const data::Dataset& d, dist::Comm& comm);

// Item-kNN: cosine similarity of the binary anime columns, full neighbourhood:
// sim(i, j) = G(i, j) / sqrt(G(i, i) G(j, j)) (0 for an anime without
// training rows); a user's score of anime j is the sum of sim(i, j) over the
// user's training anime i, added in ascending i.
class ItemKnn {
 public:
  explicit ItemKnn(const TrainingGram& g);
  std::vector<double> scores(const std::vector<int32_t>& train_anime) const;

 private:
  const TrainingGram& g_;
  std::vector<double> inv_norm_;  // 1 / sqrt(G(i, i)), 0 without training rows
};

}  // namespace animerec::eval
