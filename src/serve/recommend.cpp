#include "animerec/serve/recommend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/io/model_file.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/output.h"

namespace animerec::serve {
namespace {

bool is_explicit(const model::Model& m) { return m.feedback != "implicit"; }

// Cosine of two anime factor rows; 0 when either is all zero (a cold anime of
// a plain ALS model has no factors and so no neighbours).
double factor_cosine(const model::Model& m, int32_t a, int32_t b) {
  auto x = m.anime_factors.row(a).cast<double>();
  auto y = m.anime_factors.row(b).cast<double>();
  double nx = x.norm(), ny = y.norm();
  if (nx == 0 || ny == 0) return 0.0;
  return x.dot(y) / (nx * ny);
}

std::vector<double> cf_similarity(const model::Model& m, int32_t anime) {
  std::vector<double> s(m.n_anime());
  for (size_t b = 0; b < s.size(); ++b) s[b] = factor_cosine(m, anime, static_cast<int32_t>(b));
  return s;
}

std::vector<double> content_similarity(const model::Model& m, int32_t anime) {
  const content::ContentMatrix c = content_matrix(m);
  std::vector<double> s(m.n_anime());
  for (size_t b = 0; b < s.size(); ++b)
    s[b] = content::cosine(c, anime, c, static_cast<int32_t>(b));
  return s;
}

std::vector<double> content_scores(const model::Model& m, const UserRows& rows) {
  const content::ContentMatrix c = content_matrix(m);
  std::vector<int32_t> anime;
  std::vector<float> scores;
  for (size_t i = 0; i < rows.anime.size(); ++i) {
    if (rows.score[i] > 0 && rows.split[i] == static_cast<uint8_t>(data::Split::kTrain)) {
      anime.push_back(rows.anime[i]);
      scores.push_back(rows.score[i]);
    }
  }
  if (anime.empty()) {
    throw Error(
        "--mode content: the user has no scored training ratings to build a content profile "
        "from; use --mode model");
  }
  const content::UserProfile p = content::user_profile(c, anime, scores);
  std::vector<double> s(m.n_anime());
  for (size_t a = 0; a < s.size(); ++a)
    s[a] = content::profile_score(p, c, static_cast<int32_t>(a));
  return s;
}

void check_request(const RecommendOptions& o) {
  if (o.has_user == !o.similar.empty()) {
    throw ConfigError(
        "give exactly one of --user ID (recommendations for a user) and "
        "--similar ANIME (anime like one anime)");
  }
  if (o.has_user && o.dataset_path.empty()) {
    throw ConfigError(
        "--user needs --dataset (the dataset.h5 the model was trained on), to "
        "know what the user has already seen");
  }
  if (o.format != "table" && o.format != "json" && o.format != "csv") {
    throw ConfigError(fmt::format("--format {}: must be table, json or csv", o.format));
  }
}

}  // namespace

UserMode user_mode_from_name(const std::string& name) {
  if (name == "model") return UserMode::kModel;
  if (name == "content") return UserMode::kContent;
  throw ConfigError(fmt::format("--mode {}: must be model or content", name));
}

SimilarMode similar_mode_from_name(const std::string& name) {
  if (name == "cf") return SimilarMode::kCf;
  if (name == "content") return SimilarMode::kContent;
  if (name == "hybrid") return SimilarMode::kHybrid;
  throw ConfigError(fmt::format("--similar-mode {}: must be cf, content or hybrid", name));
}

const char* user_mode_name(UserMode m) { return m == UserMode::kModel ? "model" : "content"; }

const char* similar_mode_name(SimilarMode m) {
  switch (m) {
    case SimilarMode::kCf:
      return "cf";
    case SimilarMode::kContent:
      return "content";
    case SimilarMode::kHybrid:
      return "hybrid";
  }
  return "?";
}

UserRows read_user_rows(const std::string& dataset_path, const io::DatasetHeader& h, int32_t user) {
  const auto u = static_cast<size_t>(user);
  data::RatingArrays r = io::read_rating_slice(dataset_path, io::Orientation::kByUser,
                                               h.user_offsets.at(u), h.user_offsets.at(u + 1));
  UserRows out;
  out.anime = std::move(r.anime);
  out.score = std::move(r.score);
  out.split = std::move(r.split);
  return out;
}

content::ContentMatrix content_matrix(const model::Model& m) {
  if (!m.content) {
    throw Error(
        "this model has no content vectors (it was trained as plain ALS); content scores need a "
        "hybrid model: train with --lambda-content > 0 (e.g. animerec train --lambda-content 1 "
        "...)");
  }
  content::ContentMatrix c;
  c.first_row = 0;
  c.n_features = static_cast<int32_t>(m.content->n_features());
  c.offsets = m.content->offsets;
  c.cols = m.content->cols;
  c.values = m.content->values;
  return c;
}

std::vector<Scored> top_n(const std::vector<double>& scores, const std::vector<uint8_t>& excluded,
                          int top) {
  std::vector<int32_t> rows;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (excluded.empty() || !excluded[i]) rows.push_back(static_cast<int32_t>(i));
  }
  const size_t n = std::min(rows.size(), static_cast<size_t>(std::max(top, 0)));
  // Descending score, then ascending index: a total order, so the result
  // never depends on the sort algorithm.
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(),
                    [&](int32_t a, int32_t b) {
                      if (scores[a] != scores[b]) return scores[a] > scores[b];
                      return a < b;
                    });
  std::vector<Scored> out;
  for (size_t i = 0; i < n; ++i) out.push_back({rows[i], scores[rows[i]]});
  return out;
}

