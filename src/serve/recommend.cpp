#include "animerec/serve/recommend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/io/model_file.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/fold_in.h"
#include "animerec/serve/new_anime.h"
#include "animerec/serve/output.h"

namespace animerec::serve {
namespace {

bool is_explicit(const model::Model& m) { return m.feedback == als::Feedback::kExplicit; }

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

// False for an anime without metadata (or with none the vocabulary knows):
// its content row is empty and its content cosine 0 with every anime.
bool has_content_row(const model::Model& m, int32_t anime) {
  const auto a = static_cast<size_t>(anime);
  return m.content && m.content->offsets[a + 1] > m.content->offsets[a];
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
  const content::UserProfile p = content::user_profile(c, anime, scores, scale_midpoint(m));
  if (p.norm == 0) {
    throw Error(fmt::format(
        "--mode content: the user's scored anime give no content profile (none of them has "
        "content features, or every score is at the middle of the scale, {}, which says "
        "nothing about taste); use --mode model",
        scale_midpoint(m)));
  }
  std::vector<double> s(m.n_anime());
  for (size_t a = 0; a < s.size(); ++a)
    s[a] = content::profile_score(p, c, static_cast<int32_t>(a));
  return s;
}

bool is_new_user(const RecommendOptions& o) { return o.has_ratings || !o.ratings_file.empty(); }

void check_format(const RecommendOptions& o) {
  if (o.format != "table" && o.format != "json" && o.format != "csv") {
    throw ConfigError(fmt::format("--format {}: must be table, json or csv", o.format));
  }
}

void check_new_anime_request(const RecommendOptions& o) {
  if (o.new_anime.empty()) {
    if (o.has_top_users) {
      throw ConfigError(
          "--top-users lists the users for a new anime: give --new-anime FILE (its metadata "
          "row) with it");
    }
    return;
  }
  if (o.has_user || is_new_user(o)) {
    throw ConfigError(
        "--new-anime lists users for new anime, or anime similar to one: drop --user, --ratings "
        "and --ratings-file");
  }
  if (int{o.has_top_users} + int{!o.similar.empty()} != 1) {
    throw ConfigError(fmt::format(
        "--new-anime {}: give exactly one of --top-users N (the users most likely to watch and "
        "like it) and --similar ANIME (anime like the file's anime ANIME)",
        o.new_anime));
  }
  if (o.explain) {
    throw ConfigError(
        "--explain explains a user's list from their ratings; --new-anime has no ratings to "
        "explain by: drop --explain");
  }
  if (o.dataset_path.empty()) {
    throw ConfigError(
        "--new-anime needs --dataset (the dataset.h5 the model was trained on): it says who "
        "already watched an anime the model has");
  }
}

void check_request(const RecommendOptions& o) {
  check_new_anime_request(o);
  if (!o.new_anime.empty()) return check_format(o);
  if (int{o.has_user} + int{is_new_user(o)} + int{!o.similar.empty()} != 1) {
    throw ConfigError(
        "give exactly one of --user ID (recommendations for a user in the dataset), "
        "--ratings LIST or --ratings-file FILE (a new user's ratings) and --similar ANIME "
        "(anime like one anime)");
  }
  if (o.has_ratings && !o.ratings_file.empty()) {
    throw ConfigError("give --ratings or --ratings-file, not both");
  }
  if (o.filters.any() && o.dataset_path.empty()) {
    throw ConfigError(
        "--type, --exclude-genre, --min-year and --max-episodes need --dataset (the dataset.h5 "
        "the model was trained on): the anime's type, genres, year and episodes are there");
  }
  if (o.has_user && o.dataset_path.empty()) {
    throw ConfigError(
        "--user needs --dataset (the dataset.h5 the model was trained on), to "
        "know what the user has already seen");
  }
  check_format(o);
}

}  // namespace

UserMode user_mode_from_name(const std::string& name) {
  if (name == "model") return UserMode::kModel;
  if (name == "content") return UserMode::kContent;
  throw ConfigError(fmt::format("--mode {}: must be model or content", name));
}

SimilarMode similar_mode_from_name(const std::string& name) {
  if (name == "cowatch") return SimilarMode::kCowatch;
  if (name == "cf") return SimilarMode::kCf;
  if (name == "content") return SimilarMode::kContent;
  if (name == "hybrid") return SimilarMode::kHybrid;
  throw ConfigError(fmt::format("--similar-mode {}: must be cowatch, cf, content or hybrid", name));
}

const char* user_mode_name(UserMode m) { return m == UserMode::kModel ? "model" : "content"; }

const char* similar_mode_name(SimilarMode m) {
  switch (m) {
    case SimilarMode::kCowatch:
      return "cowatch";
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
  out.status = std::move(r.status);
  return out;
}

double scale_midpoint(const model::Model& m) {
  return (double{m.score_min} + double{m.score_max}) / 2;
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

std::vector<Scored> recommend_for_vectors(const model::Model& m, const model::UserVectors& u,
                                          const std::vector<uint8_t>& excluded, int top) {
  const model::UserScores s = model::score_user(m, u);
  std::vector<Scored> out = top_n(s.ranking, excluded, top);
  // Rank on the ranking score (the raw prediction without a ranking part:
  // clipping would tie every anime above the scale); show the predicted
  // score on the scale the user rates on.
  for (Scored& r : out) {
    r.score = s.predicted[static_cast<size_t>(r.anime)];
    if (is_explicit(m)) r.score = std::clamp(r.score, double{m.score_min}, double{m.score_max});
  }
  return out;
}

std::vector<Scored> recommend_for_user(const model::Model& m, int32_t user, const UserRows& rows,
                                       UserMode mode, bool include_seen, int top,
                                       const std::vector<uint8_t>& filtered) {
  std::vector<uint8_t> excluded(m.n_anime(), 0);
  if (!include_seen) {
    for (int32_t a : rows.anime) excluded.at(static_cast<size_t>(a)) = 1;
  }
  exclude_also(excluded, filtered);
  if (mode == UserMode::kContent) return top_n(content_scores(m, rows), excluded, top);
  return recommend_for_vectors(m, model::model_users(m, user, 1), excluded, top);
}

std::vector<int64_t> training_interactions(const std::string& dataset_path,
                                           const io::DatasetHeader& h) {
  // Chunks of rows bound the memory whatever the dataset's size; by_anime
  // order means a chunk's rows are counted in anime order.
  constexpr int64_t kChunk = int64_t{1} << 20;
  std::vector<int64_t> counts(h.n_anime(), 0);
  const int64_t total = h.anime_offsets.back();
  size_t anime = 0;
  for (int64_t begin = 0; begin < total; begin += kChunk) {
    const int64_t end = std::min(total, begin + kChunk);
    const data::RatingArrays r =
        io::read_rating_slice(dataset_path, io::Orientation::kByAnime, begin, end);
    for (int64_t row = begin; row < end; ++row) {
      while (h.anime_offsets[anime + 1] <= row) ++anime;
      if (r.split[static_cast<size_t>(row - begin)] == static_cast<uint8_t>(data::Split::kTrain))
        ++counts[anime];
    }
  }
  return counts;
}

bool cowatch_falls_back(const model::Model& m, int32_t anime) {
  return cowatch_factors(m, anime).isZero(0);
}

std::vector<Scored> cowatch_list(const CoWatch& cw, const Eigen::VectorXd& q,
                                 const std::vector<uint8_t>& excluded, int top) {
  std::vector<double> scores = cw.scores(q);
  // q^T P^T P q: how much the model expects the anime's own watchers to watch
  // it; 0 only for q = 0 (or users all orthogonal to q), which has no list.
  const double self = cw.scores_at(q, q);
  if (!(self > 0)) return {};
  for (double& s : scores) s /= self;
  return top_n(scores, excluded, top);
}

std::vector<Scored> similar_anime(const model::Model& m, int32_t anime, SimilarMode mode,
                                  double blend, int top, const std::vector<uint8_t>& filtered) {
  std::vector<uint8_t> excluded(m.n_anime(), 0);
  excluded.at(static_cast<size_t>(anime)) = 1;
  exclude_also(excluded, filtered);
  if (mode == SimilarMode::kCowatch) {
    const CoWatch cw(m);
    if (!cw.factors(anime).isZero(0)) return cowatch_list(cw, cw.factors(anime), excluded, top);
    if (!has_content_row(m, anime)) {
      const std::string& title = m.anime_titles[static_cast<size_t>(anime)];
      throw Error(fmt::format(
          "anime {}{} has neither factors (nobody watched it in training) nor content features "
          "(no metadata for it), so nothing is similar to it by co-watching or by content",
          m.anime_ids[static_cast<size_t>(anime)], title.empty() ? "" : " (" + title + ")"));
    }
    mode = SimilarMode::kContent;  // nobody watched it and no content map: content is all there is
  }
  std::vector<double> scores;
  if (mode == SimilarMode::kCf) {
    scores = cf_similarity(m, anime);
  } else if (mode == SimilarMode::kContent) {
    if (!has_content_row(m, anime)) {
      const std::string& title = m.anime_titles[static_cast<size_t>(anime)];
      throw Error(fmt::format(
          "anime {}{} has no content features (the dataset the model was trained on has no "
          "metadata for it), so no anime is similar to it by content; use --similar-mode cf",
          m.anime_ids[static_cast<size_t>(anime)], title.empty() ? "" : " (" + title + ")"));
    }
    scores = content_similarity(m, anime);
  } else {
    const std::vector<double> content = content_similarity(m, anime);
    scores = cf_similarity(m, anime);
    for (size_t b = 0; b < scores.size(); ++b)
      scores[b] = blend * scores[b] + (1 - blend) * content[b];
  }
  return top_n(scores, excluded, top);
}

std::vector<std::string> shared_features(const model::Model& m, const std::vector<float>& profile,
                                         int32_t anime, int top) {
  if (!m.content) return {};
  const model::ContentPart& c = *m.content;
  std::vector<std::pair<double, int32_t>> liked;  // (-weight, feature): sorts largest first
  const auto a = static_cast<size_t>(anime);
  for (int64_t i = c.offsets[a]; i < c.offsets[a + 1]; ++i) {
    const int32_t f = c.cols[static_cast<size_t>(i)];
    const double w = double{profile.at(static_cast<size_t>(f))} * c.values[static_cast<size_t>(i)];
    if (w > 0) liked.emplace_back(-w, f);
  }
  std::sort(liked.begin(), liked.end());
  std::vector<std::string> out;
  for (size_t i = 0; i < liked.size() && static_cast<int>(i) < top; ++i)
    out.push_back(c.names[static_cast<size_t>(liked[i].second)]);
  return out;
}

namespace {

constexpr int kExplainFeatures = 3;

// What run_recommend read once: the model, and with --dataset its header,
// anime metadata and the filter flags.
struct Context {
  model::Model m;
  bool has_dataset = false;
  io::DatasetHeader h;
  data::AnimeMeta meta;
  std::vector<uint8_t> filtered;  // empty: no filter
  std::vector<std::string>* notes = nullptr;
  void note(const std::string& text) const {
    if (notes) notes->push_back(text);
  }
};

// One list and, with --explain, why each anime is on it.
struct Listing {
  Query query = Query::object();
  std::vector<Scored> items;
  std::vector<Explanation> why;
};

// The user's content profile over their scored anime, dense over the
// vocabulary; empty without a content part or without scored anime.
std::vector<float> taste_profile(const model::Model& m, const UserHistory& h) {
  if (!m.content) return {};
  std::vector<int32_t> anime;
  std::vector<float> scores;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h.score[i] > 0) {
      anime.push_back(h.anime[i]);
      scores.push_back(h.score[i]);
    }
  }
  if (anime.empty()) return {};
  return content::user_profile(content_matrix(m), anime, scores, scale_midpoint(m)).values;
}

// The features each listed anime shares with `profile` (empty: none).
void add_features(const Context& c, const std::vector<float>& profile, Listing& l) {
  l.why.resize(l.items.size());
  if (profile.empty()) return;
  for (size_t r = 0; r < l.items.size(); ++r)
    l.why[r].features = shared_features(c.m, profile, l.items[r].anime, kExplainFeatures);
}

// The rated anime with the largest positive share of each listed anime's
// score (ties by anime row), plus the content features it shares with the user's taste.
void explain_user_list(const Context& c, const UserHistory& h, UserMode mode, Listing& l) {
  l.why.assign(l.items.size(), Explanation{});
  if (mode == UserMode::kModel && h.size() > 0) {
    const ScoreExplainer explainer(c.m, h);
    for (size_t r = 0; r < l.items.size(); ++r) {
      const std::vector<double> shares = explainer.shares(l.items[r].anime);
      const size_t best =
          static_cast<size_t>(std::max_element(shares.begin(), shares.end()) - shares.begin());
      // Only a positive share "contributed"; a list of negative shares has no reason to name.
      if (shares[best] <= 0) continue;
      l.why[r].because = h.anime[best];
      l.why[r].share = shares[best];
    }
  }
  add_features(c, taste_profile(c.m, h), l);
  if (!c.m.content) {
    c.note(
        "--explain: this model has no content part (plain ALS), so no shared content features "
        "are shown; train with --lambda-content > 0 for them");
  }
}

UserRows rows_of_ratings(const std::vector<Rating>& ratings) {
  UserRows rows;
  for (const Rating& r : ratings) {
    rows.anime.push_back(r.anime);
    rows.score.push_back(r.score);
    rows.split.push_back(static_cast<uint8_t>(data::Split::kTrain));
    rows.status.push_back(static_cast<uint8_t>(data::Status::kUnknown));
  }
  return rows;
}

// A content profile of dislikes alone (one anime scored low) likes nothing:
// every score is at most 0, and the anime sharing nothing with the disliked
// ones tie at 0 in id order. Say so rather than pass that off as taste.
void note_dislikes_only(const Context& c, UserMode mode, const Listing& l) {
  if (mode != UserMode::kContent || l.items.empty() || l.items.front().score > 0) return;
  c.note(
      "--mode content: the ratings only say what the user dislikes, so no anime scores above 0; "
      "the list is anime sharing nothing with the disliked ones, equal scores in id order; rate "
      "an anime you liked, or use --mode model");
}

Listing for_known_user(const Context& c, const RecommendOptions& o) {
  const int32_t u = find_user(c.m, o.user_id);
  const UserRows rows = read_user_rows(o.dataset_path, c.h, u);
  Listing l;
  l.items = recommend_for_user(c.m, u, rows, o.mode, o.include_seen, o.top, c.filtered);
  l.query["user"] = o.user_id;
  l.query["mode"] = user_mode_name(o.mode);
  l.query["include_seen"] = o.include_seen;
  l.query["seen"] = rows.anime.size();
  note_dislikes_only(c, o.mode, l);
  if (o.explain) explain_user_list(c, history_of_rows(c.m, rows), o.mode, l);
  return l;
}

// A user who rated nothing: the most interacted-with anime in training, or
// without a dataset the anime bias (what an average user is predicted).
Listing popular(const Context& c, const RecommendOptions& o) {
  std::vector<double> scores(c.m.n_anime(), 0.0);
  Listing l;
  if (c.has_dataset) {
    const std::vector<int64_t> counts = training_interactions(o.dataset_path, c.h);
    for (size_t a = 0; a < scores.size(); ++a) scores[a] = static_cast<double>(counts[a]);
    l.query["mode"] = "popularity";
    c.note(
        "no ratings given: listing the anime with the most interactions in the training split, "
        "not personal recommendations; rate a few anime with --ratings for those");
  } else {
    if (!is_explicit(c.m)) {
      throw ConfigError(
          "no ratings given: an implicit model has no anime biases to rank by; give --dataset "
          "to list the most popular anime instead");
    }
    for (size_t a = 0; a < scores.size(); ++a) scores[a] = c.m.global_mean + c.m.anime_bias[a];
    l.query["mode"] = "anime-bias";
    c.note(
        "no ratings given and no --dataset: listing anime by the score an average user is "
        "predicted (global mean + anime bias, a damped mean that pulls rarely rated anime toward "
        "the global mean), not personal recommendations; rate a few anime with --ratings for "
        "those");
  }
  l.query["ratings"] = 0;
  l.items = top_n(scores, c.filtered, o.top);
  if (o.explain) {
    l.why.assign(l.items.size(), Explanation{});
    c.note("--explain: nothing to explain without ratings");
  }
  return l;
}

Listing for_new_user(const Context& c, const RecommendOptions& o) {
  const std::vector<Rating> ratings = o.ratings_file.empty()
                                          ? parse_ratings(c.m, o.ratings, c.notes)
                                          : read_ratings_file(c.m, o.ratings_file, c.notes);
  if (ratings.empty()) return popular(c, o);
  std::vector<uint8_t> excluded(c.m.n_anime(), 0);
  if (!o.include_seen) {
    for (const Rating& r : ratings) excluded[static_cast<size_t>(r.anime)] = 1;
  }
  exclude_also(excluded, c.filtered);
  const UserHistory h = history_of_ratings(c.m, ratings);
  Listing l;
  if (o.mode == UserMode::kContent) {
    l.items = top_n(content_scores(c.m, rows_of_ratings(ratings)), excluded, o.top);
  } else {
    l.items = recommend_for_vectors(c.m, fold_in(c.m, h), excluded, o.top);
  }
  l.query["ratings"] = ratings.size();
  l.query["mode"] = user_mode_name(o.mode);
  note_dislikes_only(c, o.mode, l);
  l.query["include_seen"] = o.include_seen;
  if (o.explain) explain_user_list(c, h, o.mode, l);
  return l;
}

Listing for_similar(const Context& c, const RecommendOptions& o) {
  std::string note;
  const int32_t a = find_anime(c.m, o.similar, &note);
  if (!note.empty()) c.note("--similar " + note);
  Listing l;
  l.items = similar_anime(c.m, a, o.similar_mode, o.similar_blend, o.top, c.filtered);
  l.query["similar"] = c.m.anime_ids[static_cast<size_t>(a)];
  l.query["title"] = c.m.anime_titles[static_cast<size_t>(a)];
  l.query["similar_mode"] = similar_mode_name(o.similar_mode);
  if (o.similar_mode == SimilarMode::kCowatch && cowatch_falls_back(c.m, a)) {
    c.note(fmt::format(
        "anime {} has no factors (nobody watched it in training and the model has no content map "
        "to give it some): listed by content cosine instead of co-watching",
        o.similar));
  }
  if (o.similar_mode == SimilarMode::kHybrid && c.m.content && !has_content_row(c.m, a)) {
    c.note(fmt::format(
        "anime {} has no content features (no metadata in the training dataset): the hybrid "
        "scores are {} x the cf cosine alone",
        o.similar, o.similar_blend));
  }
  if (o.similar_mode == SimilarMode::kHybrid) l.query["similar_blend"] = o.similar_blend;
  if (o.explain) {
    // The query anime's content row is the "taste" a similar anime shares.
    std::vector<float> profile;
    if (c.m.content) {
      const model::ContentPart& cp = *c.m.content;
      profile.assign(cp.n_features(), 0.0f);
      const auto q = static_cast<size_t>(a);
      for (int64_t i = cp.offsets[q]; i < cp.offsets[q + 1]; ++i)
        profile[static_cast<size_t>(cp.cols[static_cast<size_t>(i)])] =
            cp.values[static_cast<size_t>(i)];
    } else {
      c.note("--explain: this model has no content part (plain ALS): nothing to explain");
    }
    add_features(c, profile, l);
  }
  return l;
}

// The file's anime named by --similar: an id or an exact title
// (case-insensitive), as for model anime.
const NewAnime& pick_new_anime(const std::vector<NewAnime>& all, const RecommendOptions& o) {
  std::string lowered = o.similar;
  for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const NewAnime& a : all) {
    std::string title = a.title;
    for (char& ch : title) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (std::to_string(a.id) == o.similar || (!title.empty() && title == lowered)) return a;
  }
  std::string ids;
  for (const NewAnime& a : all) ids += fmt::format("\n  {}  {}", a.id, a.title);
  throw Error(
      fmt::format("--similar {}: no anime of --new-anime {} has this id or title; it has:{}",
                  o.similar, o.new_anime, ids));
}

Listing similar_to_new_anime(const Context& c, const RecommendOptions& o,
                             const std::vector<NewAnime>& all) {
  const NewAnime& a = pick_new_anime(all, o);
  Listing l;
  bool fell_back = false;
  l.items = similar_to_new(c.m, a, o.similar_mode, o.similar_blend, o.top, c.filtered, &fell_back);
  l.query["new_anime"] = a.id;
  l.query["title"] = a.title;
  l.query["similar_mode"] = similar_mode_name(o.similar_mode);
  if (o.similar_mode == SimilarMode::kHybrid) l.query["similar_blend"] = o.similar_blend;
  if (fell_back) {
    c.note(fmt::format(
        "anime {} has no ranking factors (the model has no content map for them): listed by "
        "content cosine instead of co-watching",
        a.id));
  }
  return l;
}

// Users with any row of model anime `row` in the dataset: they watched it already.
std::vector<uint8_t> watchers(const Context& c, const RecommendOptions& o, int32_t row) {
  std::vector<uint8_t> seen(c.m.n_users(), 0);
  const auto a = static_cast<size_t>(row);
  const data::RatingArrays r =
      io::read_rating_slice(o.dataset_path, io::Orientation::kByAnime, c.h.anime_offsets.at(a),
                            c.h.anime_offsets.at(a + 1));
  for (int32_t u : r.user) seen.at(static_cast<size_t>(u)) = 1;
  return seen;
}

std::string for_new_anime(const Context& c, const RecommendOptions& o) {
  const std::vector<NewAnime> all = read_new_anime(c.m, o.new_anime, c.notes);
  if (!o.has_top_users) {
    const Listing l = similar_to_new_anime(c, o, all);
    return format_list(l.query, l.items, c.m, &c.meta, o.format);
  }
  const bool any_new =
      std::any_of(all.begin(), all.end(), [](const NewAnime& a) { return a.model_row < 0; });
  if (any_new && c.m.ranking && c.m.ranking->content_w.rows() == 0) {
    c.note(
        "--new-anime: this model's ranking part has no content map (trained without a ranking "
        "prior), so new anime are ordered by their predicted score alone");
  }
  std::vector<UserList> lists;
  for (const NewAnime& a : all) {
    UserList l;
    l.anime_id = a.id;
    l.query["new_anime"] = a.id;
    l.query["title"] = a.title;
    const std::vector<uint8_t> seen =
        a.model_row >= 0 ? watchers(c, o, a.model_row) : std::vector<uint8_t>{};
    l.users = top_users(c.m, a, seen, o.top_users);
    lists.push_back(std::move(l));
  }
  return format_users(lists, c.m, o.format);
}

}  // namespace

std::string run_recommend(const RecommendOptions& o, std::vector<std::string>* notes) {
  check_request(o);
  Context c;
  c.notes = notes;
  c.m = io::read_model(o.model_path);
  c.has_dataset = !o.dataset_path.empty();
  if (c.has_dataset) {
    c.h = io::read_dataset_header(o.dataset_path);
    check_dataset_matches(c.m, c.h, o.model_path, o.dataset_path);
    c.meta = io::read_anime_meta(o.dataset_path);
    if (o.filters.any()) c.filtered = filtered_out(o.filters, c.meta);
  }
  if (!o.new_anime.empty()) return for_new_anime(c, o);
  const Listing l = o.has_user       ? for_known_user(c, o)
                    : is_new_user(o) ? for_new_user(c, o)
                                     : for_similar(c, o);
  return format_list(l.query, l.items, c.m, c.has_dataset ? &c.meta : nullptr, o.format,
                     o.explain ? &l.why : nullptr);
}

}  // namespace animerec::serve
