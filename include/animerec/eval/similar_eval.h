#pragma once
// evaluate's "similar anime" section (docs/evaluate.md): how well each
// anime-to-anime similarity finds a user's held-out favourites from the
// user's best training anime. Query = the user's highest-scored training anime
// (ties: the smaller anime index); the list = the most similar anime, the
// user's training anime excluded; hit = a relevant held-out anime in the top
// K. Metrics per K: hit rate and NDCG (binary gains), averaged over the users
// with a query and a relevant held-out row.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/eval/item_knn.h"
#include "animerec/model/model.h"
#include "animerec/serve/recommend.h"

namespace animerec::eval {

// The user's highest-scored training anime, -1 without a scored training row.
int32_t similar_query(const data::Dataset& d, int64_t user);

// The top anime for a query, none of `excluded` (the query is excluded too).
using SimilarList = std::function<std::vector<int32_t>(
    int32_t query, const std::vector<uint8_t>& excluded, int top)>;

struct SimilarMethod {
  std::string key;
  SimilarList list;
};

// Methods of a model: "cowatch" (the model's predicted co-watching,
// recommend's default --similar-mode; content cosine for a query without
// factors, as recommend), "cf" (cosine of the explicit anime factors,
// recommend --similar-mode cf), "ranking_factors" (the same cosine over the
// ranking part's anime factors, when there is one), "content" and "hybrid"
// (blend 0.5, with a content part), "item_knn" (cosine of the training
// co-occurrence columns, when `knn` is given). `m` and `knn` must outlive the
// methods. evaluate adds "most_popular" (the query-blind floor) itself.
std::vector<SimilarMethod> similar_methods(const model::Model& m, const ItemKnn* knn);

// users = the users whose held-out rows are relevant[user]; each rank takes a
// block-aligned run of them and the sums are exact: the same for any rank count.
// JSON: {users, methods.M."K".{hit_rate, ndcg}}.
nlohmann::json similar_section(const data::Dataset& d, const std::vector<SimilarMethod>& methods,
                               const std::vector<int>& ks, data::Split split, double relevance,
                               bool explicit_feedback, dist::Comm& comm);

// The section as aligned tables, one per K ("" without the section).
std::string similar_table(const nlohmann::json& report);

}  // namespace animerec::eval
