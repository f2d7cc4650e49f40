#include "animerec/data/ratings_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "animerec/core/error.h"
#include "animerec/data/dataset.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using testing::TempDir;
using testing::write_file;

std::vector<RatingRecord> read_all(const std::string& path,
                                   RatingsLayout forced = RatingsLayout::kAuto,
                                   RatingsLayout* detected = nullptr,
                                   BadRowPolicy policy = BadRowPolicy::kError,
                                   BadRowLog* log_out = nullptr) {
  RatingsSource src(path, forced);
  if (detected) *detected = src.layout();
  BadRowLog log(policy);
  std::vector<RatingRecord> out;
  RatingRecord r;
  while (src.next(r, log)) out.push_back(r);
  if (log_out) *log_out = log;
  return out;
}

std::string error_of(const std::string& path, RatingsLayout forced = RatingsLayout::kAuto) {
  try {
    read_all(path, forced);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RatingsSourceTest, Mal2016WithWatchedUnrated) {
  TempDir dir;
  write_file(dir.file("rating.csv"), "user_id,anime_id,rating\r\n1,20,-1\r\n1,24,8\r\n");
  RatingsLayout layout;
  auto rows = read_all(dir.file("rating.csv"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kMal2016);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].score, 0);
  EXPECT_EQ(rows[0].status, static_cast<uint8_t>(Status::kWatchedUnrated));
  EXPECT_EQ(rows[1].anime, 24);
  EXPECT_EQ(rows[1].score, 8);
}

TEST(RatingsSourceTest, Mal2020CompleteRejectsMinusOne) {
  TempDir dir;
  write_file(dir.file("rating_complete.csv"), "user_id,anime_id,rating\n0,430,9\n0,1004,-1\n");
  EXPECT_EQ(error_of(dir.file("rating_complete.csv"), RatingsLayout::kMal2020Complete),
            dir.file("rating_complete.csv") + ":3: rating out of range (-1; expected 1..10)");
}

TEST(RatingsSourceTest, Mal2020AnimelistStatuses) {
  TempDir dir;
  write_file(dir.file("animelist.csv"),
             "user_id,anime_id,rating,watching_status,watched_episodes\n"
             "0,67,9,1,1\n0,6702,0,6,0\n0,242,10,2,24\n");
  RatingsLayout layout;
  auto rows = read_all(dir.file("animelist.csv"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kMal2020Animelist);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].score, 0);
  EXPECT_EQ(rows[1].status, static_cast<uint8_t>(Status::kPlanToWatch));
  EXPECT_EQ(rows[2].status, static_cast<uint8_t>(Status::kCompleted));

  write_file(dir.file("bad.csv"),
             "user_id,anime_id,rating,watching_status,watched_episodes\n0,67,9,5,1\n");
  EXPECT_EQ(error_of(dir.file("bad.csv")),
            dir.file("bad.csv") + ":2: watching_status out of range (5; expected 1, 2, 3, 4 or 6)");
}

TEST(RatingsSourceTest, Mal2023WithQuotedNamesAndTitles) {
  TempDir dir;
  write_file(dir.file("users-score-2023.csv"),
             "user_id,Username,anime_id,Anime Title,rating\n"
             "1,Xinil,21,One Piece,9\n"
             "2,\"Smith, \"\"J\"\"\",5114,\"Fullmetal Alchemist: Brotherhood\",10\n"
             "3,x,1,\"Cowboy Bebop,\nThe Movie\",7\n");
  RatingsLayout layout;
  auto rows = read_all(dir.file("users-score-2023.csv"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kMal2023);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].user, 2);
  EXPECT_EQ(rows[1].anime, 5114);
  EXPECT_EQ(rows[1].score, 10);
  EXPECT_EQ(rows[2].score, 7);
}

