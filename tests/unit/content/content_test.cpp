// Content vectors on a hand-made catalogue of six anime.
#include "animerec/content/content.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "animerec/core/error.h"

namespace animerec::content {
namespace {

using data::AnimeMeta;

// Genre / studio vocabularies deliberately unsorted: feature order must not
// follow them.
void set_multi(data::MultiValued& m, std::vector<std::string> vocab,
               const std::vector<std::vector<int32_t>>& per_anime) {
  m.vocab = std::move(vocab);
  m.offsets = {0};
  m.values.clear();
  for (const auto& values : per_anime) {
    m.values.insert(m.values.end(), values.begin(), values.end());
    m.offsets.push_back(static_cast<int64_t>(m.values.size()));
  }
}

// 0: mecha TV series, 1: romance movie, 2: action TV series with two
// studios, 3: no metadata, 4: cold (never in the vocabulary), 5: genres only.
AnimeMeta catalogue() {
  AnimeMeta m;
  m.resize(6);
  m.has_metadata = {1, 1, 1, 0, 1, 1};
  m.title = {"Robot Boy", "Your Name-ish", "Stone Brothers", "", "Zombie Boy", "Bare"};
  m.type = {"TV", "Movie", "TV", "", "OVA", ""};
  m.source = {"Manga", "Original", "Manga", "", "Manga", ""};
  m.age_rating = {"PG-13 - Teens 13 or older",
                  "PG-13 - Teens 13 or older",
                  "R - 17+ (violence & profanity)",
                  "",
                  "",
                  ""};
  m.season = {"spring", "summer", "fall", "", "", ""};
  m.synopsis = {"A boy pilots a giant robot. The robot fights aliens.",
                "A boy and a girl swap bodies. The girl lives in Tokyo.",
                "Two brothers search for the stone. The boy's robot arm.",
                "",
                "Zombies attack the boy.",
                ""};
  m.episodes = {26, 1, 50, -1, 4, -1};
  m.year = {1998, 2016, 2009, -1, 2023, -1};
  m.duration_min = {24, 106, 24, -1, 30, -1};
  // genres vocab: 0 Mecha, 1 Action, 2 Romance, 3 Drama, 4 Horror
  set_multi(m.genres, {"Mecha", "Action", "Romance", "Drama", "Horror"},
            {{1, 0}, {3, 2}, {1}, {}, {4}, {1, 3}});
  // studios vocab: 0 Sunrise, 1 Madhouse, 2 Bones, 3 New Studio
  set_multi(m.studios, {"Sunrise", "Madhouse", "Bones", "New Studio"},
            {{0}, {1}, {0, 2}, {}, {3}, {}});
  return m;
}

const std::vector<uint8_t> kWarm = {1, 1, 1, 1, 0, 1};  // anime 4 is cold

ContentOptions small_options() {
  ContentOptions o;
  o.top_studios = 1;
  o.synopsis_vocabulary = 3;
  o.min_document_frequency = 2;
  return o;
}

// Every weight 0 except the ones given.
ContentOptions only(std::map<std::string, float> weights) {
  ContentOptions o;
  o.genres_weight = o.type_weight = o.source_weight = o.studios_weight = 0;
  o.episodes_weight = o.year_weight = o.season_weight = o.age_rating_weight = 0;
  o.duration_weight = o.synopsis_weight = 0;
  o.top_studios = 1;
  o.min_document_frequency = 1;
  for (const auto& [g, w] : weights) {
    if (g == "genre") o.genres_weight = w;
    if (g == "studio") o.studios_weight = w;
    if (g == "episodes") o.episodes_weight = w;
    if (g == "year") o.year_weight = w;
    if (g == "synopsis") o.synopsis_weight = w;
  }
  return o;
}

// The row of `anime` as feature name -> value.
std::map<std::string, float> row_of(const ContentMatrix& m, const Vocabulary& v, int32_t anime) {
  std::map<std::string, float> out;
  int64_t r = anime - m.first_row;
  for (int64_t k = m.offsets[r]; k < m.offsets[r + 1]; ++k) {
    out[v.groups[m.cols[k]] + "/" + v.names[m.cols[k]]] = m.values[k];
  }
  return out;
}

int32_t feature(const Vocabulary& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.names[i] == name) return static_cast<int32_t>(i);
  }
  return -1;
}

