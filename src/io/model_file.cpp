// model.h5 and checkpoint reader and writer. The layout is documented in
// docs/model-format.md; keep the two in step.
//
// The same checks guard both directions: the writer refuses a Model that its
// reader would refuse, with the same message shape ("LABEL: field /users/factors:
// what"), where LABEL is the path when reading and "model to write to PATH"
// when writing.

#include "animerec/io/model_file.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string_view>

#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"
#include "hdf5_util.h"

namespace animerec::io {

namespace {

using als::FactorMatrix;
using h5::Group;
using model::Checkpoint;
using model::Model;

constexpr std::string_view kUsersWhy = "the number of users in /users/ids";
constexpr std::string_view kAnimeWhy = "the number of anime in /anime/ids";
constexpr std::string_view kFactorsWhy = "the factors attribute";
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// ---------------------------------------------------------------- shared checks

[[noreturn]] void fail(std::string_view label, std::string_view field, std::string_view what) {
  throw IoError(fmt::format("{}: field {}: {}", label, field, what));
}

void check_int(std::string_view label, std::string_view field, int64_t value, int64_t lo,
               int64_t hi) {
  if (value < lo || value > hi) {
    fail(label, field,
         fmt::format("attribute is {}, expected an integer in [{}, {}]", value, lo, hi));
  }
}

void check_finite_attribute(std::string_view label, std::string_view field, float value) {
  if (!std::isfinite(value)) {
    fail(label, field, fmt::format("attribute is {}, expected a finite number", value));
  }
}

// Finite, non-negative hyperparameters: fold-in solves with them.
void check_hyperparameters(const model::Hyperparameters& h, std::string_view label) {
  auto check = [&](const std::string& attribute, double value) {
    if (!std::isfinite(value) || value < 0) {
      fail(label, "/@" + attribute,
           fmt::format("attribute is {}, expected a finite number >= 0", value));
    }
  };
  check("lambda", h.lambda);
  check("lambda_exponent", h.lambda_exponent);
  check("lambda_bias", h.lambda_bias);
  check("alpha", h.alpha);
  check("weight_scored", h.weights.scored);
  check("weight_score_slope", h.weights.score_slope);
  check("weight_score_pivot", h.weights.score_pivot);
  for (const auto& [status, name] : model::kStatusWeightParams) {
    check(model::attribute_name(name), h.weights.by_status.at(static_cast<size_t>(status)));
  }
}

// Finite scale and mean, sane hyperparameters: the values a scorer uses directly.
void check_model_values(const Model& m, std::string_view label) {
  if (m.hyperparameters) check_hyperparameters(*m.hyperparameters, label);
  check_finite_attribute(label, "/@global_mean", m.global_mean);
  check_finite_attribute(label, "/@score_min", m.score_min);
  check_finite_attribute(label, "/@score_max", m.score_max);
  if (!(m.score_min < m.score_max)) {
    fail(label, "/@score_max",
         fmt::format("attribute is {}, expected more than score_min ({})", m.score_max,
                     m.score_min));
  }
}

// `values` is row-major with `cols` columns; cols == 0 means a 1-D array.
void check_finite(std::string_view label, std::string_view field, std::span<const float> values,
                  size_t cols) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    if (cols == 0) {
      fail(label, field, fmt::format("has a non-finite value ({}) at index {}", values[i], i));
    }
    fail(label, field,
         fmt::format("has a non-finite value ({}) at row {}, column {}", values[i], i / cols,
                     i % cols));
  }
}

void check_finite(std::string_view label, std::string_view field, const FactorMatrix& m) {
  check_finite(label, field, std::span<const float>(m.data(), static_cast<size_t>(m.size())),
               static_cast<size_t>(m.cols()));
}

void check_row_count(std::string_view label, std::string_view field, size_t n) {
  if (n > static_cast<size_t>(kMaxModelRows)) {
    fail(label, field,
         fmt::format("has {} elements, more than the {} an int32 index can address", n,
                     kMaxModelRows));
  }
}

// Ids are the dataset's, ascending; a repeated id would make lookups ambiguous.
void check_ascending(std::string_view label, std::string_view field,
                     const std::vector<int64_t>& ids) {
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) {
      fail(label, field,
           fmt::format("is not strictly ascending (id {} at index {} after {})", ids[i], i,
                       ids[i - 1]));
    }
  }
}

// ---------------------------------------------------------------- write-side validation

// How messages name one side (users or anime) of a model in memory: its ids,
// its factor and bias datasets ("/users/factors" or "/best/user_factors"),
// and where the expected row count comes from.
struct SideFields {
  std::string_view ids;
  std::string_view factors;
  std::string_view bias;
  std::string_view why;
};

void validate_side(std::string_view label, const SideFields& f, size_t n, const FactorMatrix& m,
                   const std::vector<float>& bias, int k) {
  if (static_cast<size_t>(m.rows()) != n) {
    fail(label, f.factors, fmt::format("has {} rows, expected {} ({})", m.rows(), n, f.why));
  }
  if (m.cols() != k) {
    fail(label, f.factors,
         fmt::format("has {} columns, expected {} ({})", m.cols(), k, kFactorsWhy));
  }
  if (bias.size() != n) {
    fail(label, f.bias, fmt::format("has {} elements, expected {} ({})", bias.size(), n, f.why));
  }
  check_finite(label, f.factors, m);
  check_finite(label, f.bias, bias, 0);
}

