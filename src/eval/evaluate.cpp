#include "animerec/eval/evaluate.h"

#include <fmt/format.h>

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "animerec/content/content.h"
#include "animerec/core/error.h"
#include "animerec/dist/comm.h"
#include "animerec/eval/gram_baselines.h"
#include "animerec/eval/held_out.h"
#include "animerec/eval/metrics.h"
#include "animerec/eval/similar_eval.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/batch.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/metrics.h"

namespace animerec::eval {
namespace {

using nlohmann::json;

constexpr double kDamping = 10.0;
constexpr int kBiasRounds = 5;
constexpr Eigen::Index kUserBlock = 256;

const char* method_title(const std::string& key) {
  static const std::map<std::string, const char*> kTitles = {
      {"global_mean", "global mean"},
      {"biases", "user+anime biases"},
      {"most_popular", "most popular"},
      {"best_rated", "best rated"},
      {"item_knn", "item-kNN"},
      {"ease", "EASE"},
      {"content", "content only"},
      {"model", "model"},
      {"model_rating_order", "model, rating order"}};
  return kTitles.at(key);
}

// Damped user and anime biases of the scored training rows, alternated like
// bench/split_rmse.py.
struct Biases {
  double mu = 0;
  std::vector<double> user, anime;
};

Biases bias_baseline(const data::Dataset& d) {
  const auto& r = d.by_user;
  Biases b;
  b.user.assign(d.n_users(), 0.0);
  b.anime.assign(d.n_anime(), 0.0);
  double sum = 0;
  int64_t n = 0;
  std::vector<double> anime_n(d.n_anime(), 0), user_n(d.n_users(), 0);
  for (size_t i = 0; i < r.size(); ++i) {
    if (r.split[i] != static_cast<uint8_t>(data::Split::kTrain) || r.score[i] <= 0) continue;
    sum += r.score[i];
    ++n;
    anime_n[static_cast<size_t>(r.anime[i])] += 1;
    user_n[static_cast<size_t>(r.user[i])] += 1;
  }
  if (n == 0) return b;
  b.mu = sum / static_cast<double>(n);
  for (int round = 0; round < kBiasRounds; ++round) {
    std::vector<double> acc(d.n_anime(), 0.0);
    for (size_t i = 0; i < r.size(); ++i) {
      if (r.split[i] != static_cast<uint8_t>(data::Split::kTrain) || r.score[i] <= 0) continue;
      acc[static_cast<size_t>(r.anime[i])] +=
          r.score[i] - b.mu - b.user[static_cast<size_t>(r.user[i])];
    }
    for (size_t a = 0; a < acc.size(); ++a) b.anime[a] = acc[a] / (anime_n[a] + kDamping);
    std::vector<double> accu(d.n_users(), 0.0);
    for (size_t i = 0; i < r.size(); ++i) {
      if (r.split[i] != static_cast<uint8_t>(data::Split::kTrain) || r.score[i] <= 0) continue;
      accu[static_cast<size_t>(r.user[i])] +=
          r.score[i] - b.mu - b.anime[static_cast<size_t>(r.anime[i])];
    }
    for (size_t u = 0; u < accu.size(); ++u) b.user[u] = accu[u] / (user_n[u] + kDamping);
  }
  return b;
}

// Order of every anime by descending score, ties by ascending index.
std::vector<int32_t> static_order(const std::vector<double>& scores) {
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  return order;
}

std::vector<int32_t> top_from_order(const std::vector<int32_t>& order,
                                    const std::vector<uint8_t>& excluded, int k) {
  std::vector<int32_t> out;
  for (int32_t a : order) {
    if (static_cast<int>(out.size()) >= k) break;
    if (!excluded[static_cast<size_t>(a)]) out.push_back(a);
  }
  return out;
}

std::vector<int32_t> top_from_scores(const std::vector<double>& scores,
                                     const std::vector<uint8_t>& excluded, int k) {
  return top_k(scores, excluded, k);
}

// Ranking metrics of one method over users, per K, as sums that add up
// exactly across ranks: the five per-user metrics in fixed point
// (train::ExactSum) and how often each anime appears in a top K.
struct RankingSum {
  static constexpr size_t kMetrics = 5;  // precision, recall, ndcg, map, hit_rate
  std::vector<int64_t> fixed;            // ks x kMetrics
  std::vector<int64_t> appearances;      // ks x n_anime
  RankingSum(size_t n_ks, size_t n_anime)
      : fixed(n_ks * kMetrics, 0), appearances(n_ks * n_anime, 0) {}