TEST(VocabularyTest, NamesInFixedGroupAndSortedOrder) {
  ContentOptions o = small_options();
  Vocabulary v = build_vocabulary(catalogue(), kWarm, o);
  std::vector<std::string> expected = {
      "Action",
      "Drama",
      "Mecha",
      "Romance",  // genre (Horror is cold only)
      "Movie",
      "TV",  // type
      "Manga",
      "Original",  // source
      "Sunrise",
      "Studio: other",  // studio, top 1
      "episodes 1",
      "episodes 2-6",
      "episodes 7-13",
      "episodes 14-26",
      "episodes 27-52",
      "episodes 53-100",
      "episodes 101+",  // episodes
      "1990s",
      "2000s",
      "2010s",  // year
      "fall",
      "spring",
      "summer",  // season
      "PG-13 - Teens 13 or older",
      "R - 17+ (violence & profanity)",  // age_rating
      "duration short (<8 min)",
      "duration standard (8-35 min)",
      "duration long (36-69 min)",
      "duration movie (70+ min)",  // duration
      "synopsis: boy",
      "synopsis: robot",  // synopsis, df >= 2
  };
  EXPECT_EQ(v.names, expected);
  std::vector<std::string> groups = {"genre", "genre",  "genre",  "genre",  "type",
                                     "type",  "source", "source", "studio", "studio"};
  for (int i = 0; i < 7; ++i) groups.push_back("episodes");
  for (int i = 0; i < 3; ++i) groups.push_back("year");
  for (int i = 0; i < 3; ++i) groups.push_back("season");
  for (int i = 0; i < 2; ++i) groups.push_back("age_rating");
  for (int i = 0; i < 4; ++i) groups.push_back("duration");
  groups.push_back("synopsis");
  groups.push_back("synopsis");
  EXPECT_EQ(v.groups, groups);
  ASSERT_EQ(v.idf.size(), v.size());
  EXPECT_EQ(v.idf[0], 1.0f);
}

TEST(VocabularyTest, OptionalGroupsAndZeroWeightsChangeTheGroups) {
  ContentOptions o = small_options();
  o.use_popularity = true;
  o.use_community_score = true;
  o.season_weight = 0;
  Vocabulary v = build_vocabulary(catalogue(), kWarm, o);
  EXPECT_EQ(feature(v, "spring"), -1);
  EXPECT_NE(feature(v, "members 1M+"), -1);
  EXPECT_NE(feature(v, "community score 9+"), -1);
  EXPECT_LT(feature(v, "duration movie (70+ min)"), feature(v, "members <1k"));
  EXPECT_LT(feature(v, "community score 9+"), feature(v, "synopsis: boy"));
}

TEST(VocabularyTest, SynopsisWordsDropStopWordsAndCredits) {
  EXPECT_EQ(synopsis_words("It's THE Boy's robot-pilot, in Tōkyō! [Written by MAL Rewrite]"),
            (std::vector<std::string>{"boy", "robot", "pilot", "ky"}));
  EXPECT_TRUE(synopsis_words("").empty());
  EXPECT_TRUE(synopsis_words("a an the of and").empty());
}