constexpr SideFields kUserFields{"/users/ids", "/users/factors", "/users/bias", kUsersWhy};
constexpr SideFields kAnimeFields{"/anime/ids", "/anime/factors", "/anime/bias", kAnimeWhy};
constexpr SideFields kBestUserFields{"/users/ids", "/best/user_factors", "/best/user_bias",
                                     kUsersWhy};
constexpr SideFields kBestAnimeFields{"/anime/ids", "/best/anime_factors", "/best/anime_bias",
                                      kAnimeWhy};

// ---------------------------------------------------------------- the content part

constexpr std::string_view kFeaturesWhy = "the number of features in /content/names";
constexpr std::string_view kOffsetsWhy = "the number of anime in /anime/ids, plus 1";

void check_content_sizes(const model::ContentPart& c, size_t n_anime, std::string_view label) {
  const size_t f = c.n_features();
  auto size_is = [&](std::string_view field, size_t have, size_t want, std::string_view why) {
    if (have != want) {
      fail(label, field, fmt::format("has {} elements, expected {} ({})", have, want, why));
    }
  };
  size_is("/content/groups", c.groups.size(), f, kFeaturesWhy);
  size_is("/content/idf", c.idf.size(), f, kFeaturesWhy);
  size_is("/content/offsets", c.offsets.size(), n_anime + 1, kOffsetsWhy);
  size_is("/content/values", c.values.size(), c.cols.size(), "the length of /content/cols");
  size_is("/content/w_bias", c.w_bias.size(), f, kFeaturesWhy);
}

// Offsets from 0, non-decreasing, ending at the entry count; columns
// ascending within a row and below F.
void check_content_rows(const model::ContentPart& c, std::string_view label) {
  if (c.offsets.front() != 0) fail(label, "/content/offsets", "does not start at 0");
  for (size_t r = 0; r + 1 < c.offsets.size(); ++r) {
    if (c.offsets[r + 1] < c.offsets[r]) {
      fail(label, "/content/offsets",
           fmt::format("decreases at index {} ({} after {})", r + 1, c.offsets[r + 1],
                       c.offsets[r]));
    }
  }
  if (c.offsets.back() != static_cast<int64_t>(c.cols.size())) {
    fail(label, "/content/offsets",
         fmt::format("ends at {}, expected {} (the length of /content/cols)", c.offsets.back(),
                     c.cols.size()));
  }
  const auto f = static_cast<int64_t>(c.n_features());
  for (size_t r = 0; r + 1 < c.offsets.size(); ++r) {
    for (int64_t i = c.offsets[r]; i < c.offsets[r + 1]; ++i) {
      const int32_t col = c.cols[static_cast<size_t>(i)];
      if (col < 0 || col >= f) {
        fail(label, "/content/cols",
             fmt::format("has {} at index {}, expected a feature index in [0, {}) ({})", col, i, f,
                         kFeaturesWhy));
      }
      if (i > c.offsets[r] && col <= c.cols[static_cast<size_t>(i) - 1]) {
        fail(label, "/content/cols",
             fmt::format("is not ascending within anime row {} (index {})", r, i));
      }
    }
  }
}

void validate_content(const model::ContentPart& c, size_t n_anime, int k, std::string_view label) {
  if (!(std::isfinite(c.lambda_content) && c.lambda_content > 0)) {
    fail(label, "/content/@lambda_content",
         fmt::format("attribute is {}, expected a finite number > 0", c.lambda_content));
  }
  if (!(std::isfinite(c.ridge) && c.ridge >= 0)) {
    fail(label, "/content/@ridge",
         fmt::format("attribute is {}, expected a finite number >= 0", c.ridge));
  }
  check_content_sizes(c, n_anime, label);
  check_content_rows(c, label);
  if (static_cast<size_t>(c.w.rows()) != c.n_features()) {
    fail(label, "/content/w",
         fmt::format("has {} rows, expected {} ({})", c.w.rows(), c.n_features(), kFeaturesWhy));
  }
  if (c.w.cols() != k) {
    fail(label, "/content/w",
         fmt::format("has {} columns, expected {} ({})", c.w.cols(), k, kFactorsWhy));
  }
  check_finite(label, "/content/idf", c.idf, 0);
  check_finite(label, "/content/values", c.values, 0);
  check_finite(label, "/content/w", c.w);
  check_finite(label, "/content/w_bias", c.w_bias, 0);
}

// ---------------------------------------------------------------- the ranking part

constexpr std::string_view kRankingFactorsWhy = "the factors attribute of /ranking";

void check_positive_finite(std::string_view label, std::string_view field, double value,
                           bool zero_ok) {
  if (!std::isfinite(value) || value < 0 || (!zero_ok && value == 0)) {
    fail(
        label, field,
        fmt::format("attribute is {}, expected a finite number {} 0", value, zero_ok ? ">=" : ">"));
  }
}