  void add(const std::vector<int32_t>& list, const std::vector<uint8_t>& relevant,
           int64_t n_relevant, const std::vector<int>& ks) {
    const size_t n_anime = appearances.size() / ks.size();
    for (size_t j = 0; j < ks.size(); ++j) {
      const RankingMetrics r = ranking_metrics(list, relevant, n_relevant, ks[j]);
      const double values[kMetrics] = {r.precision, r.recall, r.ndcg, r.map, r.hit_rate};
      for (size_t v = 0; v < kMetrics; ++v) {
        train::ExactSum e;
        e.add(values[v]);
        fixed[j * kMetrics + v] += e.fixed;
      }
      const size_t n = std::min(list.size(), static_cast<size_t>(ks[j]));
      for (size_t i = 0; i < n; ++i) ++appearances[j * n_anime + static_cast<size_t>(list[i])];
    }
  }
  void allreduce(dist::Comm& comm) {
    comm.allreduce_sum(fixed);
    comm.allreduce_sum(appearances);
  }
  double mean(size_t j, size_t metric, int64_t users) const {
    return users > 0 ? static_cast<double>(fixed[j * kMetrics + metric]) / train::kMetricScale /
                           static_cast<double>(users)
                     : 0.0;
  }
  std::vector<int64_t> appearances_at(size_t j) const {
    const size_t n_anime = appearances.size() / (fixed.size() / kMetrics);
    return {appearances.begin() + static_cast<std::ptrdiff_t>(j * n_anime),
            appearances.begin() + static_cast<std::ptrdiff_t>((j + 1) * n_anime)};
  }
};

json ranking_json(const RankingSum& s, const std::vector<int>& ks, int64_t users, size_t n_items,
                  const std::vector<int64_t>* counts, int64_t total,
                  const std::vector<int64_t>* ranks) {
  json out = json::object();
  for (size_t j = 0; j < ks.size(); ++j) {
    const std::vector<int64_t> app = s.appearances_at(j);
    json m = {
        {"precision", s.mean(j, 0, users)}, {"recall", s.mean(j, 1, users)},
        {"ndcg", s.mean(j, 2, users)},      {"map", s.mean(j, 3, users)},
        {"hit_rate", s.mean(j, 4, users)},  {"coverage", coverage_from_appearances(app, n_items)}};
    if (counts != nullptr && total > 0)
      m["novelty"] = novelty_from_appearances(app, *counts, total);
    if (ranks != nullptr) m["popularity_rank"] = popularity_rank_from_appearances(app, *ranks);
    out[std::to_string(ks[j])] = m;
  }
  return out;
}

// Eigen may split one product over OpenMP threads, and a different split can
// change rounding: evaluate's block products run on one thread.
class OneEigenThread {
 public:
  OneEigenThread() : saved_(Eigen::nbThreads()) { Eigen::setNbThreads(1); }
  ~OneEigenThread() { Eigen::setNbThreads(saved_); }
  OneEigenThread(const OneEigenThread&) = delete;
  OneEigenThread& operator=(const OneEigenThread&) = delete;

 private:
  int saved_;
};

// Cosine scores of the content-only recommender for one user, over all anime.
class ContentScorer {
 public:
  explicit ContentScorer(const model::Model& m)
      : c_(serve::content_matrix(m)), midpoint_(serve::scale_midpoint(m)) {
    const Eigen::Index n = c_.n_rows();
    x_.resize(n, c_.n_features);
    std::vector<Eigen::Triplet<float>> t;
    t.reserve(c_.values.size());
    norms_.assign(static_cast<size_t>(n), 0.0);
    for (Eigen::Index a = 0; a < n; ++a) {
      double sq = 0;
      for (int64_t i = c_.offsets[a]; i < c_.offsets[a + 1]; ++i) {
        t.emplace_back(a, c_.cols[i], c_.values[i]);
        sq += double{c_.values[i]} * c_.values[i];
      }
      norms_[static_cast<size_t>(a)] = std::sqrt(sq);
    }
    x_.setFromTriplets(t.begin(), t.end());
  }
  std::vector<double> scores(const std::vector<int32_t>& anime,
                             const std::vector<float>& score) const {
    const content::UserProfile p = content::user_profile(c_, anime, score, midpoint_);
    std::vector<double> out(norms_.size(), 0.0);
    if (p.norm <= 0) return out;
    Eigen::Map<const Eigen::VectorXf> pv(p.values.data(),
                                         static_cast<Eigen::Index>(p.values.size()));
    Eigen::VectorXf dots = x_ * pv;
    for (size_t a = 0; a < out.size(); ++a) {
      if (norms_[a] > 0) out[a] = dots[static_cast<Eigen::Index>(a)] / (p.norm * norms_[a]);
    }
    return out;
  }