std::vector<Scored> recommend_for_user(const model::Model& m, int32_t user, const UserRows& rows,
                                       UserMode mode, bool include_seen, int top) {
  std::vector<uint8_t> seen(m.n_anime(), 0);
  if (!include_seen) {
    for (int32_t a : rows.anime) seen.at(static_cast<size_t>(a)) = 1;
  }
  if (mode == UserMode::kContent) return top_n(content_scores(m, rows), seen, top);
  const model::UserScores s = model::score_user(m, model::model_users(m, user, 1));
  std::vector<Scored> out = top_n(s.ranking, seen, top);
  // Rank on the ranking score (the raw prediction without a ranking part:
  // clipping would tie every anime above the scale); show the predicted
  // score on the scale the user rates on.
  for (Scored& r : out) {
    r.score = s.predicted[static_cast<size_t>(r.anime)];
    if (is_explicit(m)) r.score = std::clamp(r.score, double{m.score_min}, double{m.score_max});
  }
  return out;
}

std::vector<Scored> similar_anime(const model::Model& m, int32_t anime, SimilarMode mode,
                                  double blend, int top) {
  std::vector<double> scores;
  if (mode == SimilarMode::kCf) {
    scores = cf_similarity(m, anime);
  } else if (mode == SimilarMode::kContent) {
    scores = content_similarity(m, anime);
  } else {
    const std::vector<double> content = content_similarity(m, anime);
    scores = cf_similarity(m, anime);
    for (size_t b = 0; b < scores.size(); ++b)
      scores[b] = blend * scores[b] + (1 - blend) * content[b];
  }
  std::vector<uint8_t> self(m.n_anime(), 0);
  self.at(static_cast<size_t>(anime)) = 1;
  return top_n(scores, self, top);
}

std::string run_recommend(const RecommendOptions& o) {
  check_request(o);
  const model::Model m = io::read_model(o.model_path);
  data::AnimeMeta meta;
  const bool has_dataset = !o.dataset_path.empty();
  io::DatasetHeader h;
  if (has_dataset) {
    h = io::read_dataset_header(o.dataset_path);
    check_dataset_matches(m, h, o.model_path, o.dataset_path);
    meta = io::read_anime_meta(o.dataset_path);
  }
  Query query = Query::object();
  std::vector<Scored> items;
  if (o.has_user) {
    const int32_t u = find_user(m, o.user_id);
    const UserRows rows = read_user_rows(o.dataset_path, h, u);
    items = recommend_for_user(m, u, rows, o.mode, o.include_seen, o.top);
    query["user"] = o.user_id;
    query["mode"] = user_mode_name(o.mode);
    query["include_seen"] = o.include_seen;
    query["seen"] = rows.anime.size();
  } else {
    const int32_t a = find_anime(m, o.similar);
    items = similar_anime(m, a, o.similar_mode, o.similar_blend, o.top);
    query["similar"] = m.anime_ids[static_cast<size_t>(a)];
    query["title"] = m.anime_titles[static_cast<size_t>(a)];
    query["similar_mode"] = similar_mode_name(o.similar_mode);
    if (o.similar_mode == SimilarMode::kHybrid) query["similar_blend"] = o.similar_blend;
  }
  return format_list(query, items, m, has_dataset ? &meta : nullptr, o.format);
}

}  // namespace animerec::serve
