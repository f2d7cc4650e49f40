#include "animerec/train/reproduce.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <span>

#include "animerec/config/params.h"
#include "animerec/core/error.h"

namespace animerec::train {

namespace {

using nlohmann::json;

bool is_run_local(const std::string& name) {
  const auto& local = run_local_params();
  return std::find(local.begin(), local.end(), name) != local.end();
}

// Floats compare by their bits: bit-identical, not merely equal (-0 vs 0).
bool same(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }
bool same(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }
template <class T>
bool same(const T& a, const T& b) {
  return a == b;
}

template <class T>
std::string shown(const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return fmt::format("\"{}\"", v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return fmt::format("{:.9g}", v);
  } else {
    return fmt::format("{}", v);
  }
}

// Collects "FIELD: ..." lines.
class Differences {
 public:
  template <class T>
  void value(const std::string& field, const T& a, const T& b) {
    if (!same(a, b)) lines_.push_back(fmt::format("{}: {} vs {}", field, shown(a), shown(b)));
  }

  // `cols` > 0: a row-major matrix with that many columns.
  template <class T>
  void array(const std::string& field, std::span<const T> a, std::span<const T> b,
             size_t cols = 0) {
    if (a.size() != b.size()) {
      lines_.push_back(fmt::format("{}: {} vs {} elements", field, a.size(), b.size()));
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (same(a[i], b[i])) continue;
      std::string where = cols > 0
                              ? fmt::format("row {}, column {} (index {})", i / cols, i % cols, i)
                              : fmt::format("index {}", i);
      lines_.push_back(fmt::format("{}: first difference at {}: {} vs {}", field, where,
                                   shown(a[i]), shown(b[i])));
      return;
    }
  }

  template <class T>
  void array(const std::string& field, const std::vector<T>& a, const std::vector<T>& b) {
    array(field, std::span<const T>(a), std::span<const T>(b));
  }

  void matrix(const std::string& field, const als::FactorMatrix& a, const als::FactorMatrix& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
      lines_.push_back(
          fmt::format("{}: {}x{} vs {}x{}", field, a.rows(), a.cols(), b.rows(), b.cols()));
      return;
    }
    array(field, std::span<const float>(a.data(), static_cast<size_t>(a.size())),
          std::span<const float>(b.data(), static_cast<size_t>(b.size())),
          static_cast<size_t>(a.cols()));
  }

  void note(std::string line) { lines_.push_back(std::move(line)); }
  std::vector<std::string> take() { return std::move(lines_); }