// The ranking prior: a map from the /content vectors, so it needs /content.
void validate_ranking_prior(const model::RankingPart& r, const Model& m, std::string_view label) {
  if (r.content_w.size() == 0) {
    if (r.popularity) {
      fail(label, "/ranking/popularity_direction", "is present but /ranking/content_w is not");
    }
    if (r.lambda_content != 0) {
      fail(label, "/ranking/@lambda_content",
           fmt::format("is {} but /ranking/content_w is absent", r.lambda_content));
    }
    return;
  }
  check_positive_finite(label, "/ranking/@lambda_content", r.lambda_content, false);
  check_positive_finite(label, "/ranking/@content_ridge", r.content_ridge, true);
  if (!m.content) {
    fail(label, "/ranking/content_w", "is present but /content (the vectors it maps) is not");
  }
  if (static_cast<size_t>(r.content_w.rows()) != m.content->n_features()) {
    fail(label, "/ranking/content_w",
         fmt::format("has {} rows, expected {} ({})", r.content_w.rows(), m.content->n_features(),
                     kFeaturesWhy));
  }
  if (r.content_w.cols() != r.factors()) {
    fail(label, "/ranking/content_w",
         fmt::format("has {} columns, expected {} ({})", r.content_w.cols(), r.factors(),
                     kRankingFactorsWhy));
  }
  check_finite(label, "/ranking/content_w", r.content_w);
  if (!r.popularity) return;
  const model::PopularityTerm& t = *r.popularity;
  check_positive_finite(label, "/ranking/@popularity_weight", t.weight, false);
  if (!std::isfinite(t.log_mean)) {
    fail(label, "/ranking/@popularity_log_mean",
         fmt::format("attribute is {}, expected a finite number", t.log_mean));
  }
  check_positive_finite(label, "/ranking/@popularity_log_sd", t.log_sd, false);
  if (t.direction.size() != r.factors()) {
    fail(label, "/ranking/popularity_direction",
         fmt::format("has {} elements, expected {} ({})", t.direction.size(), r.factors(),
                     kRankingFactorsWhy));
  }
  check_finite(label, "/ranking/popularity_direction",
               std::span<const float>(t.direction.data(), static_cast<size_t>(t.direction.size())),
               0);
}

// The cold map: rows for the /content features, then z, z^2 and 1.
void validate_cold_map(const model::RankingPart& r, const Model& m, std::string_view label) {
  if (!r.cold_map) {
    if (!r.cold.empty()) fail(label, "/ranking/cold", "is present but /ranking/cold_w is not");
    return;
  }
  const model::ColdMap& c = *r.cold_map;
  if (!m.content) fail(label, "/ranking/cold_w", "is present but /content is not");
  check_positive_finite(label, "/ranking/@cold_ridge", c.ridge, false);
  check_positive_finite(label, "/ranking/@cold_popularity_exponent", c.popularity_exponent, true);
  check_positive_finite(label, "/ranking/@cold_blend", c.blend, true);
  if (!std::isfinite(c.log_mean)) {
    fail(label, "/ranking/@cold_log_mean",
         fmt::format("attribute is {}, expected a finite number", c.log_mean));
  }
  check_positive_finite(label, "/ranking/@cold_log_sd", c.log_sd, false);
  const auto rows = static_cast<Eigen::Index>(m.content->n_features() + 3);
  if (c.w.rows() != rows || c.w.cols() != r.factors()) {
    fail(label, "/ranking/cold_w",
         fmt::format("is {} x {}, expected {} x {} (the /content features + 3, {})", c.w.rows(),
                     c.w.cols(), rows, r.factors(), kRankingFactorsWhy));
  }
  check_finite(label, "/ranking/cold_w", c.w);
  if (r.cold.size() != m.n_anime()) {
    fail(label, "/ranking/cold",
         fmt::format("has {} elements, expected {} ({})", r.cold.size(), m.n_anime(), kAnimeWhy));
  }
  for (size_t i = 0; i < r.cold.size(); ++i) {
    if (r.cold[i] > 1) {
      fail(label, "/ranking/cold", fmt::format("element {} is {}, expected 0 or 1", i, r.cold[i]));
    }
  }
}

void validate_ranking(const model::RankingPart& r, const Model& m, std::string_view label) {
  if (m.feedback != als::Feedback::kExplicit) {
    fail(label, "/ranking", "is only allowed in explicit-feedback models");
  }
  check_positive_finite(label, "/ranking/@alpha", r.alpha, false);
  check_positive_finite(label, "/ranking/@lambda", r.lambda, true);
  if (!(r.alpha0 > 0 && r.alpha0 <= 1)) {
    fail(label, "/ranking/@alpha0",
         fmt::format("attribute is {}, expected a number in (0, 1]", r.alpha0));
  }
  if (!(r.lambda_exponent >= 0 && r.lambda_exponent <= 1)) {
    fail(label, "/ranking/@lambda_exponent",
         fmt::format("attribute is {}, expected a number in [0, 1]", r.lambda_exponent));
  }
  check_positive_finite(label, "/ranking/@blend", r.blend, true);
  check_int(label, "/ranking/@factors", r.factors(), 1, kMaxModelFactors);
  auto check = [&](std::string_view field, const FactorMatrix& f, size_t n, std::string_view why) {
    if (static_cast<size_t>(f.rows()) != n) {
      fail(label, field, fmt::format("has {} rows, expected {} ({})", f.rows(), n, why));
    }
    if (f.cols() != r.factors()) {
      fail(label, field,
           fmt::format("has {} columns, expected {} ({})", f.cols(), r.factors(),
                       kRankingFactorsWhy));
    }
    check_finite(label, field, f);
  };
  check("/ranking/user_factors", r.user_factors, m.n_users(), kUsersWhy);
  check("/ranking/anime_factors", r.anime_factors, m.n_anime(), kAnimeWhy);
  validate_ranking_prior(r, m, label);
  validate_cold_map(r, m, label);
}

