#include "animerec/serve/new_anime.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "animerec/content/content.h"
#include "animerec/core/error.h"
#include "animerec/data/bad_rows.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {
namespace {

// A stored configuration value, or `fallback` when the model does not record it.
std::string stored(const model::Model& m, const std::string& param, const std::string& fallback) {
  const auto it = m.config.find(param);
  return it == m.config.end() ? fallback : it->second;
}

float stored_weight(const model::Model& m, const char* param, float fallback) {
  return std::stof(stored(m, param, fmt::format("{}", fallback)));
}

int32_t stored_int(const model::Model& m, const char* param, int32_t fallback) {
  return static_cast<int32_t>(std::stol(stored(m, param, std::to_string(fallback))));
}

bool stored_bool(const model::Model& m, const char* param, bool fallback) {
  return stored(m, param, fallback ? "true" : "false") == "true";
}

// Anime metadata of one record, as prepare stores it (data/prepare.cpp).
data::AnimeMeta meta_of(const data::AnimeRecord& r) {
  data::AnimeMeta meta;
  meta.resize(1);
  meta.has_metadata[0] = 1;
  meta.title[0] = r.title;
  meta.type[0] = r.type;
  meta.source[0] = r.source;
  meta.age_rating[0] = r.age_rating;
  meta.season[0] = r.season;
  meta.synopsis[0] = r.synopsis;
  meta.episodes[0] = r.episodes;
  meta.year[0] = r.year;
  meta.duration_min[0] = r.duration_min;
  meta.members[0] = r.members;
  meta.community_score[0] = r.community_score;
  auto multi = [](const std::vector<std::string>& items) {
    data::MultiValued mv{items, {0, static_cast<int64_t>(items.size())}, {}};
    for (size_t i = 0; i < items.size(); ++i) mv.values.push_back(static_cast<int32_t>(i));
    return mv;
  };
  meta.genres = multi(r.genres);
  meta.studios = multi(r.studios);
  return meta;
}

bool in_group(const model::ContentPart& c, const std::string& group, const std::string& name) {
  for (size_t f = 0; f < c.n_features(); ++f)
    if (c.groups[f] == group && c.names[f] == name) return true;
  return false;
}

const model::ContentPart& content_part(const model::Model& m, const std::string& path) {
  if (!m.content) {
    throw Error(fmt::format(
        "{}: this model has no content part (it was trained as plain ALS), so an "
        "anime nobody rated has nothing to be placed by; train with --lambda-content > 0",
        path));
  }
  return *m.content;
}

bool is_explicit(const model::Model& m) { return m.feedback == als::Feedback::kExplicit; }

NewAnime from_model(const model::Model& m, int32_t row) {
  NewAnime a;
  const auto r = static_cast<size_t>(row);
  a.id = m.anime_ids[r];
  a.title = m.anime_titles[r];
  a.model_row = row;
  a.content = model_content_row(m, row);
  a.factors = m.anime_factors.row(row).cast<double>().transpose();
  a.bias = m.anime_bias.empty() ? 0.0 : double{m.anime_bias[r]};
  if (m.ranking) a.ranking = cowatch_factors(m, row);  // learnt, or from the ranking prior
  return a;
}

NewAnime from_content(const model::Model& m, int64_t id, const data::AnimeRecord& rec,
                      std::vector<std::string>& unknown) {
  NewAnime a;
  a.id = id;
  a.title = rec.title;
  a.content = content_of_record(m, rec, &unknown);
  const model::ContentPart& c = *m.content;
  a.factors = factors_from_content(c.w, a.content);
  for (size_t i = 0; i < a.content.cols.size(); ++i)
    a.bias += double{a.content.values[i]} * c.w_bias[static_cast<size_t>(a.content.cols[i])];
  if (!is_explicit(m)) a.bias = 0;
  if (m.ranking && m.ranking->cold_map) {
    // The trainer's cold path (train/cold_map.cpp) uses the same function.
    a.ranking =
        m.ranking->cold_map->factors(a.content.cols, a.content.values, rec.members).cast<double>();
  } else if (m.ranking) {
    a.ranking = m.ranking->content_w.rows() > 0
                    ? factors_from_content(m.ranking->content_w, a.content)
                    : Eigen::VectorXd::Zero(m.ranking->factors());
    // The trainer's cold path adds the popularity term the same way
    // (train/popularity.cpp), so a known member count moves a new anime too.
    if (m.ranking->popularity) {
      a.ranking += m.ranking->popularity->cold_offset(rec.members).cast<double>();
    }
  }
  return a;
}

// The new anime's content vector as a one-row matrix placed after the model's
// anime, so content::cosine compares it with them as it compares model anime.
content::ContentMatrix new_anime_row_matrix(const ContentRow& x, const model::Model& m) {
  content::ContentMatrix r;
  r.first_row = static_cast<int32_t>(m.n_anime());
  r.n_features = static_cast<int32_t>(m.content->n_features());
  r.offsets = {0, static_cast<int64_t>(x.cols.size())};
  r.cols = x.cols;
  r.values = x.values;
  return r;
}

double factor_cosine(const Eigen::VectorXd& q, const model::Model& m, int32_t b) {
  const Eigen::VectorXd y = m.anime_factors.row(b).cast<double>().transpose();
  const double n = q.norm() * y.norm();
  return n == 0 ? 0.0 : q.dot(y) / n;
}

}  // namespace