TEST(VocabularyTest, DocumentFrequencyCutOffAndIdf) {
  AnimeMeta m = catalogue();
  ContentOptions o = small_options();  // min_df 2: boy (df 3), robot (df 2)
  Vocabulary v = build_vocabulary(m, kWarm, o);
  int32_t boy = feature(v, "synopsis: boy"), robot = feature(v, "synopsis: robot");
  ASSERT_GE(boy, 0);
  ASSERT_GE(robot, 0);
  EXPECT_EQ(feature(v, "synopsis: girl"), -1);  // df 1
  // N = 3 warm synopses.
  EXPECT_FLOAT_EQ(v.idf[boy], 1.0f);
  EXPECT_FLOAT_EQ(v.idf[robot], static_cast<float>(std::log(4.0 / 3.0) + 1.0));

  // With min_df 1, the third word is the first df-1 word alphabetically.
  o.min_document_frequency = 1;
  v = build_vocabulary(m, kWarm, o);
  size_t first = v.size() - 3;
  EXPECT_EQ(std::vector<std::string>(v.names.begin() + first, v.names.end()),
            (std::vector<std::string>{"synopsis: aliens", "synopsis: boy", "synopsis: robot"}));
  EXPECT_FLOAT_EQ(v.idf[first], static_cast<float>(std::log(4.0 / 2.0) + 1.0));

  // Row 0: tf boy 1, robot 2, weighted by idf, normalised to the weight.
  o.min_document_frequency = 2;
  v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 0, 1, o);
  auto row = row_of(c, v, 0);
  double b = 1.0, r = 2.0 * (std::log(4.0 / 3.0) + 1.0), n = std::hypot(b, r);
  EXPECT_NEAR(row["synopsis/synopsis: boy"], b / n, 1e-6);
  EXPECT_NEAR(row["synopsis/synopsis: robot"], r / n, 1e-6);
}

TEST(VocabularyTest, ColdAnimeDoNotShapeTheVocabulary) {
  ContentOptions o = small_options();
  o.min_document_frequency = 1;
  o.synopsis_vocabulary = 100;
  o.top_studios = 10;
  Vocabulary v = build_vocabulary(catalogue(), kWarm, o);
  EXPECT_EQ(feature(v, "synopsis: zombies"), -1);
  EXPECT_EQ(feature(v, "synopsis: attack"), -1);
  EXPECT_EQ(feature(v, "Horror"), -1);
  EXPECT_EQ(feature(v, "OVA"), -1);
  EXPECT_EQ(feature(v, "New Studio"), -1);
  EXPECT_NE(feature(v, "synopsis: tokyo"), -1);

  // Flagging the cold anime adds them.
  std::vector<uint8_t> all(6, 1);
  Vocabulary w = build_vocabulary(catalogue(), all, o);
  EXPECT_NE(feature(w, "synopsis: zombies"), -1);
  EXPECT_NE(feature(w, "Horror"), -1);
  EXPECT_NE(feature(w, "2020s"), -1);
}

TEST(VocabularyTest, RejectsBadInput) {
  ContentOptions o;
  EXPECT_THROW(build_vocabulary(catalogue(), {1, 1}, o), std::invalid_argument);
  o.genres_weight = -1;
  EXPECT_THROW(build_vocabulary(catalogue(), kWarm, o), ConfigError);
  o = ContentOptions{};
  o.min_document_frequency = 0;
  EXPECT_THROW(check_options(o), ConfigError);
  o = ContentOptions{};
  o.synopsis_weight = std::nanf("");
  EXPECT_THROW(check_options(o), ConfigError);
}