// `best_iteration` is the value the root attribute will hold (see write_checkpoint).
void validate_model(const Model& m, int64_t best_iteration, std::string_view label) {
  check_int(label, "/@factors", m.factors, 1, kMaxModelFactors);
  check_int(label, "/@best_iteration", best_iteration, 0, kInt32Max);
  check_int(label, "/@ranks", m.ranks, 1, kInt32Max);
  check_int(label, "/@threads", m.threads, 1, kInt32Max);
  check_model_values(m, label);
  check_row_count(label, kUserFields.ids, m.n_users());
  check_row_count(label, kAnimeFields.ids, m.n_anime());
  check_ascending(label, kUserFields.ids, m.user_ids);
  check_ascending(label, kAnimeFields.ids, m.anime_ids);
  if (m.anime_titles.size() != m.n_anime()) {
    fail(label, "/anime/titles",
         fmt::format("has {} elements, expected {} ({})", m.anime_titles.size(), m.n_anime(),
                     kAnimeWhy));
  }
  validate_side(label, kUserFields, m.n_users(), m.user_factors, m.user_bias, m.factors);
  validate_side(label, kAnimeFields, m.n_anime(), m.anime_factors, m.anime_bias, m.factors);
  if (m.content) validate_content(*m.content, m.n_anime(), m.factors, label);
  if (m.ranking) validate_ranking(*m.ranking, m, label);
}

// The early-stopping counters of a checkpoint.
void check_counters(std::string_view label, int64_t iteration, int64_t best_iteration,
                    int64_t bad_iterations) {
  check_int(label, "/@iteration", iteration, 0, kInt32Max);
  check_int(label, "/@best_iteration", best_iteration, 0, iteration);
  check_int(label, "/@bad_iterations", bad_iterations, 0, iteration);
}

void validate_checkpoint(const Checkpoint& c, std::string_view label) {
  const Model& m = c.current;
  validate_model(m, c.best_iteration, label);
  check_counters(label, c.iteration, c.best_iteration, c.bad_iterations);
  validate_side(label, kBestUserFields, m.n_users(), c.best_user_factors, c.best_user_bias,
                m.factors);
  validate_side(label, kBestAnimeFields, m.n_anime(), c.best_anime_factors, c.best_anime_bias,
                m.factors);
}

// ---------------------------------------------------------------- writing

void write_factors(const Group& g, const char* name, const FactorMatrix& m) {
  h5::write_matrix<float>(
      g, name, std::span<const float>(m.data(), static_cast<size_t>(m.size())),
      h5::Shape2{static_cast<hsize_t>(m.rows()), static_cast<hsize_t>(m.cols())});
}

// The typed training hyperparameters: root attributes (docs/model-format.md).
void write_hyperparameters(const Group& root, const model::Hyperparameters& h) {
  h5::write_attribute(root, "lambda", h.lambda);
  h5::write_attribute(root, "lambda_exponent", h.lambda_exponent);
  h5::write_attribute(root, "lambda_bias", h.lambda_bias);
  h5::write_attribute(root, "alpha", h.alpha);
  h5::write_attribute(root, "weight_scored", h.weights.scored);
  h5::write_attribute(root, "weight_score_slope", h.weights.score_slope);
  h5::write_attribute(root, "weight_score_pivot", h.weights.score_pivot);
  for (const auto& [status, name] : model::kStatusWeightParams) {
    h5::write_attribute(root, model::attribute_name(name).c_str(),
                        h.weights.by_status.at(static_cast<size_t>(status)));
  }
}

void write_model_attributes(const Group& root, const Model& m, int32_t best_iteration,
                            const char* format, int version) {
  h5::write_attribute(root, "format", std::string_view(format));
  h5::write_attribute(root, "format_version", int64_t{version});
  h5::write_attribute(root, "feedback", std::string_view(als::feedback_name(m.feedback)));
  h5::write_attribute(root, "factors", int64_t{m.factors});
  h5::write_attribute(root, "global_mean", m.global_mean);
  h5::write_attribute(root, "score_min", m.score_min);
  h5::write_attribute(root, "score_max", m.score_max);
  h5::write_attribute(root, "best_iteration", int64_t{best_iteration});
  h5::write_attribute(root, "seed", uint64_t{m.seed});
  h5::write_attribute(root, "ranks", int64_t{m.ranks});
  h5::write_attribute(root, "threads", int64_t{m.threads});
  h5::write_attribute(root, "dataset_sha256", m.dataset_sha256);
  h5::write_attribute(root, "program_version", m.program_version);
  h5::write_attribute(root, "build_commit", m.build_commit);
  h5::write_attribute(root, "created", m.created);
  if (m.hyperparameters) write_hyperparameters(root, *m.hyperparameters);
}

// /content: only in hybrid models, after /config.
void write_content(const Group& g, const model::ContentPart& c) {
  h5::write_attribute(g, "lambda_content", c.lambda_content);
  h5::write_attribute(g, "ridge", c.ridge);
  h5::write_strings(g, "names", c.names);
  h5::write_strings(g, "groups", c.groups);
  h5::write_array(g, "idf", c.idf);
  h5::write_array(g, "offsets", c.offsets);
  h5::write_array(g, "cols", c.cols);
  h5::write_array(g, "values", c.values);
  write_factors(g, "w", c.w);
  h5::write_array(g, "w_bias", c.w_bias);
}