 private:
  std::vector<std::string> lines_;
};

// An iteration's metrics line without the wall-clock fields and the per-rank
// costs (which depend on the rank count).
std::string without_timings(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return line;
  for (const char* key : {"seconds", "ratings_per_second", "eta_seconds", "per_rank"}) j.erase(key);
  return j.dump();
}

std::vector<std::string> history_without_timings(const std::vector<std::string>& history) {
  std::vector<std::string> out;
  for (const auto& line : history) out.push_back(without_timings(line));
  return out;
}

void compare_config(const model::Model& a, const model::Model& b, Differences& d) {
  std::map<std::string, std::string> ca, cb;
  for (const auto& [k, v] : a.config) {
    if (!is_run_local(k)) ca[k] = v;
  }
  for (const auto& [k, v] : b.config) {
    if (!is_run_local(k)) cb[k] = v;
  }
  for (const auto& [k, v] : ca) {
    auto it = cb.find(k);
    d.value("/config/" + k, v, it == cb.end() ? std::string("(unset)") : it->second);
  }
  for (const auto& [k, v] : cb) {
    if (!ca.count(k)) d.value("/config/" + k, std::string("(unset)"), v);
  }
}

void compare_hyperparameters(const model::Hyperparameters& a, const model::Hyperparameters& b,
                             Differences& d) {
  d.value("/@lambda", a.lambda, b.lambda);
  d.value("/@lambda_exponent", a.lambda_exponent, b.lambda_exponent);
  d.value("/@lambda_bias", a.lambda_bias, b.lambda_bias);
  d.value("/@alpha", a.alpha, b.alpha);
  d.value("/@weight_scored", a.weights.scored, b.weights.scored);
  d.value("/@weight_score_slope", a.weights.score_slope, b.weights.score_slope);
  d.value("/@weight_score_pivot", a.weights.score_pivot, b.weights.score_pivot);
  for (const auto& [status, name] : model::kStatusWeightParams) {
    const auto i = static_cast<size_t>(status);
    d.value("/@" + model::attribute_name(name), a.weights.by_status.at(i),
            b.weights.by_status.at(i));
  }
}

void compare_content(const model::ContentPart& a, const model::ContentPart& b, Differences& d) {
  d.value("/content/@lambda_content", a.lambda_content, b.lambda_content);
  d.value("/content/@ridge", a.ridge, b.ridge);
  d.array("/content/names", a.names, b.names);
  d.array("/content/groups", a.groups, b.groups);
  d.array("/content/idf", a.idf, b.idf);
  d.array("/content/offsets", a.offsets, b.offsets);
  d.array("/content/cols", a.cols, b.cols);
  d.array("/content/values", a.values, b.values);
  d.matrix("/content/w", a.w, b.w);
  d.array("/content/w_bias", a.w_bias, b.w_bias);
}

void compare_ranking(const model::RankingPart& a, const model::RankingPart& b, Differences& d) {
  d.value("/ranking/@alpha", a.alpha, b.alpha);
  d.value("/ranking/@lambda", a.lambda, b.lambda);
  d.value("/ranking/@alpha0", a.alpha0, b.alpha0);
  d.value("/ranking/@lambda_exponent", a.lambda_exponent, b.lambda_exponent);
  d.value("/ranking/@frequency_regularization", a.ridge_counts_unobserved ? 1.0 : 0.0,
          b.ridge_counts_unobserved ? 1.0 : 0.0);
  d.value("/ranking/@blend", a.blend, b.blend);
  d.matrix("/ranking/user_factors", a.user_factors, b.user_factors);
  d.matrix("/ranking/anime_factors", a.anime_factors, b.anime_factors);
  d.value("/ranking/@lambda_content", a.lambda_content, b.lambda_content);
  d.value("/ranking/@content_ridge", a.content_ridge, b.content_ridge);
  d.matrix("/ranking/content_w", a.content_w, b.content_w);
  if (a.popularity.has_value() != b.popularity.has_value()) {
    d.note(
        fmt::format("/ranking/popularity_direction: only in model {}", a.popularity ? "a" : "b"));
  } else if (a.popularity) {
    d.value("/ranking/@popularity_weight", a.popularity->weight, b.popularity->weight);
    d.value("/ranking/@popularity_log_mean", a.popularity->log_mean, b.popularity->log_mean);
    d.value("/ranking/@popularity_log_sd", a.popularity->log_sd, b.popularity->log_sd);
    d.array("/ranking/popularity_direction",
            std::span<const float>(a.popularity->direction.data(),
                                   static_cast<size_t>(a.popularity->direction.size())),
            std::span<const float>(b.popularity->direction.data(),
                                   static_cast<size_t>(b.popularity->direction.size())),
            1);
  }
  if (a.cold_map.has_value() != b.cold_map.has_value()) {
    d.note(fmt::format("/ranking/cold_w: only in model {}", a.cold_map ? "a" : "b"));
  } else if (a.cold_map) {
    d.value("/ranking/@cold_ridge", a.cold_map->ridge, b.cold_map->ridge);
    d.value("/ranking/@cold_popularity_exponent", a.cold_map->popularity_exponent,
            b.cold_map->popularity_exponent);
    d.value("/ranking/@cold_blend", a.cold_map->blend, b.cold_map->blend);
    d.value("/ranking/@cold_log_mean", a.cold_map->log_mean, b.cold_map->log_mean);
    d.value("/ranking/@cold_log_sd", a.cold_map->log_sd, b.cold_map->log_sd);
    d.matrix("/ranking/cold_w", a.cold_map->w, b.cold_map->w);
    d.array("/ranking/cold", a.cold, b.cold);
  }
}

// A part only one model has is one difference; parts both have are compared.
template <class Part, class Compare>
void compare_optional(const char* field, const std::optional<Part>& a, const std::optional<Part>& b,
                      Differences& d, Compare compare) {
  if (a.has_value() != b.has_value()) {
    d.note(fmt::format("{}: {} vs {}", field, a ? "present" : "absent", b ? "present" : "absent"));
  } else if (a) {
    compare(*a, *b, d);
  }
}

std::string flag_or_value(const std::string& name, const json& value) {
  if (!value.is_string()) {
    throw IoError(fmt::format("manifest: config value of {} is not a string", name));
  }
  return fmt::format("--{}={}", name, value.get<std::string>());
}

}  // namespace