TEST(RatingsSourceTest, MovieLensLayouts) {
  TempDir dir;
  write_file(dir.file("u.data"), "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  RatingsLayout layout;
  EXPECT_EQ(read_all(dir.file("u.data"), RatingsLayout::kAuto, &layout).size(), 2u);
  EXPECT_EQ(layout, RatingsLayout::kMovielensUdata);

  write_file(dir.file("ratings.dat"), "1::1193::5::978300760\n");
  auto dat = read_all(dir.file("ratings.dat"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kMovielensDat);
  EXPECT_EQ(dat[0].anime, 1193);

  write_file(dir.file("ratings.csv"),
             "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,3.5,1\n");
  auto csv = read_all(dir.file("ratings.csv"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kMovielensCsv);
  EXPECT_FLOAT_EQ(csv[1].score, 3.5f);

  write_file(dir.file("bad.data"), "196\t242\t6\t881250949\n");
  EXPECT_EQ(error_of(dir.file("bad.data")),
            dir.file("bad.data") + ":1: rating out of range (6; expected 1..5)");
}

TEST(RatingsSourceTest, TripletsWithAndWithoutHeader) {
  TempDir dir;
  RatingsLayout layout;
  write_file(dir.file("t1.txt"), "1 10 4.5\n2 10 2\n");
  EXPECT_EQ(read_all(dir.file("t1.txt"), RatingsLayout::kAuto, &layout).size(), 2u);
  EXPECT_EQ(layout, RatingsLayout::kTriplets);
  write_file(dir.file("t2.tsv"), "user\titem\tscore\n1\t10\t4\n");
  EXPECT_EQ(read_all(dir.file("t2.tsv"), RatingsLayout::kAuto, &layout).size(), 1u);
  EXPECT_EQ(layout, RatingsLayout::kTriplets);
  write_file(dir.file("t3.csv"), "1,10,3\n");
  RatingsSource src(dir.file("t3.csv"), RatingsLayout::kAuto);
  BadRowLog log(BadRowPolicy::kError);
  RatingRecord r;
  ASSERT_TRUE(src.next(r, log));
  EXPECT_EQ(src.score_min(), 3);
  EXPECT_EQ(src.score_max(), 3);
}

// A header in another order used to be read by position: users were 5 and 6.
TEST(RatingsSourceTest, NamedColumnsAreMappedByName) {
  TempDir dir;
  RatingsLayout layout;
  write_file(dir.file("s.csv"), "anime_id,user_id,rating\n5,1,9\n6,1,8\n5,2,7\n");
  auto rows = read_all(dir.file("s.csv"), RatingsLayout::kAuto, &layout);
  EXPECT_EQ(layout, RatingsLayout::kTriplets);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].user, 1);
  EXPECT_EQ(rows[0].anime, 5);
  EXPECT_EQ(rows[2].user, 2);
  EXPECT_EQ(rows[2].score, 7);

  // Synonyms, any case, extra columns ignored, forced layout too.
  write_file(dir.file("m.csv"), "timestamp,Score,movieId,userId\n99,4.5,10,3\n");
  rows = read_all(dir.file("m.csv"), RatingsLayout::kTriplets);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].user, 3);
  EXPECT_EQ(rows[0].anime, 10);
  EXPECT_EQ(rows[0].score, 4.5f);
}

// The CaseRecommender form of the MyAnimeList data names its score "Feedback";
// a third column of another name next to named user and item columns is the
// score too, as it always was.
TEST(RatingsSourceTest, ThirdColumnBesideNamedUserAndItemIsTheScore) {
  TempDir dir;
  write_file(dir.file("h.dat"), "User_ID\tAnime_ID\tFeedback\n1\t7\t1\n");
  auto rows = read_all(dir.file("h.dat"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].anime, 7);
  EXPECT_EQ(rows[0].score, 1);
  write_file(dir.file("s.csv"), "stars,item,user\n4,7,1\n");
  rows = read_all(dir.file("s.csv"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].user, 1);
  EXPECT_EQ(rows[0].score, 4);
}