// /ranking: only in explicit models trained with --ranking-factors, after /content.
void write_ranking(const Group& g, const model::RankingPart& r) {
  h5::write_attribute(g, "factors", int64_t{r.factors()});
  h5::write_attribute(g, "alpha", r.alpha);
  h5::write_attribute(g, "lambda", r.lambda);
  h5::write_attribute(g, "alpha0", r.alpha0);
  h5::write_attribute(g, "lambda_exponent", r.lambda_exponent);
  h5::write_attribute(g, "regularization",
                      std::string_view(r.ridge_counts_unobserved ? "frequency" : "count"));
  h5::write_attribute(g, "blend", r.blend);
  write_factors(g, "user_factors", r.user_factors);
  write_factors(g, "anime_factors", r.anime_factors);
  if (r.content_w.size() > 0) {
    h5::write_attribute(g, "lambda_content", r.lambda_content);
    h5::write_attribute(g, "content_ridge", r.content_ridge);
    write_factors(g, "content_w", r.content_w);
  }
  if (r.popularity) {
    const model::PopularityTerm& t = *r.popularity;
    h5::write_attribute(g, "popularity_weight", t.weight);
    h5::write_attribute(g, "popularity_log_mean", t.log_mean);
    h5::write_attribute(g, "popularity_log_sd", t.log_sd);
    h5::write_array(
        g, "popularity_direction",
        std::vector<float>(t.direction.data(), t.direction.data() + t.direction.size()));
  }
  if (r.cold_map) {
    const model::ColdMap& c = *r.cold_map;
    h5::write_attribute(g, "cold_ridge", c.ridge);
    h5::write_attribute(g, "cold_popularity_exponent", c.popularity_exponent);
    h5::write_attribute(g, "cold_blend", c.blend);
    h5::write_attribute(g, "cold_log_mean", c.log_mean);
    h5::write_attribute(g, "cold_log_sd", c.log_sd);
    write_factors(g, "cold_w", c.w);
    h5::write_array(g, "cold", r.cold);
  }
}

// Groups after the root attributes: /users, /anime, /training, /config,
// /content for a hybrid model, /ranking for a model with a ranking part, and
// the /manifest string of a trained model.
void write_model_groups(const Group& root, const Model& m) {
  Group users = root.create_group("users");
  h5::write_array(users, "ids", m.user_ids);
  write_factors(users, "factors", m.user_factors);
  h5::write_array(users, "bias", m.user_bias);

  Group anime = root.create_group("anime");
  h5::write_array(anime, "ids", m.anime_ids);
  h5::write_strings(anime, "titles", m.anime_titles);
  write_factors(anime, "factors", m.anime_factors);
  h5::write_array(anime, "bias", m.anime_bias);

  h5::write_strings(root.create_group("training"), "history", m.history);

  h5::write_string_map(root, "config", m.config);
  if (m.content) write_content(root.create_group("content"), *m.content);
  if (m.ranking) write_ranking(root.create_group("ranking"), *m.ranking);
  if (!m.manifest.empty()) h5::write_strings(root, "manifest", {m.manifest});
}

void write_checkpoint_file(const Group& root, const Checkpoint& c) {
  write_model_attributes(root, c.current, c.best_iteration, kCheckpointFormatName,
                         Checkpoint::kFormatVersion);
  h5::write_attribute(root, "iteration", int64_t{c.iteration});
  h5::write_attribute(root, "best_metric", c.best_metric);
  h5::write_attribute(root, "bad_iterations", int64_t{c.bad_iterations});
  write_model_groups(root, c.current);
  Group best = root.create_group("best");
  write_factors(best, "user_factors", c.best_user_factors);
  write_factors(best, "anime_factors", c.best_anime_factors);
  h5::write_array(best, "user_bias", c.best_user_bias);
  h5::write_array(best, "anime_bias", c.best_anime_bias);
}

// Writes through a temporary file; `fill` creates the content.
template <class Fill>
void write_atomically(const std::string& path, bool overwrite, const std::string& what,
                      Fill&& fill) {
  AtomicOutput out(path, overwrite, what);
  {
    h5::File file = h5::File::create(out.temp_path(), path);
    fill(file.root());
    file.close();
  }
  out.commit();
}

// ---------------------------------------------------------------- reading

h5::File open_file(const std::string& path, const char* format, const char* what, int version) {
  h5::File file = h5::File::open_read(path);
  const Group& root = file.root();
  if (!root.has_attribute("format")) {
    throw IoError(fmt::format("{} is not an animerec {} (no format attribute)", path, what));
  }
  std::string found = h5::read_string_attribute(root, "format");
  if (found != format) {
    throw IoError(
        fmt::format("{} is not an animerec {} (format attribute is \"{}\")", path, what, found));
  }
  int64_t found_version = h5::read_int_attribute(root, "format_version");
  if (found_version != version) {
    // Version 1 predates array checksums; its files are otherwise the same,
    // but accepting them would let a corrupt pre-checksum file through.
    std::string_view hint =
        found_version == 1 ? "; version 1 files carry no checksums: train again to rewrite it" : "";
    throw IoError(fmt::format(
        "{}: field /@format_version: version {} is not supported (this program reads version {}{})",
        path, found_version, version, hint));
  }
  file.root().require_checksums();
  return file;
}