const std::vector<std::string>& run_local_params() {
  static const std::vector<std::string> names =
      config::params_with_scope("train", config::ParamScope::kRunLocal);
  return names;
}

void check_train_manifest(const json& manifest, const std::string& model_path) {
  auto is_text = [](const json& object, const char* key) {
    return object.contains(key) && object[key].is_string();
  };
  const bool ok = manifest.is_object() && is_text(manifest, "command") &&
                  manifest["command"] == "train" && manifest.contains("config") &&
                  manifest["config"].is_object() && manifest.contains("dataset") &&
                  manifest["dataset"].is_object() && is_text(manifest["dataset"], "path") &&
                  is_text(manifest["dataset"], "sha256");
  if (!ok) {
    throw IoError(fmt::format(
        "--model {}: field /manifest: not the manifest of a train run (expected command "
        "\"train\", a config object and dataset.path and dataset.sha256 texts)",
        model_path));
  }
}

std::vector<std::string> reproduce_arguments(const json& manifest, const std::string& model_path,
                                             const std::string& dataset_path,
                                             const std::string& out_path) {
  check_train_manifest(manifest, model_path);
  std::vector<std::string> args{"--dataset=" + dataset_path, "--out=" + out_path};
  for (const auto& [name, value] : manifest["config"].items()) {
    if (is_run_local(name)) continue;
    args.push_back(flag_or_value(name, value));
  }
  return args;
}

std::vector<std::string> model_differences(const model::Model& a, const model::Model& b) {
  Differences d;
  d.value("/@feedback", std::string(als::feedback_name(a.feedback)),
          std::string(als::feedback_name(b.feedback)));
  compare_optional("/@lambda (the training hyperparameters)", a.hyperparameters, b.hyperparameters,
                   d, compare_hyperparameters);
  d.value("/@factors", a.factors, b.factors);
  d.value("/@global_mean", a.global_mean, b.global_mean);
  d.value("/@score_min", a.score_min, b.score_min);
  d.value("/@score_max", a.score_max, b.score_max);
  d.value("/@best_iteration", a.best_iteration, b.best_iteration);
  d.value("/@seed", a.seed, b.seed);
  d.value("/@dataset_sha256", a.dataset_sha256, b.dataset_sha256);
  d.array("/users/ids", a.user_ids, b.user_ids);
  d.matrix("/users/factors", a.user_factors, b.user_factors);
  d.array("/users/bias", a.user_bias, b.user_bias);
  d.array("/anime/ids", a.anime_ids, b.anime_ids);
  d.array("/anime/titles", a.anime_titles, b.anime_titles);
  d.matrix("/anime/factors", a.anime_factors, b.anime_factors);
  d.array("/anime/bias", a.anime_bias, b.anime_bias);
  d.array("/training/history (timings left out)", history_without_timings(a.history),
          history_without_timings(b.history));
  compare_config(a, b, d);
  compare_optional("/content", a.content, b.content, d, compare_content);
  compare_optional("/ranking", a.ranking, b.ranking, d, compare_ranking);
  return d.take();
}

}  // namespace animerec::train