TEST(ContentTest, EachGroupHasNormEqualToItsWeight) {
  ContentOptions o = small_options();
  AnimeMeta m = catalogue();
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 0, 6, o);
  std::map<std::string, float> weight = {
      {"genre", o.genres_weight},      {"type", o.type_weight},
      {"source", o.source_weight},     {"studio", o.studios_weight},
      {"episodes", o.episodes_weight}, {"year", o.year_weight},
      {"season", o.season_weight},     {"age_rating", o.age_rating_weight},
      {"duration", o.duration_weight}, {"synopsis", o.synopsis_weight}};
  for (int32_t a : {0, 1, 2}) {
    std::map<std::string, double> sq;
    for (int64_t k = c.offsets[a]; k < c.offsets[a + 1]; ++k) {
      sq[v.groups[c.cols[k]]] += double{c.values[k]} * c.values[k];
      if (k > c.offsets[a]) {
        EXPECT_LT(c.cols[k - 1], c.cols[k]);
      }
    }
    ASSERT_EQ(sq.size(), weight.size()) << "anime " << a;
    for (const auto& [g, s] : sq) EXPECT_NEAR(std::sqrt(s), weight[g], 1e-6) << g << " " << a;
  }
  // Two studios, one of them pooled: each gets weight / sqrt(2).
  auto row2 = row_of(c, v, 2);
  EXPECT_NEAR(row2["studio/Sunrise"], o.studios_weight / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(row2["studio/Studio: other"], o.studios_weight / std::sqrt(2.0), 1e-6);
  // No metadata: empty row.
  EXPECT_EQ(c.offsets[3], c.offsets[4]);
  EXPECT_EQ(c.n_features, static_cast<int32_t>(v.size()));
}

TEST(ContentTest, GenreOnlyAnime) {
  ContentOptions o = small_options();
  AnimeMeta m = catalogue();
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 5, 6, o);
  auto row = row_of(c, v, 5);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_NEAR(row["genre/Action"], 1 / std::sqrt(2.0), 1e-7);
  EXPECT_NEAR(row["genre/Drama"], 1 / std::sqrt(2.0), 1e-7);
}

TEST(ContentTest, StudiosBeyondTopArePooled) {
  AnimeMeta m = catalogue();
  ContentOptions o = only({{"studio", 1}});
  o.top_studios = 1;
  Vocabulary v = build_vocabulary(m, kWarm, o);
  EXPECT_EQ(v.names, (std::vector<std::string>{"Sunrise", "Studio: other"}));
  ContentMatrix c = build_content(m, v, 0, 6, o);
  EXPECT_EQ(row_of(c, v, 1), (std::map<std::string, float>{{"studio/Studio: other", 1.0f}}));
  // A studio first seen in a cold anime is pooled too.
  EXPECT_EQ(row_of(c, v, 4), (std::map<std::string, float>{{"studio/Studio: other", 1.0f}}));
  // Ties at the cut-off go by name: Bones before Madhouse.
  o.top_studios = 2;
  v = build_vocabulary(m, kWarm, o);
  EXPECT_EQ(v.names, (std::vector<std::string>{"Bones", "Sunrise", "Studio: other"}));
}

TEST(ContentTest, EpisodeAndYearBuckets) {
  const std::vector<std::pair<int32_t, std::string>> episodes = {{1, "episodes 1"},
                                                                 {2, "episodes 2-6"},
                                                                 {6, "episodes 2-6"},
                                                                 {7, "episodes 7-13"},
                                                                 {13, "episodes 7-13"},
                                                                 {14, "episodes 14-26"},
                                                                 {26, "episodes 14-26"},
                                                                 {27, "episodes 27-52"},
                                                                 {52, "episodes 27-52"},
                                                                 {53, "episodes 53-100"},
                                                                 {100, "episodes 53-100"},
                                                                 {101, "episodes 101+"},
                                                                 {2000, "episodes 101+"},
                                                                 {0, ""},
                                                                 {-1, ""}};
  AnimeMeta m;
  m.resize(episodes.size());
  for (size_t i = 0; i < episodes.size(); ++i) {
    m.has_metadata[i] = 1;
    m.episodes[i] = episodes[i].first;
  }
  ContentOptions o = only({{"episodes", 1}});
  Vocabulary v = build_vocabulary(m, std::vector<uint8_t>(m.size(), 1), o);
  ContentMatrix c = build_content(m, v, 0, static_cast<int32_t>(m.size()), o);
  for (size_t i = 0; i < episodes.size(); ++i) {
    std::string got = explain(c, static_cast<int32_t>(i), v, 1);
    std::string want = episodes[i].second.empty() ? "" : episodes[i].second + " 1.00";
    EXPECT_EQ(got, want) << episodes[i].first << " episodes";
  }

  // Decades from the warm anime (1998, 2009, 2016); others clamped into them.
  AnimeMeta y;
  y.resize(6);
  y.has_metadata.assign(6, 1);
  y.year = {1998, 2016, 2009, 2023, 1985, -1};
  o = only({{"year", 1}});
  v = build_vocabulary(y, {1, 1, 1, 0, 0, 1}, o);
  EXPECT_EQ(v.names, (std::vector<std::string>{"1990s", "2000s", "2010s"}));
  c = build_content(y, v, 0, 6, o);
  std::vector<std::string> want = {"1990s 1.00", "2010s 1.00", "2000s 1.00",
                                   "2010s 1.00", "1990s 1.00", ""};
  for (int32_t a = 0; a < 6; ++a) EXPECT_EQ(explain(c, a, v, 3), want[a]) << "anime " << a;
}