 private:
  content::ContentMatrix c_;
  double midpoint_;
  Eigen::SparseMatrix<float, Eigen::RowMajor> x_;
  std::vector<double> norms_;
};

// What counts as relevant, in words, for the report and its table.
std::string relevance_rule(bool explicit_model, double relevance, bool given,
                           const data::Dataset& d) {
  if (!explicit_model)
    return "every held-out interaction (implicit feedback: no score scale decides)";
  if (given) return fmt::format("score >= {} (--relevance)", relevance);
  return fmt::format("score >= {} (the top 30% of the scale {}..{}; --relevance to change)",
                     relevance, d.score_min, d.score_max);
}

// Every ranking metric would be 0 without a relevant held-out row: that is a
// mistake in the request (or the dataset), not a result.
void check_something_is_relevant(int64_t held_rows, size_t relevant_users, double relevance,
                                 const data::Dataset& d, data::Split split) {
  const std::string name = data::split_name(split);
  if (held_rows == 0) {
    throw Error(
        fmt::format("the dataset has no {} rows: nothing to evaluate on; {}", name,
                    split == data::Split::kValidation
                        ? "prepare it with --validation-fraction > 0, or evaluate --split test"
                        : "prepare it with --test-fraction > 0 (or --test-ratings)"));
  }
  if (relevant_users == 0) {
    throw Error(fmt::format(
        "none of the {} {} rows is relevant (score >= {}), so every ranking metric would be 0; "
        "give a --relevance within the dataset's scale {}..{}",
        held_rows, name, relevance, d.score_min, d.score_max));
  }
}

GramBaselineSettings gram_settings(const EvaluateSettings& s, bool explicit_model,
                                   double relevance) {
  GramBaselineSettings g;
  g.item_knn = s.item_knn;
  g.ease_lambda = s.ease_lambda;
  g.memory_limit = s.memory_limit;
  g.relevance = relevance;
  g.explicit_feedback = explicit_model;
  return g;
}

}  // namespace

double default_relevance(double score_min, double score_max) {
  const double cut = score_min + 0.7 * (score_max - score_min);
  // Rated in whole (or half) points: a threshold between two scores is the
  // next score up. The small margin keeps a cut that is a whole score up to
  // rounding where it is.
  if (score_max - score_min >= 2) return std::ceil(cut - 1e-9);
  return cut;
}

data::Split split_from_name(const std::string& name) {
  if (name == "test") return data::Split::kTest;
  if (name == "validation") return data::Split::kValidation;
  throw ConfigError(fmt::format("--split {}: must be test or validation", name));
}

std::vector<int> parse_ks(const std::string& text) {
  std::vector<int> ks;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    int k = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), k);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || k < 1 ||
        k > 100000) {
      throw ConfigError(fmt::format(
          "invalid value for --k: '{}' (must be a comma-separated list of integers in [1, 100000], "
          "e.g. 5,10,20)",
          text));
    }
    ks.push_back(k);
    start = end + 1;
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  return ks;
}

json evaluate(const model::Model& m, const data::Dataset& d, const EvaluateSettings& s) {
  dist::SerialComm serial;
  return evaluate(m, d, s, serial);
}