int32_t read_int32(const Group& g, const char* name, int64_t lo, int64_t hi) {
  int64_t value = h5::read_int_attribute(g, name);
  check_int(g.file(), g.child_path(fmt::format("@{}", name)), value, lo, hi);
  return static_cast<int32_t>(value);
}

// The score rule of the implicit weights: absent in files written before it
// existed, which were trained with slope 0 (the score's value not counted).
void read_score_weights(const Group& root, model::ImplicitWeights& w) {
  if (root.has_attribute("weight_score_slope")) {
    w.score_slope = h5::read_double_attribute(root, "weight_score_slope");
    w.score_pivot = h5::read_double_attribute(root, "weight_score_pivot");
  } else {
    w.score_slope = 0;
    w.score_pivot = 0;
  }
}

// The typed hyperparameters, or nullopt in a file written before they were
// stored (no /@lambda): read_model_groups then takes them from /config.
std::optional<model::Hyperparameters> read_hyperparameters(const Group& root) {
  if (!root.has_attribute("lambda")) return std::nullopt;
  model::Hyperparameters h;
  h.lambda = h5::read_double_attribute(root, "lambda");
  h.lambda_exponent = h5::read_double_attribute(root, "lambda_exponent");
  h.lambda_bias = h5::read_double_attribute(root, "lambda_bias");
  h.alpha = h5::read_double_attribute(root, "alpha");
  h.weights.scored = h5::read_double_attribute(root, "weight_scored");
  read_score_weights(root, h.weights);
  for (const auto& [status, name] : model::kStatusWeightParams) {
    h.weights.by_status.at(static_cast<size_t>(status)) =
        h5::read_double_attribute(root, model::attribute_name(name).c_str());
  }
  return h;
}

// A file written before the hyperparameters were stored typed: train wrote
// every parameter's value into /config, so they are read back from there.
// A model whose /config lacks one of them (hand-made) has none.
std::optional<model::Hyperparameters> hyperparameters_from_config(
    const std::map<std::string, std::string>& config) {
  auto number = [&](const std::string& name) -> std::optional<double> {
    auto it = config.find(name);
    if (it == config.end()) return std::nullopt;
    double v = 0;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
  };
  model::Hyperparameters h;
  h.weights.score_slope = 0;  // such files predate the score rule
  h.weights.score_pivot = 0;
  std::vector<std::pair<const char*, double*>> fields = {{"lambda", &h.lambda},
                                                         {"lambda-exponent", &h.lambda_exponent},
                                                         {"lambda-bias", &h.lambda_bias},
                                                         {"alpha", &h.alpha},
                                                         {"weight-scored", &h.weights.scored}};
  for (const auto& [status, name] : model::kStatusWeightParams) {
    fields.emplace_back(name, &h.weights.by_status.at(static_cast<size_t>(status)));
  }
  for (const auto& [name, field] : fields) {
    auto v = number(name);
    if (!v) return std::nullopt;
    *field = *v;
  }
  return h;
}

void read_model_attributes(const Group& root, Model& m) {
  const std::string feedback = h5::read_string_attribute(root, "feedback");
  if (auto f = als::feedback_from_name_if(feedback)) {
    m.feedback = *f;
  } else {
    fail(root.file(), "/@feedback",
         fmt::format("attribute is \"{}\", expected \"explicit\" or \"implicit\"", feedback));
  }
  m.hyperparameters = read_hyperparameters(root);
  m.factors = read_int32(root, "factors", 1, kMaxModelFactors);
  m.global_mean = h5::read_float_attribute(root, "global_mean");
  m.score_min = h5::read_float_attribute(root, "score_min");
  m.score_max = h5::read_float_attribute(root, "score_max");
  m.best_iteration = read_int32(root, "best_iteration", 0, kInt32Max);
  m.seed = h5::read_uint64_attribute(root, "seed");
  m.ranks = read_int32(root, "ranks", 1, kInt32Max);
  m.threads = read_int32(root, "threads", 1, kInt32Max);
  m.dataset_sha256 = h5::read_string_attribute(root, "dataset_sha256");
  m.program_version = h5::read_string_attribute(root, "program_version");
  m.build_commit = h5::read_string_attribute(root, "build_commit");
  m.created = h5::read_string_attribute(root, "created");
  check_model_values(m, root.file());
}

// A 1-D array whose length the file alone determines: bounded by the data
// the file really stores before anything is allocated.
template <class T>
std::vector<T> read_unbounded(const Group& g, const char* name) {
  h5::array_length<T>(g, name);  // rank and type
  h5::check_stored_size(g, name);
  return h5::read_array<T>(g, name);
}

std::vector<std::string> read_unbounded_strings(const Group& g, const char* name) {
  h5::strings_length(g, name);
  h5::check_stored_size(g, name);
  return h5::read_strings(g, name);
}

// A 1-D array that must have `n` elements.
std::vector<float> read_floats(const Group& g, const char* name, hsize_t n, std::string_view why) {
  hsize_t length = h5::array_length<float>(g, name);
  if (length != n) g.fail(name, fmt::format("has {} elements, expected {} ({})", length, n, why));
  h5::check_stored_size(g, name);
  auto values = h5::read_array<float>(g, name, n, why);
  check_finite(g.file(), g.child_path(name), values, 0);
  return values;
}