TEST(RatingsSourceTest, HeaderThatCannotBeMappedIsRefused) {
  TempDir dir;
  write_file(dir.file("a.csv"), "a,b,c\n1,2,3\n");
  EXPECT_EQ(
      error_of(dir.file("a.csv")),
      dir.file("a.csv") +
          ":1: cannot detect the layout from the header (a,b,c): it is not a MyAnimeList or "
          "MovieLens header, and it lacks a user column (user, user_id, userId, uid), an item "
          "column (anime, anime_id, item, item_id, movie, movieId), a score column (rating, "
          "score, feedback); name the columns so, or pass --ratings-format for a known layout");
  write_file(dir.file("b.csv"), "user,item,rating,score\n1,2,3,4\n");
  EXPECT_EQ(
      error_of(dir.file("b.csv")),
      dir.file("b.csv") + ":1: columns 'rating' and 'score' both name the score column; keep one");
}

// What `animerec export` writes: a status column, and 0 for a row not scored.
TEST(RatingsSourceTest, ExportOutputWithStatusReadsBack) {
  TempDir dir;
  write_file(dir.file("e.csv"),
             "user_id,anime_id,rating,status\n10,5,0,plan_to_watch\n10,7,6,dropped\n"
             "35,100,0,watched_unrated\n35,101,9.5,unknown\n");
  RatingsSource src(dir.file("e.csv"), RatingsLayout::kAuto);
  BadRowLog log(BadRowPolicy::kError);
  std::vector<RatingRecord> rows;
  for (RatingRecord r; src.next(r, log);) rows.push_back(r);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].score, 0);
  EXPECT_EQ(rows[0].status, static_cast<uint8_t>(Status::kPlanToWatch));
  EXPECT_EQ(rows[1].status, static_cast<uint8_t>(Status::kDropped));
  EXPECT_EQ(rows[2].status, static_cast<uint8_t>(Status::kWatchedUnrated));
  EXPECT_EQ(rows[3].score, 9.5f);
  EXPECT_EQ(src.score_min(), 6);  // unscored rows do not widen the scale
  EXPECT_EQ(src.score_max(), 9.5f);
  write_file(dir.file("bad.csv"), "user_id,anime_id,rating,status\n1,2,0,finished\n");
  EXPECT_EQ(error_of(dir.file("bad.csv")),
            dir.file("bad.csv") +
                ":2: unknown status (finished; expected one of unknown, watching, completed, "
                "on_hold, dropped, plan_to_watch, watched_unrated)");
  write_file(dir.file("zero.csv"), "user,item,rating\n1,2,0\n");
  EXPECT_EQ(error_of(dir.file("zero.csv")),
            dir.file("zero.csv") + ":2: rating out of range (0; expected a number > 0)");
}

// Values were echoed whole (10 MB), NUL bytes cut the message, and an id past
// int64 was called non-numeric.
TEST(RatingsSourceTest, EchoedValuesAreCappedVisibleAndPrecise) {
  TempDir dir;
  const std::string h = "user_id,anime_id,rating\n";
  write_file(dir.file("big.csv"), h + std::string(10'000'000, 'x') + ",5,9\n");
  EXPECT_EQ(error_of(dir.file("big.csv")), dir.file("big.csv") + ":2: non-numeric user id (" +
                                               std::string(200, 'x') + "... (10000000 bytes))");
  write_file(dir.file("nul.csv"), h + std::string("1\0"
                                                  "2,5,9\n",
                                                  7));
  EXPECT_EQ(error_of(dir.file("nul.csv")), dir.file("nul.csv") + ":2: non-numeric user id (1\\02)");
  write_file(dir.file("ovf.csv"), h + "1,99999999999999999999,9\n");
  EXPECT_EQ(error_of(dir.file("ovf.csv")),
            dir.file("ovf.csv") +
                ":2: anime id out of range (99999999999999999999; ids must lie within "
                "+-9223372036854775807)");
}

