#include "animerec/eval/similar_eval.h"

#include <fmt/format.h>

#include <memory>

#include "animerec/eval/evaluate.h"
#include "animerec/eval/held_out.h"
#include "animerec/eval/metrics.h"
#include "animerec/serve/batch.h"
#include "animerec/serve/cowatch.h"
#include "animerec/train/metrics.h"

namespace animerec::eval {
namespace {

constexpr double kHybridBlend = 0.5;
constexpr int64_t kUserBlock = 256;

SimilarList from_serve(const model::Model& m, serve::SimilarMode mode) {
  return [&m, mode](int32_t query, const std::vector<uint8_t>& excluded, int top) {
    std::vector<int32_t> out;
    for (const serve::Scored& s : serve::similar_anime(m, query, mode, kHybridBlend, top, excluded))
      out.push_back(s.anime);
    return out;
  };
}

const char* similar_title(const std::string& key) {
  if (key == "cowatch") return "cowatch (model co-watching)";
  if (key == "cf") return "cf (model factors)";
  if (key == "ranking_factors") return "ranking part's factors";
  if (key == "content") return "content";
  if (key == "hybrid") return "hybrid 0.5";
  if (key == "most_popular") return "most popular (query ignored)";
  return "item-kNN";
}

}  // namespace

int32_t similar_query(const data::Dataset& d, int64_t user) {
  const auto& r = d.by_user;
  int32_t best = -1;
  float best_score = 0;
  for (int64_t i = d.user_offsets[static_cast<size_t>(user)];
       i < d.user_offsets[static_cast<size_t>(user) + 1]; ++i) {
    const auto row = static_cast<size_t>(i);
    if (r.split[row] != static_cast<uint8_t>(data::Split::kTrain) || r.score[row] <= 0) continue;
    if (r.score[row] > best_score || (r.score[row] == best_score && r.anime[row] < best)) {
      best = r.anime[row];
      best_score = r.score[row];
    }
  }
  return best;
}

std::vector<SimilarMethod> similar_methods(const model::Model& m, const ItemKnn* knn) {
  std::vector<SimilarMethod> out;
  // One CoWatch for every query: it holds the users' Gram matrix, which
  // serve::similar_anime would form again per call.
  auto cowatch = std::make_shared<const serve::CoWatch>(m);
  out.push_back(
      {"cowatch", [cowatch, &m](int32_t query, const std::vector<uint8_t>& excluded, int top) {
         std::vector<int32_t> list;
         if (cowatch->factors(query).isZero(0)) {  // as recommend: content cosine instead
           if (serve::model_content_row(m, query).empty()) return list;
           return from_serve(m, serve::SimilarMode::kContent)(query, excluded, top);
         }
         std::vector<uint8_t> ex = excluded;
         ex[static_cast<size_t>(query)] = 1;
         for (const serve::Scored& s :
              serve::cowatch_list(*cowatch, cowatch->factors(query), ex, top))
           list.push_back(s.anime);
         return list;
       }});
  out.push_back({"cf", from_serve(m, serve::SimilarMode::kCf)});
  if (m.ranking) {
    // The ranking part's anime factors through the same cosine as cf.
    auto ranking = std::make_shared<model::Model>(m);
    ranking->anime_factors = m.ranking->anime_factors;
    out.push_back({"ranking_factors",
                   [ranking](int32_t query, const std::vector<uint8_t>& excluded, int top) {
                     return from_serve(*ranking, serve::SimilarMode::kCf)(query, excluded, top);
                   }});
  }
  if (m.content) {
    out.push_back({"content", from_serve(m, serve::SimilarMode::kContent)});
    out.push_back({"hybrid", from_serve(m, serve::SimilarMode::kHybrid)});
  }
  if (knn != nullptr) {
    out.push_back({"item_knn", [knn](int32_t query, const std::vector<uint8_t>& excluded, int top) {
                     std::vector<uint8_t> ex = excluded;
                     ex[static_cast<size_t>(query)] = 1;
                     std::vector<int32_t> list;
                     for (const serve::Scored& s : serve::top_n(knn->scores({query}), ex, top))
                       list.push_back(s.anime);
                     return list;
                   }});
  }
  return out;
}

nlohmann::json similar_section(const data::Dataset& d, const std::vector<SimilarMethod>& methods,
                               const std::vector<int>& ks, data::Split split, double relevance,
                               bool explicit_feedback, dist::Comm& comm) {
  std::vector<int32_t> users, queries;
  for (size_t u = 0; u < d.n_users(); ++u) {
    const bool any = has_relevant_row(d, u, split, explicit_feedback, relevance);
    const int32_t q = any ? similar_query(d, static_cast<int64_t>(u)) : -1;
    if (q < 0) continue;
    users.push_back(static_cast<int32_t>(u));
    queries.push_back(q);
  }
  // sums[method][k][0 = hit rate, 1 = ndcg], fixed point as train::ExactSum.
  std::vector<int64_t> sums(methods.size() * ks.size() * 2, 0);
  const std::vector<int64_t> bounds =
      serve::user_block_boundaries(static_cast<int64_t>(users.size()), kUserBlock, comm.size());
  std::vector<uint8_t> excluded(d.n_anime()), relevant(d.n_anime());
  for (auto j = static_cast<size_t>(bounds[static_cast<size_t>(comm.rank())]);
       j < static_cast<size_t>(bounds[static_cast<size_t>(comm.rank()) + 1]); ++j) {
    const auto u = static_cast<size_t>(users[j]);
    const int64_t n_rel =
        mark_user_anime(d, u, split, explicit_feedback, relevance, excluded, relevant);
    for (size_t mi = 0; mi < methods.size(); ++mi) {
      const std::vector<int32_t> list = methods[mi].list(queries[j], excluded, ks.back());
      for (size_t ki = 0; ki < ks.size(); ++ki) {
        const RankingMetrics rm = ranking_metrics(list, relevant, n_rel, ks[ki]);
        train::ExactSum hr, ndcg;
        hr.add(rm.hit_rate);
        ndcg.add(rm.ndcg);
        sums[(mi * ks.size() + ki) * 2] += hr.fixed;
        sums[(mi * ks.size() + ki) * 2 + 1] += ndcg.fixed;
      }
    }
  }
  comm.allreduce_sum(sums);
  const auto n = static_cast<double>(users.size());
  nlohmann::json out = {{"users", users.size()}, {"methods", nlohmann::json::object()}};
  for (size_t mi = 0; mi < methods.size(); ++mi) {
    nlohmann::json per_k = nlohmann::json::object();
    for (size_t ki = 0; ki < ks.size(); ++ki) {
      const size_t at = (mi * ks.size() + ki) * 2;
      per_k[std::to_string(ks[ki])] = {
          {"hit_rate",
           users.empty() ? 0.0 : static_cast<double>(sums[at]) / train::kMetricScale / n},
          {"ndcg",
           users.empty() ? 0.0 : static_cast<double>(sums[at + 1]) / train::kMetricScale / n}};
    }
    out["methods"][methods[mi].key] = per_k;
  }
  out["method_order"] = nlohmann::json::array();
  for (const SimilarMethod& sm : methods) out["method_order"].push_back(sm.key);
  return out;
}

std::string similar_table(const nlohmann::json& report) {
  if (!report.contains("similar")) return "";
  const nlohmann::json& s = report["similar"];
  // Without scored training anime (implicit data) no user has a query: say
  // so instead of a table of zeros that reads as a measurement.
  if (s["users"].get<int64_t>() == 0) {
    return "\nSimilar anime: not measured (no user with a relevant held-out anime has a scored "
           "training anime to query with)\n";
  }
  std::string out;
  for (const auto& k : report["k"]) {
    const std::string key = std::to_string(k.get<int>());
    out += fmt::format(
        "\nSimilar anime @{} ({} users; query = the user's highest-scored training anime, "
        "training anime excluded, hit = a relevant held-out anime)\n",
        key, s["users"].get<int64_t>());
    std::vector<std::vector<std::string>> rows{{"similarity", "HR@" + key, "NDCG@" + key}};
    for (const auto& m : s["method_order"]) {
      const nlohmann::json& j = s["methods"][m.get<std::string>()][key];
      rows.push_back({similar_title(m.get<std::string>()),
                      fmt::format("{:.4f}", j["hit_rate"].get<double>()),
                      fmt::format("{:.4f}", j["ndcg"].get<double>())});
    }
    out += render_table(rows);
  }
  return out;
}

}  // namespace animerec::eval