TEST(ContentTest, RowsDoNotDependOnTheBlock) {
  ContentOptions o = small_options();
  o.min_document_frequency = 1;
  AnimeMeta m = catalogue();
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix whole = build_content(m, v, 0, 6, o);
  ContentMatrix head = build_content(m, v, 0, 2, o);
  ContentMatrix tail = build_content(m, v, 2, 6, o);
  EXPECT_EQ(tail.first_row, 2);
  EXPECT_EQ(tail.n_rows(), 4);
  for (int32_t a = 0; a < 6; ++a) {
    const ContentMatrix& part = a < 2 ? head : tail;
    int64_t r = a - part.first_row;
    std::vector<int32_t> cols(part.cols.begin() + part.offsets[r],
                              part.cols.begin() + part.offsets[r + 1]);
    std::vector<float> values(part.values.begin() + part.offsets[r],
                              part.values.begin() + part.offsets[r + 1]);
    EXPECT_EQ(cols, std::vector<int32_t>(whole.cols.begin() + whole.offsets[a],
                                         whole.cols.begin() + whole.offsets[a + 1]));
    EXPECT_EQ(values, std::vector<float>(whole.values.begin() + whole.offsets[a],
                                         whole.values.begin() + whole.offsets[a + 1]));
  }
  EXPECT_FLOAT_EQ(cosine(head, 0, tail, 2), cosine(whole, 0, whole, 2));
  EXPECT_THROW(build_content(m, v, 3, 7, o), std::invalid_argument);
  EXPECT_THROW(cosine(head, 2, tail, 2), std::out_of_range);
}

TEST(ContentTest, ColdAnimeGetRowsFromKnownFeatures) {
  ContentOptions o = small_options();
  AnimeMeta m = catalogue();
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 4, 5, o);
  auto row = row_of(c, v, 4);
  EXPECT_EQ(row.count("genre/Horror"), 0u);
  EXPECT_NEAR(row["source/Manga"], o.source_weight, 1e-7);
  EXPECT_NEAR(row["studio/Studio: other"], o.studios_weight, 1e-7);
  EXPECT_NEAR(row["year/2010s"], o.year_weight, 1e-7);  // 2023 clamped
  EXPECT_NEAR(row["synopsis/synopsis: boy"], o.synopsis_weight, 1e-7);
  EXPECT_EQ(row.count("type/OVA"), 0u);
}

TEST(ContentTest, ExplainText) {
  AnimeMeta m = catalogue();
  ContentOptions o = only({{"genre", 1}, {"studio", 0.5f}});
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 0, 6, o);
  EXPECT_EQ(explain(c, 0, v, 5), "Action 0.71, Mecha 0.71, Sunrise 0.50");
  EXPECT_EQ(explain(c, 0, v, 2), "Action 0.71, Mecha 0.71");
  EXPECT_EQ(explain(c, 2, v, 5), "Action 1.00, Sunrise 0.35, Studio: other 0.35");
  EXPECT_EQ(explain(c, 0, v, 0), "");
  EXPECT_EQ(explain(c, 3, v, 5), "");
}