std::vector<int64_t> read_ids(const Group& g) {
  hsize_t n = h5::array_length<int64_t>(g, "ids");
  check_row_count(g.file(), g.child_path("ids"), n);
  auto ids = read_unbounded<int64_t>(g, "ids");
  check_ascending(g.file(), g.child_path("ids"), ids);
  return ids;
}

// Shape and stored size come from metadata, before the matrix is allocated.
FactorMatrix read_factors(const Group& g, const char* name, hsize_t rows, int k,
                          std::string_view rows_why) {
  h5::Shape2 shape{rows, static_cast<hsize_t>(k)};
  h5::check_matrix_shape<float>(g, name, shape, rows_why, kFactorsWhy);
  h5::check_stored_size(g, name);
  FactorMatrix m(static_cast<Eigen::Index>(rows), k);
  h5::read_matrix<float>(g, name, shape, rows_why, kFactorsWhy,
                         std::span<float>(m.data(), static_cast<size_t>(m.size())));
  check_finite(g.file(), g.child_path(name), m);
  return m;
}

std::vector<std::string> read_titles(const Group& g, hsize_t n) {
  hsize_t length = h5::strings_length(g, "titles");
  if (length != n) {
    g.fail("titles", fmt::format("has {} elements, expected {} ({})", length, n, kAnimeWhy));
  }
  h5::check_stored_size(g, "titles");
  return h5::read_strings(g, "titles", n, kAnimeWhy);
}

// The effective configuration: parallel name/value arrays, names sorted and unique.
std::map<std::string, std::string> read_config(const Group& g) {
  auto names = read_unbounded_strings(g, "name");
  hsize_t n_values = h5::strings_length(g, "value");
  if (n_values != names.size()) {
    g.fail("value", fmt::format("has {} elements, expected {} (the length of {})", n_values,
                                names.size(), g.child_path("name")));
  }
  h5::check_stored_size(g, "value");
  auto values = h5::read_strings(g, "value", names.size(), "");
  for (size_t i = 1; i < names.size(); ++i) {
    if (names[i] <= names[i - 1]) {
      g.fail("name", fmt::format("is not sorted and unique (\"{}\" at index {} after \"{}\")",
                                 names[i], i, names[i - 1]));
    }
  }
  std::map<std::string, std::string> config;
  for (size_t i = 0; i < names.size(); ++i) {
    config.emplace_hint(config.end(), std::move(names[i]), std::move(values[i]));
  }
  return config;
}

// /content, validated like the writer validates it (field names in messages).
model::ContentPart read_content(const Group& g, const Model& m) {
  model::ContentPart c;
  c.lambda_content = h5::read_double_attribute(g, "lambda_content");
  c.ridge = h5::read_double_attribute(g, "ridge");
  c.names = read_unbounded_strings(g, "names");
  const hsize_t f = c.names.size();
  c.groups = h5::read_strings(g, "groups", f, kFeaturesWhy);
  c.idf = read_floats(g, "idf", f, kFeaturesWhy);
  c.offsets = h5::read_array<int64_t>(g, "offsets", m.n_anime() + 1, kOffsetsWhy);
  c.cols = read_unbounded<int32_t>(g, "cols");
  c.values = read_floats(g, "values", c.cols.size(), "the length of /content/cols");
  c.w = read_factors(g, "w", f, m.factors, kFeaturesWhy);
  c.w_bias = read_floats(g, "w_bias", f, kFeaturesWhy);
  validate_content(c, m.n_anime(), m.factors, g.file());
  return c;
}

// /ranking, validated like the writer validates it.
model::RankingPart read_ranking(const Group& g, const Model& m) {
  model::RankingPart r;
  const int k = read_int32(g, "factors", 1, kMaxModelFactors);
  r.alpha = h5::read_double_attribute(g, "alpha");
  r.lambda = h5::read_double_attribute(g, "lambda");
  // Absent in files written before the frequency-scaled fit: their part was
  // fit with alpha0 1 and the ridge lambda * n (the RankingPart defaults).
  if (g.has_attribute("alpha0")) {
    r.alpha0 = h5::read_double_attribute(g, "alpha0");
    r.lambda_exponent = h5::read_double_attribute(g, "lambda_exponent");
    const std::string regularization = h5::read_string_attribute(g, "regularization");
    if (regularization != "count" && regularization != "frequency") {
      fail(g.file(), "/ranking/@regularization",
           fmt::format("attribute is \"{}\", expected \"count\" or \"frequency\"", regularization));
    }
    r.ridge_counts_unobserved = regularization == "frequency";
  }
  r.blend = h5::read_double_attribute(g, "blend");
  r.user_factors = read_factors(g, "user_factors", m.n_users(), k, kUsersWhy);
  r.anime_factors = read_factors(g, "anime_factors", m.n_anime(), k, kAnimeWhy);
  // A model written before the ranking prior existed has none: read it so.
  if (g.has_child("content_w")) {
    r.lambda_content = h5::read_double_attribute(g, "lambda_content");
    r.content_ridge = h5::read_double_attribute(g, "content_ridge");
    if (!m.content) g.fail("content_w", "is present but /content (the vectors it maps) is not");
    r.content_w = read_factors(g, "content_w", m.content->n_features(), k, kFeaturesWhy);
  }
  if (g.has_child("popularity_direction")) {
    model::PopularityTerm t;
    t.weight = h5::read_double_attribute(g, "popularity_weight");
    t.log_mean = h5::read_double_attribute(g, "popularity_log_mean");
    t.log_sd = h5::read_double_attribute(g, "popularity_log_sd");
    const std::vector<float> d =
        read_floats(g, "popularity_direction", static_cast<hsize_t>(k), kRankingFactorsWhy);
    t.direction = Eigen::Map<const Eigen::VectorXf>(d.data(), static_cast<Eigen::Index>(d.size()));
    r.popularity = std::move(t);
  }
  // A model written before the cold map existed has none: its cold anime are
  // ranked as before, with the ranking part's blend.
  if (g.has_child("cold_w")) {
    if (!m.content) g.fail("cold_w", "is present but /content (the vectors it maps) is not");
    model::ColdMap c;
    c.ridge = h5::read_double_attribute(g, "cold_ridge");
    c.popularity_exponent = h5::read_double_attribute(g, "cold_popularity_exponent");
    c.blend = h5::read_double_attribute(g, "cold_blend");
    c.log_mean = h5::read_double_attribute(g, "cold_log_mean");
    c.log_sd = h5::read_double_attribute(g, "cold_log_sd");
    c.w = read_factors(g, "cold_w", m.content->n_features() + 3, k,
                       "the /content features + 3 (z, z^2, 1)");
    r.cold_map = std::move(c);
    r.cold = h5::read_array<uint8_t>(g, "cold", m.n_anime(), kAnimeWhy);
  }
  validate_ranking(r, m, g.file());
  return r;
}