TEST(RatingsSourceTest, EachBadRowClassHasItsMessageAndLine) {
  TempDir dir;
  const std::string h = "user_id,anime_id,rating\n";
  struct Case {
    std::string body;
    std::string message;
  };
  std::vector<Case> cases = {
      {"1,2,8\n1,2\n", ":3: wrong field count: expected 3, found 2"},
      {"x,2,8\n", ":2: non-numeric user id (x)"},
      {"1,2.5,8\n", ":2: non-numeric anime id (2.5)"},
      {"1,2,great\n", ":2: non-numeric rating (great)"},
      {"1,2,11\n", ":2: rating out of range (11; expected 1..10 or -1)"},
      {"1,2,0\n", ":2: rating out of range (0; expected 1..10 or -1)"},
      {"1,2,\"8\"x\n", ":2: unexpected character 'x' after a closing quote (field 3)"},
  };
  for (const auto& c : cases) {
    write_file(dir.file("r.csv"), h + c.body);
    EXPECT_EQ(error_of(dir.file("r.csv")), dir.file("r.csv") + c.message) << c.body;
  }
}

TEST(RatingsSourceTest, EmptyFileAndWrongHeader) {
  TempDir dir;
  write_file(dir.file("empty.csv"), "");
  EXPECT_EQ(error_of(dir.file("empty.csv")),
            dir.file("empty.csv") + ": empty file (no header and no rows)");
  write_file(dir.file("hdr.csv"), "user_id,anime,score\n1,2,3\n");
  EXPECT_EQ(
      error_of(dir.file("hdr.csv"), RatingsLayout::kMal2016),
      dir.file("hdr.csv") +
          ":1: missing required column 'anime_id': expected header 'user_id,anime_id,rating', "
          "found 'user_id,anime,score'");
  write_file(dir.file("odd.csv"), "a,b,c,d,e,f\n");
  EXPECT_NE(error_of(dir.file("odd.csv")).find(":1: cannot detect the layout"), std::string::npos);
}

// A pipe (`--ratings <(cat r.csv)`) was consumed by the layout check, and the
// parse then saw an empty file ("missing required column 'user_id' ...
// found ''"); /dev/zero was read forever. Both are refused up front, saying why.
TEST(RatingsSourceTest, PipesAndDevicesAreRefusedWithTheReason) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  EXPECT_EQ(
      error_of(dir.file("fifo")),
      "cannot read " + dir.file("fifo") +
          ": it is a pipe (FIFO), not a regular file; data files are read more than once, so save "
          "it to a file first (for example 'zcat rating.csv.gz > rating.csv')");
  EXPECT_NE(error_of("/dev/zero").find("/dev/zero: it is a character device"), std::string::npos);
  EXPECT_EQ(error_of(dir.file("missing.csv")),
            "cannot open " + dir.file("missing.csv") + ": No such file or directory");
}

TEST(RatingsSourceTest, SkipPolicyCountsPerReason) {
  TempDir dir;
  write_file(dir.file("r.csv"),
             "user_id,anime_id,rating\n1,2,8\nx,2,8\n1,3,12\n1,4\n2,2,7\ny,1,1\n");
  BadRowLog log(BadRowPolicy::kSkip);
  auto rows = read_all(dir.file("r.csv"), RatingsLayout::kAuto, nullptr, BadRowPolicy::kSkip, &log);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(log.total(), 4);
  EXPECT_EQ(log.entries().at("non_numeric_id").count, 2);
  EXPECT_EQ(log.entries().at("non_numeric_id").first[1],
            dir.file("r.csv") + ":7: non-numeric user id (y)");
  EXPECT_EQ(log.entries().at("score_out_of_range").count, 1);
  EXPECT_EQ(log.entries().at("wrong_field_count").count, 1);
}

// Found by fuzz/sources_fuzzer: under the skip policy a file ending inside
// quotes made next() report the same bad record forever (a hang).
TEST(RatingsSourceTest, SkipPolicyEndsOnUnterminatedQuoteAtEndOfFile) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,2,8\n1,\"3,9\n2,2,7\n");
  BadRowLog log(BadRowPolicy::kSkip);
  auto rows = read_all(dir.file("r.csv"), RatingsLayout::kAuto, nullptr, BadRowPolicy::kSkip, &log);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].anime, 2);
  EXPECT_EQ(log.entries().at("bad_quoting").count, 1);
  EXPECT_EQ(log.total(), 1);
}

}  // namespace
}  // namespace animerec::data