content::ContentOptions content_options_of(const model::Model& m) {
  content::ContentOptions o;
  for (const auto& w : content::kContentWeightParams)
    o.*w.field = stored_weight(m, w.param, o.*w.field);
  for (const auto& i : content::kContentIntegerParams)
    o.*i.field = stored_int(m, i.param, o.*i.field);
  for (const auto& f : content::kContentFlagParams)
    o.*f.field = stored_bool(m, f.param, o.*f.field);
  return o;
}

ContentRow content_of_record(const model::Model& m, const data::AnimeRecord& r,
                             std::vector<std::string>* unknown) {
  const model::ContentPart& c = content_part(m, "a new anime");
  content::Vocabulary v;
  v.names = c.names;
  v.groups = c.groups;
  v.idf = c.idf;
  const content::ContentMatrix x =
      content::build_content(meta_of(r), v, 0, 1, content_options_of(m));
  if (unknown != nullptr) {
    for (const std::string& g : r.genres)
      if (!in_group(c, "genre", g)) unknown->push_back(fmt::format("genre '{}' (ignored)", g));
    for (const std::string& s : r.studios)
      if (!in_group(c, "studio", s))
        unknown->push_back(fmt::format("studio '{}' (counted as Studio: other)", s));
  }
  return ContentRow{x.cols, x.values};
}

std::vector<NewAnime> read_new_anime(const model::Model& m, const std::string& path,
                                     std::vector<std::string>* notes) {
  content_part(m, "--new-anime " + path);
  data::BadRowLog log{data::BadRowPolicy::kError};
  const data::AnimeTable table = data::read_anime_file(path, data::AnimeLayout::kAuto, log, true);
  if (table.by_id.empty()) {
    throw Error(fmt::format(
        "--new-anime {}: the file has a header but no anime rows; give one metadata row per new "
        "anime (any layout prepare --anime reads)",
        path));
  }
  std::vector<int64_t> ids;
  for (const auto& [id, rec] : table.by_id) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  std::vector<NewAnime> out;
  for (int64_t id : ids) {
    const data::AnimeRecord& rec = table.by_id.at(id);
    const auto it = std::lower_bound(m.anime_ids.begin(), m.anime_ids.end(), id);
    if (it != m.anime_ids.end() && *it == id) {
      const auto row = static_cast<int32_t>(it - m.anime_ids.begin());
      if (notes) {
        notes->push_back(fmt::format(
            "--new-anime {}: anime {} ({}) is already in the model: using the model's anime, "
            "not the file's metadata",
            path, id, m.anime_titles[static_cast<size_t>(row)]));
      }
      out.push_back(from_model(m, row));
      continue;
    }
    std::vector<std::string> unknown;
    out.push_back(from_content(m, id, rec, unknown));
    const std::set<std::string> once(unknown.begin(), unknown.end());
    if (notes && !once.empty()) {
      std::string list;
      for (const std::string& u : once) list += (list.empty() ? "" : ", ") + u;
      notes->push_back(fmt::format(
          "--new-anime {}: anime {}: not in the model's content vocabulary: {}", path, id, list));
    }
  }
  return out;
}