// /manifest: one string holding a JSON object (optional: older files have none).
std::string read_manifest(const Group& root) {
  auto texts = h5::read_strings(root, "manifest", 1, "one JSON text");
  if (!nlohmann::json::accept(texts[0]) || !nlohmann::json::parse(texts[0]).is_object()) {
    root.fail("manifest", "is not a JSON object");
  }
  return std::move(texts[0]);
}

// Everything but the root attributes; groups this version does not know are
// never opened, so they are ignored. /content is optional (hybrid models).
void read_model_groups(const Group& root, Model& m) {
  Group users = root.open_group("users");
  m.user_ids = read_ids(users);
  Group anime = root.open_group("anime");
  m.anime_ids = read_ids(anime);
  m.anime_titles = read_titles(anime, m.n_anime());
  m.user_factors = read_factors(users, "factors", m.n_users(), m.factors, kUsersWhy);
  m.user_bias = read_floats(users, "bias", m.n_users(), kUsersWhy);
  m.anime_factors = read_factors(anime, "factors", m.n_anime(), m.factors, kAnimeWhy);
  m.anime_bias = read_floats(anime, "bias", m.n_anime(), kAnimeWhy);
  m.history = read_unbounded_strings(root.open_group("training"), "history");
  m.config = read_config(root.open_group("config"));
  if (!m.hyperparameters) m.hyperparameters = hyperparameters_from_config(m.config);
  if (root.has_child("content")) m.content = read_content(root.open_group("content"), m);
  if (root.has_child("ranking")) m.ranking = read_ranking(root.open_group("ranking"), m);
  if (root.has_child("manifest")) m.manifest = read_manifest(root);
}

void read_best(const Group& root, Checkpoint& c) {
  const Model& m = c.current;
  Group best = root.open_group("best");
  c.best_user_factors = read_factors(best, "user_factors", m.n_users(), m.factors, kUsersWhy);
  c.best_anime_factors = read_factors(best, "anime_factors", m.n_anime(), m.factors, kAnimeWhy);
  c.best_user_bias = read_floats(best, "user_bias", m.n_users(), kUsersWhy);
  c.best_anime_bias = read_floats(best, "anime_bias", m.n_anime(), kAnimeWhy);
}

}  // namespace

void write_model(const model::Model& m, const std::string& path, bool overwrite) {
  // Never put a model on disk that read_model would refuse.
  validate_model(m, m.best_iteration, fmt::format("model to write to {}", path));
  write_atomically(path, overwrite, "--out", [&](const Group& root) {
    write_model_attributes(root, m, m.best_iteration, kModelFormatName, Model::kFormatVersion);
    write_model_groups(root, m);
  });
}

model::Model read_model(const std::string& path) {
  h5::File file = open_file(path, kModelFormatName, "model", Model::kFormatVersion);
  Model m;
  read_model_attributes(file.root(), m);
  read_model_groups(file.root(), m);
  return m;
}

void write_checkpoint(const model::Checkpoint& c, const std::string& path) {
  validate_checkpoint(c, fmt::format("checkpoint to write to {}", path));
  write_atomically(path, /*overwrite=*/true, "checkpoint",
                   [&](const Group& root) { write_checkpoint_file(root, c); });
}

model::Checkpoint read_checkpoint(const std::string& path) {
  h5::File file = open_file(path, kCheckpointFormatName, "checkpoint", Checkpoint::kFormatVersion);
  const Group& root = file.root();
  Checkpoint c;
  read_model_attributes(root, c.current);
  c.best_iteration = c.current.best_iteration;
  c.iteration = read_int32(root, "iteration", 0, kInt32Max);
  c.bad_iterations = read_int32(root, "bad_iterations", 0, kInt32Max);
  c.best_metric = h5::read_double_attribute(root, "best_metric");
  check_counters(path, c.iteration, c.best_iteration, c.bad_iterations);
  read_model_groups(root, c.current);
  read_best(root, c);
  return c;
}

}  // namespace animerec::io