json evaluate(const model::Model& m, const data::Dataset& d, const EvaluateSettings& s,
              dist::Comm& comm) {
  if (m.user_ids != d.user_ids || m.anime_ids != d.anime_ids)
    throw std::invalid_argument("evaluate: the dataset's ids are not the model's");
  if (s.ks.empty()) throw std::invalid_argument("evaluate: no K");
  const bool explicit_model = m.feedback == als::Feedback::kExplicit;
  const size_t n_users = d.n_users(), n_anime = d.n_anime();
  const auto& r = d.by_user;
  const auto train = static_cast<uint8_t>(data::Split::kTrain);
  const auto held = static_cast<uint8_t>(s.split);
  const int max_k = s.ks.back();
  const double relevance = s.relevance.value_or(default_relevance(d.score_min, d.score_max));

  // Training statistics.
  std::vector<int64_t> interactions(n_anime, 0), user_scored(n_users, 0), anime_scored(n_anime, 0);
  std::vector<double> anime_sum(n_anime, 0.0);
  int64_t total_interactions = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r.split[i] != train) continue;
    const auto a = static_cast<size_t>(r.anime[i]);
    ++interactions[a];
    ++total_interactions;
    if (r.score[i] > 0) {
      ++user_scored[static_cast<size_t>(r.user[i])];
      ++anime_scored[a];
      anime_sum[a] += r.score[i];
    }
  }
  const Biases b = bias_baseline(d);
  std::vector<double> best_rated(n_anime), popular(n_anime), members(n_anime, 0.0);
  for (size_t a = 0; a < n_anime; ++a) {
    best_rated[a] = b.mu + (anime_sum[a] - b.mu * static_cast<double>(anime_scored[a])) /
                               (static_cast<double>(anime_scored[a]) + kDamping);
    popular[a] = static_cast<double>(interactions[a]);
    if (a < d.anime.members.size())
      members[a] = static_cast<double>(std::max<int64_t>(d.anime.members[a], 0));
  }
  std::vector<std::string> methods = {"global_mean", "biases", "most_popular", "best_rated"};
  const GramBaselines gram(d, gram_settings(s, explicit_model, relevance), comm);
  methods.insert(methods.end(), gram.methods().begin(), gram.methods().end());
  if (m.content) methods.push_back("content");
  methods.push_back("model");
  // With a ranking part, also the order of the predicted scores alone: what
  // the ranking part adds.
  if (m.ranking) methods.push_back("model_rating_order");
  std::map<std::string, std::vector<int32_t>> orders = {
      {"global_mean", static_order(std::vector<double>(n_anime, 0.0))},
      {"biases", static_order(b.anime)},
      {"most_popular", static_order(popular)},
      {"best_rated", static_order(best_rated)}};
  const std::vector<int32_t> members_order = static_order(members);
  std::unique_ptr<ContentScorer> content_scorer;
  if (m.content) content_scorer = std::make_unique<ContentScorer>(m);

  json report = {
      {"split", data::split_name(s.split)},
      {"feedback", als::feedback_name(m.feedback)},
      {"relevance", explicit_model ? json(relevance) : json()},
      {"relevance_rule", relevance_rule(explicit_model, relevance, s.relevance.has_value(), d)},
      {"k", s.ks},
      {"methods", methods},
      {"users", n_users},
      {"anime", n_anime}};
  report.update(gram.report());

  // Rating accuracy: one pass over the held-out rows, cheap beside the
  // ranking, so rank 0 alone does it (in row order, as a serial run).
  if (explicit_model && comm.rank() == 0) {
    std::map<std::string, std::map<std::string, ErrorSum>> err;  // method -> bucket ("" = all)
    int64_t rows = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      if (r.split[i] != held || r.score[i] <= 0) continue;
      const auto u = static_cast<size_t>(r.user[i]);
      const auto a = static_cast<size_t>(r.anime[i]);
      const char* bucket = activity_bucket(user_scored[u]);
      const double pm = double{m.global_mean} + m.user_bias[u] + m.anime_bias[a] +
                        m.user_factors.row(static_cast<Eigen::Index>(u))
                            .cast<double>()
                            .dot(m.anime_factors.row(static_cast<Eigen::Index>(a)).cast<double>());
      const std::pair<const char*, double> preds[] = {
          {"global_mean", b.mu}, {"biases", b.mu + b.user[u] + b.anime[a]}, {"model", pm}};
      for (const auto& [name, p] : preds) {
        err[name][""].add(p, r.score[i]);
        err[name][bucket].add(p, r.score[i]);
      }
      ++rows;
    }
    json rating = {{"rows", rows}, {"methods", json::object()}};
    for (const auto& [name, buckets] : err) {
      json j = {{"rmse", buckets.at("").rmse()}, {"mae", buckets.at("").mae()}};
      json by = json::object();
      for (const char* bucket : {"0", "1-9", "10-49", "50-199", "200+"}) {
        auto it = buckets.find(bucket);
        if (it == buckets.end()) continue;
        by[bucket] = {
            {"rows", it->second.n}, {"rmse", it->second.rmse()}, {"mae", it->second.mae()}};
      }
      j["by_activity"] = by;
      rating["methods"][name] = j;
    }
    if (rows > 0) report["rating"] = rating;
  }

  // Users to rank: those with at least one relevant held-out row.
  const std::vector<int32_t> users = relevant_users(d, s.split, explicit_model, relevance);
  const auto held_rows = static_cast<int64_t>(std::count(r.split.begin(), r.split.end(), held));
  // Every rank holds the whole dataset, so every rank throws here or none.
  check_something_is_relevant(held_rows, users.size(), relevance, d, s.split);
  int64_t n_cold = 0;
  for (size_t a = 0; a < d.cold_anime.size(); ++a) n_cold += d.cold_anime[a] ? 1 : 0;

  // warm: every candidate (the main table); warm_only: with cold anime held
  // out, the same ranking among the anime that have training rows only.
  std::map<std::string, RankingSum> warm, warm_only, cold;
  for (const std::string& name : methods) {
    warm.emplace(name, RankingSum(s.ks.size(), n_anime));
    warm_only.emplace(name, RankingSum(s.ks.size(), n_anime));
    cold.emplace(name, RankingSum(s.ks.size(), n_anime));
  }
  // Integer counts and sums, added up exactly across ranks.
  int64_t warm_users = 0, warm_only_users = 0, cold_users = 0, relevant_rank_sum = 0,
          relevant_items = 0;
  const std::vector<int64_t> pop_ranks = popularity_ranks(interactions);
  std::vector<uint8_t> excluded(n_anime), relevant(n_anime), cold_excluded(n_anime),
      cold_relevant(n_anime), warm_excluded(n_anime), warm_relevant(n_anime);
  model::ScoreMatrix block_predicted, block_ranking;
  // Each rank ranks a run of whole blocks of the users: a user is always
  // scored in the same block, on one Eigen thread, so its scores (and every
  // sum below) are the same for any rank or thread count.
  const std::vector<int64_t> bounds =
      serve::user_block_boundaries(static_cast<int64_t>(users.size()), kUserBlock, comm.size());
  const auto my_end = static_cast<size_t>(bounds[static_cast<size_t>(comm.rank()) + 1]);
  std::optional<OneEigenThread> one_thread(std::in_place);
  for (auto first = static_cast<size_t>(bounds[static_cast<size_t>(comm.rank())]); first < my_end;
       first += kUserBlock) {
    const size_t last = std::min(my_end, first + static_cast<size_t>(kUserBlock));
    // Model scores of the block, as recommend computes them (model/scoring.h).
    const model::UserVectors uv =
        model::model_users(m, std::span<const int32_t>(users).subspan(first, last - first));
    block_predicted = model::predicted_scores(m, uv);
    block_ranking = model::ranking_scores(m, uv, block_predicted);
    for (size_t j = first; j < last; ++j) {
      const auto u = static_cast<size_t>(users[j]);
      std::fill(excluded.begin(), excluded.end(), 0);
      std::fill(relevant.begin(), relevant.end(), 0);
      std::fill(cold_relevant.begin(), cold_relevant.end(), 0);
      int64_t n_rel = 0, n_cold_rel = 0;
      std::vector<int32_t> train_anime;
      std::vector<float> train_score;
      for (int64_t i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
        const auto a = static_cast<size_t>(r.anime[i]);
        if (r.split[i] == train) {
          excluded[a] = 1;
          if (r.score[i] > 0) {
            train_anime.push_back(r.anime[i]);
            train_score.push_back(r.score[i]);
          }
        } else if (r.split[i] == held && (!explicit_model || r.score[i] >= relevance)) {
          relevant[a] = 1;
          ++n_rel;
          relevant_rank_sum += pop_ranks[a];
          ++relevant_items;
          if (a < d.cold_anime.size() && d.cold_anime[a]) {
            cold_relevant[a] = 1;
            ++n_cold_rel;
          }
        }
      }
      const bool do_cold = n_cold > 0 && n_cold_rel > 0;
      const bool do_warm_only = n_cold > 0 && n_rel > n_cold_rel;
      if (n_cold > 0) {
        for (size_t a = 0; a < n_anime; ++a) {
          cold_excluded[a] = excluded[a] || !d.cold_anime[a];
          warm_excluded[a] = excluded[a] || d.cold_anime[a];
          warm_relevant[a] = relevant[a] && !d.cold_anime[a];
        }
      }
      ++warm_users;
      if (do_cold) ++cold_users;
      if (do_warm_only) ++warm_only_users;
      const int64_t n_warm_rel = n_rel - n_cold_rel;
      for (const std::string& name : methods) {
        std::vector<double> scores;
        if (name == "content") {
          scores = content_scorer->scores(train_anime, train_score);
        } else if (name == "item_knn" || name == "ease") {
          scores = gram.scores(name, training_anime(d, static_cast<int64_t>(u)));
        } else if (name == "model" || name == "model_rating_order") {
          const model::ScoreMatrix& block = name == "model" ? block_ranking : block_predicted;
          const auto row = block.row(static_cast<Eigen::Index>(j - first));
          scores.assign(row.data(), row.data() + row.size());
        }
        if (scores.empty()) {
          warm.at(name).add(top_from_order(orders.at(name), excluded, max_k), relevant, n_rel,
                            s.ks);
          if (do_warm_only)
            warm_only.at(name).add(top_from_order(orders.at(name), warm_excluded, max_k),
                                   warm_relevant, n_warm_rel, s.ks);
          if (do_cold) {
            const auto& order = name == "most_popular" ? members_order : orders.at(name);
            cold.at(name).add(top_from_order(order, cold_excluded, max_k), cold_relevant,
                              n_cold_rel, s.ks);
          }
        } else {
          warm.at(name).add(top_from_scores(scores, excluded, max_k), relevant, n_rel, s.ks);
          if (do_warm_only)
            warm_only.at(name).add(top_from_scores(scores, warm_excluded, max_k), warm_relevant,
                                   n_warm_rel, s.ks);
          if (do_cold)
            cold.at(name).add(top_from_scores(scores, cold_excluded, max_k), cold_relevant,
                              n_cold_rel, s.ks);
        }
      }
    }
  }
  one_thread.reset();
  std::vector<int64_t> totals = {warm_users, cold_users, relevant_rank_sum, relevant_items,
                                 warm_only_users};
  comm.allreduce_sum(totals);
  warm_users = totals[0];
  cold_users = totals[1];
  warm_only_users = totals[4];
  for (const std::string& name : methods) {
    warm.at(name).allreduce(comm);
    warm_only.at(name).allreduce(comm);
    cold.at(name).allreduce(comm);
  }
  json ranking = {
      {"users", warm_users},
      {"relevant_popularity_rank",
       totals[3] ? static_cast<double>(totals[2]) / static_cast<double>(totals[3]) : 0.0},
      {"methods", json::object()}};
  for (const std::string& name : methods) {
    ranking["methods"][name] = ranking_json(warm.at(name), s.ks, warm_users, n_anime, &interactions,
                                            total_interactions, &pop_ranks);
  }
  report["ranking"] = ranking;
  std::vector<SimilarMethod> similar = similar_methods(m, gram.knn());
  // The floor every similarity must clear: the most watched anime the user
  // has not seen, whatever the query.
  const std::vector<int32_t>& popular_order = orders.at("most_popular");
  similar.push_back(
      {"most_popular",
       [&popular_order](int32_t query, const std::vector<uint8_t>& excluded, int top) {
         std::vector<uint8_t> ex = excluded;
         ex[static_cast<size_t>(query)] = 1;
         return top_from_order(popular_order, ex, top);
       }});
  report["similar"] = similar_section(d, similar, s.ks, s.split, relevance, explicit_model, comm);
  if (n_cold > 0) {
    json ws = {{"anime", static_cast<int64_t>(n_anime) - n_cold},
               {"users", warm_only_users},
               {"methods", json::object()}};
    for (const std::string& name : methods) {
      ws["methods"][name] =
          ranking_json(warm_only.at(name), s.ks, warm_only_users,
                       n_anime - static_cast<size_t>(n_cold), nullptr, 0, nullptr);
    }
    report["warm"] = ws;
    json cs = {{"anime", n_cold}, {"users", cold_users}, {"methods", json::object()}};
    for (const std::string& name : methods) {
      json j = ranking_json(cold.at(name), s.ks, cold_users, static_cast<size_t>(n_cold), nullptr,
                            0, nullptr);
      cs["methods"][name] = j;
    }
    report["cold_start"] = cs;
  }
  return report;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c == 0)
        line += fmt::format("{:<{}}", row[c], width[c]);
      else
        line += fmt::format("  {:>{}}", row[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

namespace {

std::string num(const json& v, int digits = 4) {
  if (!v.is_number()) return "-";
  const double x = v.get<double>();
  if (std::isnan(x)) return "-";
  return fmt::format("{:.{}f}", x, digits);
}

// How EASE's lambda was chosen, e.g. "EASE lambda 100 over 7226 anime with
// training rows, chosen on the validation split's NDCG@10 (10: 0.3012, ...)".
std::string ease_line(const json& rep) {
  if (!rep.contains("ease")) return "";
  const json& e = rep["ease"];
  const std::string on = e["chosen_on"].get<std::string>();
  std::string how = on == "validation" ? "chosen on the validation split's NDCG@10"
                    : on == "option"   ? "given by --ease-lambda"
                                       : "the default (the dataset has no validation split)";
  if (e.contains("grid")) {
    for (size_t i = 0; i < e["grid"].size(); ++i) {
      how += fmt::format("{}{:g}: {:.4f}", i == 0 ? " (" : ", ", e["grid"][i].get<double>(),
                         e["validation_ndcg10"][i].get<double>());
    }
    how += ")";
  }
  return fmt::format("EASE lambda {:g} over {} anime with training rows, {}\n",
                     e["lambda"].get<double>(), e["n_anime"].get<int64_t>(), how);
}

// One table per k for a section ranked among a subset of the anime ("warm",
// "cold_start"): heading (a format of k, the section's anime and its users),
// then each method's P, R, NDCG, MAP and HR, and coverage if asked.
std::string candidate_set_tables(const json& rep, const json& section,
                                 const std::vector<std::string>& methods,
                                 const std::string& heading, bool coverage) {
  std::string out;
  for (const auto& k : rep["k"]) {
    const std::string key = std::to_string(k.get<int>());
    out += fmt::format("\n{}\n",
                       fmt::format(fmt::runtime(heading), key, section["anime"].get<int64_t>(),
                                   section["users"].get<int64_t>()));
    std::vector<std::string> header{"method",      "P@" + key,   "R@" + key,
                                    "NDCG@" + key, "MAP@" + key, "HR@" + key};
    if (coverage) header.push_back("coverage");
    std::vector<std::vector<std::string>> rows{header};
    for (const std::string& name : methods) {
      const json& j = section["methods"][name][key];
      rows.push_back({method_title(name), num(j["precision"]), num(j["recall"]), num(j["ndcg"]),
                      num(j["map"]), num(j["hit_rate"])});
      if (coverage) rows.back().push_back(num(j["coverage"]));
    }
    out += render_table(rows);
  }
  return out;
}

}  // namespace

std::string format_table(const json& rep) {
  std::string out =
      fmt::format("evaluate: {} split, {} feedback, {} users, {} anime, relevant = {}\n",
                  rep["split"].get<std::string>(), rep["feedback"].get<std::string>(),
                  rep["users"].get<int64_t>(), rep["anime"].get<int64_t>(),
                  rep["relevance_rule"].get<std::string>());
  out += ease_line(rep);
  const auto methods = rep["methods"].get<std::vector<std::string>>();
  if (rep.contains("rating")) {
    const json& rt = rep["rating"];
    out +=
        fmt::format("\nRating accuracy ({} scored {} rows; RMSE by training ratings of the user)\n",
                    rt["rows"].get<int64_t>(), rep["split"].get<std::string>());
    std::vector<std::string> buckets;
    for (const char* bk : {"0", "1-9", "10-49", "50-199", "200+"}) {
      if (rt["methods"]["model"]["by_activity"].contains(bk)) buckets.emplace_back(bk);
    }
    std::vector<std::vector<std::string>> rows{{"method", "RMSE", "MAE"}};
    for (const auto& bk : buckets) {
      rows[0].push_back(fmt::format(
          "{} ({})", bk, rt["methods"]["model"]["by_activity"][bk]["rows"].get<int64_t>()));
    }
    for (const std::string& name : methods) {
      if (!rt["methods"].contains(name)) continue;
      const json& j = rt["methods"][name];
      std::vector<std::string> row{method_title(name), num(j["rmse"]), num(j["mae"])};
      for (const auto& bk : buckets) row.push_back(num(j["by_activity"][bk]["rmse"]));
      rows.push_back(row);
    }
    out += render_table(rows);
  }
  const json& rk = rep["ranking"];
  for (const auto& k : rep["k"]) {
    const std::string key = std::to_string(k.get<int>());
    out += fmt::format(
        "\nRanking @{} ({} users with relevant items; held-out relevant items' mean popularity "
        "rank {:.0f})\n",
        key, rk["users"].get<int64_t>(), rk["relevant_popularity_rank"].get<double>());
    std::vector<std::vector<std::string>> rows{{"method", "P@" + key, "R@" + key, "NDCG@" + key,
                                                "MAP@" + key, "HR@" + key, "coverage", "novelty",
                                                "pop_rank"}};
    for (const std::string& name : methods) {
      const json& j = rk["methods"][name][key];
      rows.push_back({method_title(name), num(j["precision"]), num(j["recall"]), num(j["ndcg"]),
                      num(j["map"]), num(j["hit_rate"]), num(j["coverage"]),
                      num(j.value("novelty", json()), 2),
                      num(j.value("popularity_rank", json()), 0)});
    }
    out += render_table(rows);
  }
  if (rep.contains("warm")) {
    out += candidate_set_tables(rep, rep["warm"], methods,
                                "Warm @{} ({} warm anime, {} users with relevant warm items; "
                                "candidates = anime with training rows; cold anime left out)",
                                false);
  }
  if (rep.contains("cold_start")) {
    out += candidate_set_tables(rep, rep["cold_start"], methods,
                                "Cold start @{} ({} cold anime, {} users with relevant cold items; "
                                "candidates = cold anime; most popular = members)",
                                true);
  }
  return out + similar_table(rep);
}

namespace {

void set_gram_options(const EvaluateOptions& o, EvaluateSettings& s) {
  if (o.item_knn != "on" && o.item_knn != "off")
    throw ConfigError(fmt::format("--item-knn {}: must be on or off", o.item_knn));
  s.item_knn = o.item_knn == "on";
  s.ease_lambda = parse_ease_lambda(o.ease_lambda);
  s.memory_limit = o.memory_limit;
}

}  // namespace

std::string run_evaluate(const EvaluateOptions& o, json* report_out) {
  dist::SerialComm serial;
  return run_evaluate(o, serial, report_out);
}

std::string run_evaluate(const EvaluateOptions& o, dist::Comm& comm, json* report_out) {
  EvaluateSettings s;
  s.split = split_from_name(o.split);
  s.ks = parse_ks(o.k);
  s.relevance = o.relevance;
  set_gram_options(o, s);
  if (o.format != "table" && o.format != "json")
    throw ConfigError(fmt::format("--format {}: must be table or json", o.format));
  const model::Model m = io::read_model(o.model_path);
  const io::DatasetHeader h = io::read_dataset_header(o.dataset_path);
  serve::check_dataset_matches(m, h, o.model_path, o.dataset_path);
  const data::Dataset d = io::read_dataset(o.dataset_path);
  json report = evaluate(m, d, s, comm);
  if (report_out != nullptr) *report_out = report;
  if (comm.rank() != 0) return "";  // rank 0 prints
  if (o.format == "json") {
    report["model_path"] = o.model_path;
    report["dataset_path"] = o.dataset_path;
    // NaN (no rows) is not JSON: dump writes null for it.
    return report.dump(2) + "\n";
  }
  return format_table(report);
}

}  // namespace animerec::eval