std::vector<ScoredUser> top_users(const model::Model& m, const NewAnime& a,
                                  const std::vector<uint8_t>& excluded, int top) {
  const size_t n = m.n_users();
  std::vector<double> rank(n), predicted(n);
  double blend = m.ranking ? m.ranking->blend : 0.0;
  if (m.ranking && m.ranking->cold_map &&
      (a.model_row < 0 || m.ranking->cold[static_cast<size_t>(a.model_row)])) {
    blend = m.ranking->cold_map->blend;  // as model/scoring.cpp ranks cold anime
  }
  for (size_t u = 0; u < n; ++u) {
    const auto row = static_cast<Eigen::Index>(u);
    const double dot = m.user_factors.row(row).cast<double>().dot(a.factors);
    predicted[u] = is_explicit(m) ? m.global_mean + m.user_bias[u] + a.bias + dot : dot;
    rank[u] = predicted[u];
    if (m.ranking) {
      rank[u] = m.ranking->user_factors.row(row).cast<double>().dot(a.ranking) +
                blend * (predicted[u] - m.global_mean);
    }
  }
  std::vector<ScoredUser> out;
  for (const Scored& s : top_n(rank, excluded, top)) {
    double shown = predicted[static_cast<size_t>(s.anime)];
    if (is_explicit(m)) shown = std::clamp(shown, double{m.score_min}, double{m.score_max});
    out.push_back({s.anime, shown});
  }
  return out;
}

std::vector<Scored> similar_to_new(const model::Model& m, const NewAnime& a, SimilarMode mode,
                                   double blend, int top, const std::vector<uint8_t>& filtered,
                                   bool* fell_back) {
  if (fell_back) *fell_back = false;
  if (a.model_row >= 0) {
    if (fell_back && mode == SimilarMode::kCowatch) *fell_back = cowatch_falls_back(m, a.model_row);
    return similar_anime(m, a.model_row, mode, blend, top, filtered);
  }
  if (mode == SimilarMode::kCowatch) {
    const CoWatch cw(m);
    const Eigen::VectorXd& q = cw.uses_ranking_part() ? a.ranking : a.factors;
    if (!q.isZero(0)) return cowatch_list(cw, q, filtered, top);
    if (fell_back) *fell_back = true;
    mode = SimilarMode::kContent;
  }
  if (mode != SimilarMode::kCf && a.content.empty()) {
    throw Error(fmt::format(
        "new anime {} has no content feature the model knows, so nothing is similar to it by "
        "content; use --similar-mode cf",
        a.id));
  }
  content::ContentMatrix model_rows, new_row;
  if (mode != SimilarMode::kCf) {
    model_rows = content_matrix(m);
    new_row = new_anime_row_matrix(a.content, m);
  }
  std::vector<double> scores(m.n_anime());
  for (size_t b = 0; b < scores.size(); ++b) {
    const auto j = static_cast<int32_t>(b);
    const double cf = mode == SimilarMode::kContent ? 0.0 : factor_cosine(a.factors, m, j);
    const double ct =
        mode == SimilarMode::kCf ? 0.0 : content::cosine(new_row, new_row.first_row, model_rows, j);
    scores[b] = mode == SimilarMode::kCf        ? cf
                : mode == SimilarMode::kContent ? ct
                                                : blend * cf + (1 - blend) * ct;
  }
  return top_n(scores, filtered, top);
}

}  // namespace animerec::serve
