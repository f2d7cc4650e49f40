#include "animerec/data/synth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using animerec::testing::read_file;
using animerec::testing::TempDir;
using Records = std::vector<std::vector<std::string>>;

constexpr const char* kAnime2023Header =
    "anime_id,Name,English name,Other name,Score,Genres,Synopsis,Type,Episodes,Aired,Premiered,"
    "Status,Producers,Licensors,Studios,Source,Duration,Rating,Rank,Popularity,Favorites,"
    "Scored By,Members,Image URL";

// A strict RFC 4180 reader, independent of the project's loaders: quoted
// fields may hold commas, doubled quotes and newlines; CRLF or LF line ends.
Records parse_csv(const std::string& text) {
  Records records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
    } else {
      field += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(field.empty() && record.empty()) << "last line has no line end";
  return records;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

SynthOptions small(const std::string& layout = "mal2023") {
  SynthOptions o;
  o.users = 600;
  o.anime = 300;
  o.ratings = 30000;
  o.layout = layout;
  o.quiet = true;
  return o;
}

struct Generated {
  TempDir dir;
  SynthResult result;
  std::string anime_text, ratings_text;
};

std::unique_ptr<Generated> generate(const SynthOptions& o) {
  auto g = std::make_unique<Generated>();
  g->result = write_synthetic(o, g->dir.path().string(), false);
  EXPECT_EQ(g->result.files.size(), 2u);
  g->anime_text = read_file(g->result.files.at(0));
  g->ratings_text = read_file(g->result.files.at(1));
  return g;
}

// One rating row: user id, anime id, score (the columns both layouts share).
struct Row {
  int64_t user, anime;
  int score;
};

std::vector<Row> rating_rows(const Records& records, bool layout2023) {
  std::vector<Row> rows;
  for (size_t i = 1; i < records.size(); ++i) {
    const auto& r = records[i];
    EXPECT_EQ(r.size(), layout2023 ? 5u : 3u) << "row " << i;
    if (r.size() != (layout2023 ? 5u : 3u)) continue;
    rows.push_back({std::stoll(r[0]), std::stoll(r[layout2023 ? 2 : 1]), std::stoi(r.back())});
  }
  return rows;
}

double correlation(const std::vector<double>& x, const std::vector<double>& y) {
  double n = static_cast<double>(x.size()), mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

int64_t index_of(const std::vector<int64_t>& ids, int64_t id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  EXPECT_TRUE(it != ids.end() && *it == id) << "unknown id " << id;
  return it - ids.begin();
}

TEST(SynthTest, SameSeedGivesIdenticalBytes) {
  for (const char* layout : {"mal2023", "mal2016"}) {
    auto a = generate(small(layout));
    auto b = generate(small(layout));
    EXPECT_EQ(a->anime_text, b->anime_text) << layout;
    EXPECT_EQ(a->ratings_text, b->ratings_text) << layout;
  }
}

TEST(SynthTest, DifferentSeedGivesDifferentBytes) {
  SynthOptions o = small();
  auto a = generate(o);
  o.seed = 43;
  auto b = generate(o);
  EXPECT_NE(a->anime_text, b->anime_text);
  EXPECT_NE(a->ratings_text, b->ratings_text);
}

TEST(SynthTest, Mal2023HeadersAndExactRowCounts) {
  SynthOptions o = small();
  auto g = generate(o);
  EXPECT_EQ(std::filesystem::path(g->result.files[0]).filename(), "anime-dataset-2023.csv");
  EXPECT_EQ(std::filesystem::path(g->result.files[1]).filename(), "users-score-2023.csv");
  EXPECT_EQ(first_line(g->anime_text), kAnime2023Header);
  EXPECT_EQ(first_line(g->ratings_text), "user_id,Username,anime_id,Anime Title,rating");
  EXPECT_EQ(g->anime_text.find('\r'), std::string::npos);

  Records anime = parse_csv(g->anime_text);
  ASSERT_EQ(static_cast<int64_t>(anime.size()), o.anime + 1);
  for (const auto& r : anime) ASSERT_EQ(r.size(), 24u);
  Records ratings = parse_csv(g->ratings_text);
  EXPECT_EQ(static_cast<int64_t>(ratings.size()), o.ratings + 1);
  EXPECT_EQ(g->result.rows, o.ratings);

  // Ids start at 1, increase, and have gaps; every rated anime is described.
  std::vector<int64_t> ids;
  for (size_t i = 1; i < anime.size(); ++i) ids.push_back(std::stoll(anime[i][0]));
  EXPECT_EQ(ids.front(), 1);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_GT(ids.back(), o.anime) << "ids should not be contiguous";
  std::set<int64_t> known(ids.begin(), ids.end());
  for (const Row& r : rating_rows(ratings, true)) ASSERT_TRUE(known.count(r.anime)) << r.anime;
}

TEST(SynthTest, Mal2023MetadataLooksLikeTheKaggleFile) {
  auto g = generate(small());
  Records anime = parse_csv(g->anime_text);
  int unknown_scores = 0, float_episodes = 0, seasons = 0, ranged_aired = 0;
  for (size_t i = 1; i < anime.size(); ++i) {
    const auto& r = anime[i];
    if (r[4] == "UNKNOWN") {
      ++unknown_scores;
    } else {
      double score = std::stod(r[4]);
      EXPECT_GE(score, 1.0);
      EXPECT_LE(score, 10.0);
    }
    if (r[8].size() > 2 && r[8].substr(r[8].size() - 2) == ".0") ++float_episodes;
    if (r[10].find("spring ") == 0 || r[10].find("fall ") == 0) ++seasons;
    if (r[9].find(", ") != std::string::npos && r[9].find(" to ") != std::string::npos)
      ++ranged_aired;
    if (r[16] != "UNKNOWN") {
      EXPECT_NE(r[16].find(" min"), std::string::npos) << r[16];
    }
    EXPECT_NO_THROW(std::stoll(r[22])) << "Members must be an integer: " << r[22];
    static const std::set<std::string> kTypes = {"TV",      "Movie", "OVA",    "ONA",
                                                 "Special", "Music", "UNKNOWN"};
    EXPECT_TRUE(kTypes.count(r[7])) << r[7];
  }
  EXPECT_GT(unknown_scores, 0);
  EXPECT_GT(float_episodes, 200);
  EXPECT_GT(seasons, 10);
  EXPECT_GT(ranged_aired, 50);
}

TEST(SynthTest, Mal2016HeadersLineEndingsAndUnrated) {
  SynthOptions o = small("mal2016");
  auto g = generate(o);
  EXPECT_EQ(std::filesystem::path(g->result.files[0]).filename(), "anime.csv");
  EXPECT_EQ(std::filesystem::path(g->result.files[1]).filename(), "rating.csv");
  EXPECT_EQ(first_line(g->anime_text), "anime_id,name,genre,type,episodes,rating,members\r");
  EXPECT_EQ(first_line(g->ratings_text), "user_id,anime_id,rating");
  EXPECT_EQ(g->ratings_text.find('\r'), std::string::npos);
  // Every anime.csv line ends in CRLF, like the real file.
  size_t lf = std::count(g->anime_text.begin(), g->anime_text.end(), '\n');
  EXPECT_EQ(lf, static_cast<size_t>(o.anime + 1));
  EXPECT_EQ(static_cast<size_t>(std::count(g->anime_text.begin(), g->anime_text.end(), '\r')), lf);
  // HTML entities instead of raw quotes and apostrophes in names.
  EXPECT_NE(g->anime_text.find("&quot;"), std::string::npos);
  EXPECT_NE(g->anime_text.find("&#039;"), std::string::npos);

  Records anime = parse_csv(g->anime_text);
  int unknown_episodes = 0, empty_rating = 0;
  for (size_t i = 1; i < anime.size(); ++i) {
    ASSERT_EQ(anime[i].size(), 7u);
    EXPECT_EQ(anime[i][1].find('"'), std::string::npos);
    unknown_episodes += anime[i][4] == "Unknown";
    empty_rating += anime[i][5].empty();
  }
  EXPECT_GT(unknown_episodes, 0);
  EXPECT_GT(empty_rating, 0);

  std::vector<Row> rows = rating_rows(parse_csv(g->ratings_text), false);
  ASSERT_EQ(static_cast<int64_t>(rows.size()), o.ratings);
  int64_t unrated = 0;
  for (const Row& r : rows) {
    ASSERT_TRUE(r.score == -1 || (r.score >= 1 && r.score <= 10)) << r.score;
    unrated += r.score == -1;
  }
  EXPECT_NEAR(static_cast<double>(unrated) / o.ratings, o.unrated_fraction, 0.015);
}

TEST(SynthTest, EveryUserRatesAtLeastOnceAndNoPairRepeats) {
  for (const char* layout : {"mal2023", "mal2016"}) {
    SynthOptions o = small(layout);
    auto g = generate(o);
    std::vector<Row> rows = rating_rows(parse_csv(g->ratings_text), o.layout == "mal2023");
    std::set<std::pair<int64_t, int64_t>> pairs;
    std::set<int64_t> users, finished_users;
    int64_t previous = -1;
    for (const Row& r : rows) {
      EXPECT_TRUE(pairs.emplace(r.user, r.anime).second) << "repeated " << r.user << "," << r.anime;
      // Rows are grouped by user, as in the real files.
      if (r.user != previous) {
        EXPECT_TRUE(finished_users.insert(r.user).second) << "user " << r.user << " split";
        previous = r.user;
      }
      users.insert(r.user);
    }
    EXPECT_EQ(static_cast<int64_t>(users.size()), o.users) << layout;
    EXPECT_EQ(*users.begin(), 1);
    EXPECT_GT(*users.rbegin(), o.users) << "user ids should not be contiguous";
  }
}

TEST(SynthTest, FullMatrixWhenRatingsEqualUsersTimesAnime) {
  SynthOptions o = small();
  o.users = 7;
  o.anime = 5;
  o.ratings = 35;
  auto g = generate(o);
  std::vector<Row> rows = rating_rows(parse_csv(g->ratings_text), true);
  std::set<std::pair<int64_t, int64_t>> pairs;
  for (const Row& r : rows) pairs.emplace(r.user, r.anime);
  EXPECT_EQ(pairs.size(), 35u);
}

TEST(SynthTest, ActivityIsHeavyTailedAndCapped) {
  SynthOptions o = small();
  SynthModel m = build_synth_model(o);
  std::vector<int64_t> counts = m.user_rating_counts;
  int64_t total = 0;
  for (int64_t c : counts) {
    EXPECT_GE(c, 1);
    EXPECT_LE(c, o.anime);
    total += c;
  }
  EXPECT_EQ(total, o.ratings);
  std::sort(counts.begin(), counts.end());
  EXPECT_GT(counts.back(), 5 * counts[counts.size() / 2]) << "no heavy tail";
}

TEST(SynthTest, ScoresAreInRangeAndMyAnimeListShaped) {
  SynthOptions o = small();
  auto g = generate(o);
  std::array<int64_t, 11> hist{};
  for (const Row& r : rating_rows(parse_csv(g->ratings_text), true)) {
    ASSERT_GE(r.score, 1);
    ASSERT_LE(r.score, 10);
    ++hist[r.score];
  }
  auto share = [&](int lo, int hi) {
    int64_t n = 0;
    for (int s = lo; s <= hi; ++s) n += hist[s];
    return static_cast<double>(n) / static_cast<double>(o.ratings);
  };
  EXPECT_GT(share(7, 9), 0.55);  // MAL: ~68%
  EXPECT_LT(share(1, 3), 0.03);  // MAL: ~1.4%
  EXPECT_GT(share(1, 3), 0.0);
  EXPECT_GT(share(10, 10), 0.08);  // MAL: ~15%
  int mode = static_cast<int>(std::max_element(hist.begin(), hist.end()) - hist.begin());
  EXPECT_TRUE(mode == 7 || mode == 8) << mode;
}

TEST(SynthTest, Mal2023FilesHaveQuotedCommasQuotesAndNewlines) {
  auto g = generate(small());
  Records anime = parse_csv(g->anime_text);
  bool synopsis_newline = false, synopsis_quote = false, synopsis_comma = false,
       title_comma = false;
  bool multi_genre = false;
  for (size_t i = 1; i < anime.size(); ++i) {
    synopsis_newline |= anime[i][6].find('\n') != std::string::npos;
    synopsis_quote |= anime[i][6].find('"') != std::string::npos;
    synopsis_comma |= anime[i][6].find(',') != std::string::npos;
    title_comma |= anime[i][1].find(',') != std::string::npos;
    multi_genre |= anime[i][5].find(", ") != std::string::npos;
  }
  EXPECT_TRUE(synopsis_newline);
  EXPECT_TRUE(synopsis_quote);
  EXPECT_TRUE(synopsis_comma);
  EXPECT_TRUE(title_comma);
  EXPECT_TRUE(multi_genre);
  EXPECT_NE(g->anime_text.find("\"\""), std::string::npos) << "no doubled quotes";

  Records ratings = parse_csv(g->ratings_text);
  bool name_comma = false, name_quote = false, title_quote = false;
  for (size_t i = 1; i < ratings.size(); ++i) {
    name_comma |= ratings[i][1].find(',') != std::string::npos;
    name_quote |= ratings[i][1].find('"') != std::string::npos;
    title_quote |= ratings[i][3].find('"') != std::string::npos;
  }
  EXPECT_TRUE(name_comma);
  EXPECT_TRUE(name_quote);
  EXPECT_TRUE(title_quote);
}

TEST(SynthTest, AnimeTitlesMatchBetweenFiles) {
  auto g = generate(small());
  std::map<std::string, std::string> title;
  Records anime = parse_csv(g->anime_text);
  for (size_t i = 1; i < anime.size(); ++i) title[anime[i][0]] = anime[i][1];
  Records ratings = parse_csv(g->ratings_text);
  for (size_t i = 1; i < ratings.size(); ++i) ASSERT_EQ(ratings[i][3], title.at(ratings[i][2]));
}

// The planted taste structure must be recoverable from the written scores:
// they follow x_u . y_i, and the genres alone (what a content model sees)
// carry that signal too.
TEST(SynthTest, PlantedStructureShowsInTheScores) {
  SynthOptions o = small();
  auto g = generate(o);
  SynthModel m = build_synth_model(o);
  std::vector<double> scores, affinity, genre_affinity;
  double aligned_sum = 0, opposed_sum = 0;
  int64_t aligned_n = 0, opposed_n = 0;
  for (const Row& r : rating_rows(parse_csv(g->ratings_text), true)) {
    int64_t u = index_of(m.user_ids, r.user), a = index_of(m.anime_ids, r.anime);
    double aff = m.affinity(u, a);
    // Taste match through the genres only: x_u . mean of the genres' vectors.
    double genre_aff = 0;
    int64_t begin = m.anime_genre_offsets[a], end = m.anime_genre_offsets[a + 1];
    for (int64_t k = begin; k < end; ++k) {
      for (int c = 0; c < m.factors; ++c) {
        genre_aff += m.user_factors[u * m.factors + c] *
                     m.genre_factors[m.anime_genre_values[k] * m.factors + c] /
                     static_cast<double>(end - begin);
      }
    }
    // Remove the user's and the anime's own offsets to isolate the taste term.
    double residual = r.score - m.user_bias[u] - m.anime_bias[a];
    scores.push_back(residual);
    affinity.push_back(aff);
    genre_affinity.push_back(genre_aff);
    if (genre_aff > 0.5) aligned_sum += r.score, ++aligned_n;
    if (genre_aff < -0.5) opposed_sum += r.score, ++opposed_n;
  }
  EXPECT_GT(correlation(scores, affinity), 0.4);
  EXPECT_GT(correlation(scores, genre_affinity), 0.3);
  ASSERT_GT(aligned_n, 100);
  ASSERT_GT(opposed_n, 100);
  EXPECT_GT(aligned_sum / aligned_n, opposed_sum / opposed_n + 0.7);
}

// Share of the users whose list holds the most popular anime.
double top_anime_user_share(const SynthOptions& o) {
  std::unique_ptr<Generated> g = generate(o);
  std::map<int64_t, int64_t> per_anime;
  for (const Row& r : rating_rows(parse_csv(g->ratings_text), true)) ++per_anime[r.anime];
  int64_t top = 0;
  for (const auto& [anime, count] : per_anime) top = std::max(top, count);
  return static_cast<double>(top) / static_cast<double>(o.users);
}

// Slope of log(ratings) against log(rank) between two activity ranks (from 1).
double activity_slope(const SynthOptions& o, size_t rank_a, size_t rank_b) {
  std::vector<int64_t> counts = build_synth_model(o).user_rating_counts;
  std::sort(counts.begin(), counts.end(), std::greater<>());
  return std::log(static_cast<double>(counts[rank_b - 1]) /
                  static_cast<double>(counts[rank_a - 1])) /
         std::log(static_cast<double>(rank_b) / static_cast<double>(rank_a));
}

TEST(SynthTest, SkewExponentsShapePopularityAndActivity) {
  SynthOptions o = small();
  const double builtin_top = top_anime_user_share(o);
  // A pure Zipf 2 over 300 anime puts the top one in (nearly) every list;
  // the built-in shape's flat head does not.
  o.popularity_skew = 2;
  EXPECT_GT(top_anime_user_share(o), 0.95);
  EXPECT_LT(builtin_top, 0.8);
  // Zipf activity: the r-th most active user's count goes as r^-s.
  o = small();
  o.users = 2000;
  o.anime = 2000;
  o.ratings = 200000;
  o.activity_skew = 0.8;
  EXPECT_NEAR(activity_slope(o, 20, 1000), -0.8, 0.05);
  o.activity_skew = 0.4;
  EXPECT_NEAR(activity_slope(o, 20, 1000), -0.4, 0.05);
  // The exponent is a shape, not a count: totals stay exact, caps hold.
  SynthModel m = build_synth_model(o);
  int64_t total = 0;
  for (int64_t c : m.user_rating_counts) {
    EXPECT_GE(c, 1);
    EXPECT_LE(c, o.anime);
    total += c;
  }
  EXPECT_EQ(total, o.ratings);
}

TEST(SynthTest, ModelIsDeterministicAndConsistent) {
  SynthOptions o = small();
  SynthModel a = build_synth_model(o), b = build_synth_model(o);
  EXPECT_EQ(a.user_factors, b.user_factors);
  EXPECT_EQ(a.anime_titles, b.anime_titles);
  EXPECT_EQ(a.genre_names.size(), 21u);
  EXPECT_EQ(a.anime_factors.size(), static_cast<size_t>(o.anime * o.factors));
  EXPECT_EQ(a.anime_genre_offsets.size(), static_cast<size_t>(o.anime + 1));
  o.layout = "mal2016";
  EXPECT_EQ(build_synth_model(o).genre_names.size(), 43u);
}

void expect_config_error(const SynthOptions& o, const std::string& needle) {
  TempDir dir;
  try {
    write_synthetic(o, dir.path().string(), false);
    ADD_FAILURE() << "no error for " << needle;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "files written despite bad options";
}

TEST(SynthTest, BadOptionsAreConfigErrorsNamingTheParameter) {
  SynthOptions o = small();
  o.users = 0;
  expect_config_error(o, "--users 0");
  o = small();
  o.anime = -3;
  expect_config_error(o, "--anime -3");
  o = small();
  o.ratings = 10;  // fewer than users
  expect_config_error(o, "--ratings 10");
  o = small();
  o.ratings = o.users * o.anime + 1;
  expect_config_error(o, "exceeds --users 600 x --anime 300");
  o = small();
  o.factors = 0;
  expect_config_error(o, "--factors 0");
  o = small();
  o.layout = "netflix";
  expect_config_error(o, "--layout netflix");
  o = small();
  o.noise = -1;
  expect_config_error(o, "--noise");
  o = small();
  o.unrated_fraction = 1.0;
  expect_config_error(o, "--unrated-fraction");
  o = small();
  o.popularity_skew = 4.5;
  expect_config_error(o, "--popularity-skew 4.5");
  o = small();
  o.activity_skew = -0.5;
  expect_config_error(o, "--activity-skew -0.5");
}

TEST(SynthTest, ExistingFilesAreRefusedUnlessOverwrite) {
  TempDir dir;
  SynthOptions o = small();
  o.users = 20;
  o.anime = 10;
  o.ratings = 50;
  write_synthetic(o, dir.path().string(), false);
  EXPECT_THROW(write_synthetic(o, dir.path().string(), false), IoError);
  EXPECT_NO_THROW(write_synthetic(o, dir.path().string(), true));
}

TEST(SynthTest, CreatesMissingDirectoryAndReportsUnwritableOne) {
  TempDir dir;
  SynthOptions o = small();
  o.users = 20;
  o.anime = 10;
  o.ratings = 50;
  std::string nested = dir.file("a/b");
  SynthResult r = write_synthetic(o, nested, false);
  EXPECT_TRUE(std::filesystem::exists(r.files[1]));
  animerec::testing::write_file(dir.file("plain"), "x");
  EXPECT_THROW(write_synthetic(o, dir.file("plain/sub"), false), IoError);
}

}  // namespace
}  // namespace animerec::data

namespace animerec::data {
namespace {

TEST(SynthMovieLensTest, WritesUDataWithAMovieLensLikeStarHistogram) {
  testing::TempDir dir;
  SynthOptions o;
  o.layout = "movielens";
  o.users = 300;
  o.anime = 200;
  o.ratings = 20000;
  o.quiet = true;
  SynthResult r = write_synthetic(o, dir.file("ml"), false);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0], dir.file("ml/u.data"));
  std::istringstream in(testing::read_file(r.files[0]));
  std::array<int, 6> stars{};
  int rows = 0;
  for (std::string line; std::getline(in, line); ++rows) {
    int user = 0, item = 0, star = 0;
    long long ts = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d\t%d\t%d\t%lld", &user, &item, &star, &ts), 4) << line;
    ASSERT_GE(star, 1);
    ASSERT_LE(star, 5);
    ++stars[star];
  }
  EXPECT_EQ(rows, 20000);
  // MovieLens 100K: about 6 / 11 / 27 / 34 / 21 %; 3 and 4 are the mode.
  EXPECT_GT(stars[3] + stars[4], rows / 2);
  EXPECT_LT(stars[1], rows / 8);
}

}  // namespace
}  // namespace animerec::data