TEST(ContentTest, CosineOfIdenticalAndDisjointRows) {
  AnimeMeta m = catalogue();
  ContentOptions o = small_options();
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 0, 6, o);
  for (int32_t a : {0, 1, 2, 4, 5}) EXPECT_NEAR(cosine(c, a, c, a), 1.0f, 1e-6) << a;
  EXPECT_EQ(cosine(c, 0, c, 3), 0.0f);  // empty row
  ContentOptions g = only({{"genre", 1}});
  Vocabulary gv = build_vocabulary(m, kWarm, g);
  ContentMatrix gc = build_content(m, gv, 0, 6, g);
  EXPECT_EQ(cosine(gc, 0, gc, 1), 0.0f);  // {Action, Mecha} vs {Drama, Romance}
  EXPECT_NEAR(cosine(gc, 0, gc, 2), 1 / std::sqrt(2.0), 1e-6);
}

TEST(ContentTest, UserProfileScoresLikedContentHigher) {
  AnimeMeta m = catalogue();
  ContentOptions o = only({{"genre", 1}});
  Vocabulary v = build_vocabulary(m, kWarm, o);
  ContentMatrix c = build_content(m, v, 0, 6, o);
  // Liked the mecha show, disliked the romance movie (mean 7: weights +2, -2).
  UserProfile p = user_profile(c, {0, 1}, {9, 5}, 5.5);
  EXPECT_GT(profile_score(p, c, 2), 0.0f);  // Action
  EXPECT_LT(profile_score(p, c, 1), 0.0f);  // Drama, Romance
  EXPECT_EQ(profile_score(p, c, 3), 0.0f);  // empty row
  // p = 2 x0 - 2 x1 with x0, x1 orthogonal unit vectors: cos(p, x0) = 1/sqrt(2).
  EXPECT_NEAR(profile_score(p, c, 0), 1 / std::sqrt(2.0), 1e-6);
  // One rating: weighed against the scale's midpoint, so loving and hating
  // the same anime give opposite profiles (issue #16: both gave weight 1).
  UserProfile loved = user_profile(c, {2}, {8}, 5.5);
  EXPECT_NEAR(profile_score(loved, c, 2), 1.0f, 1e-6);
  UserProfile hated = user_profile(c, {2}, {2}, 5.5);
  EXPECT_NEAR(profile_score(hated, c, 2), -1.0f, 1e-6);
  // Equal scores likewise; all at the midpoint: nothing to go on.
  EXPECT_LT(profile_score(user_profile(c, {0, 2}, {3, 3}, 5.5), c, 2), 0.0f);
  EXPECT_EQ(user_profile(c, {2}, {5.5f}, 5.5).norm, 0.0);
  // Rows outside the block are skipped; no scored anime: empty profile.
  UserProfile none = user_profile(c, {}, {}, 5.5);
  EXPECT_EQ(none.norm, 0.0);
  EXPECT_EQ(profile_score(none, c, 0), 0.0f);
  EXPECT_THROW(user_profile(c, {0}, {}, 5.5), std::invalid_argument);
}

// Every train parameter that shapes the content vectors has a ContentOptions
// field in the shared tables (content-ridge belongs to the hybrid map), so
// training and new-anime serving cannot read different option sets.
TEST(ContentOptionsTest, EveryContentParameterOfTrainHasAField) {
  std::set<std::string> listed;
  for (const auto& w : kContentWeightParams) listed.insert(w.param);
  for (const auto& i : kContentIntegerParams) listed.insert(i.param);
  for (const auto& f : kContentFlagParams) listed.insert(f.param);
  std::set<std::string> of_train;
  for (const config::ParamSpec* spec : config::command_params("train")) {
    if (spec->name.rfind("content-", 0) == 0 && spec->name != "content-ridge") {
      of_train.insert(spec->name);
    }
  }
  EXPECT_EQ(listed, of_train);
}

}  // namespace
}  // namespace animerec::content
