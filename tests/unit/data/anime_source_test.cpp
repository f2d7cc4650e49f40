#include "animerec/data/anime_source.h"

#include <gtest/gtest.h>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using testing::TempDir;
using testing::write_file;

AnimeTable read(const std::string& path, AnimeLayout forced = AnimeLayout::kAuto) {
  BadRowLog log(BadRowPolicy::kError);
  return read_anime_file(path, forced, log, true);
}

TEST(AnimeSourceTest, Mal2016) {
  TempDir dir;
  write_file(dir.file("anime.csv"),
             "anime_id,name,genre,type,episodes,rating,members\r\n"
             "32281,Kimi no Na wa.,\"Drama, Romance, School, Supernatural\",Movie,1,9.37,200630\r\n"
             "28977,Gintama&#039;,\"Action, Comedy\",TV,Unknown,,114262\r\n"
             "9999,&quot;Quoted&quot; Title,,,1,7.5,10\r\n"
             "32281,Duplicate,,,1,1,1\r\n");
  AnimeTable t = read(dir.file("anime.csv"));
  EXPECT_EQ(t.file.layout, "mal2016");
  EXPECT_EQ(t.rows, 4);
  EXPECT_EQ(t.duplicates, 1);
  ASSERT_EQ(t.by_id.size(), 3u);
  const AnimeRecord& kimi = t.by_id.at(32281);
  EXPECT_EQ(kimi.title, "Kimi no Na wa.");
  EXPECT_EQ(kimi.genres, (std::vector<std::string>{"Drama", "Romance", "School", "Supernatural"}));
  EXPECT_EQ(kimi.type, "Movie");
  EXPECT_EQ(kimi.episodes, 1);
  EXPECT_FLOAT_EQ(kimi.community_score, 9.37f);
  EXPECT_EQ(kimi.members, 200630);
  const AnimeRecord& gintama = t.by_id.at(28977);
  EXPECT_EQ(gintama.title, "Gintama'");
  EXPECT_EQ(gintama.episodes, -1);
  EXPECT_TRUE(std::isnan(gintama.community_score));
  EXPECT_EQ(t.by_id.at(9999).title, "\"Quoted\" Title");
  EXPECT_TRUE(t.by_id.at(9999).genres.empty());
}

TEST(AnimeSourceTest, Mal2020) {
  TempDir dir;
  write_file(
      dir.file("anime.csv"),
      "MAL_ID,Name,Score,Genres,English name,Japanese name,Type,Episodes,Aired,Premiered,"
      "Producers,Licensors,Studios,Source,Duration,Rating,Ranked,Popularity,Members,Favorites,"
      "Watching,Completed,On-Hold,Dropped,Plan to Watch,Score-10,Score-9,Score-8,Score-7,"
      "Score-6,Score-5,Score-4,Score-3,Score-2,Score-1\n"
      "1,Cowboy Bebop,8.78,\"Action, Adventure, Comedy, Drama, Sci-Fi, Space\",Cowboy Bebop,"
      "カウボーイビバップ,TV,26,\"Apr 3, 1998 to Apr 24, 1999\",Spring 1998,Bandai Visual,"
      "\"Funimation, Bandai Entertainment\",Sunrise,Original,24 min. per ep.,"
      "R - 17+ (violence & profanity),28.0,39,1251960,61971,105808,718161,71513,26678,329800,"
      "229170.0,182126.0,131625.0,62330.0,20688.0,8904.0,3184.0,1357.0,741.0,1580.0\n"
      "5,Movie X,Unknown,Drama,Unknown,x,Movie,Unknown,\"Sep 1, 2001\",Unknown,add some,"
      "Unknown,Unknown,Manga,1 hr. 55 min.,Unknown,Unknown,9,10,0,0,0,0,0,0,"
      "Unknown,Unknown,Unknown,Unknown,Unknown,Unknown,Unknown,Unknown,Unknown,Unknown\n");
  AnimeTable t = read(dir.file("anime.csv"));
  EXPECT_EQ(t.file.layout, "mal2020");
  const AnimeRecord& bebop = t.by_id.at(1);
  EXPECT_EQ(bebop.studios, (std::vector<std::string>{"Sunrise"}));
  EXPECT_EQ(bebop.source, "Original");
  EXPECT_EQ(bebop.duration_min, 24);
  EXPECT_EQ(bebop.year, 1998);
  EXPECT_EQ(bebop.season, "spring");
  EXPECT_EQ(bebop.age_rating, "R - 17+ (violence & profanity)");
  EXPECT_EQ(bebop.members, 1251960);
  const AnimeRecord& x = t.by_id.at(5);
  EXPECT_EQ(x.duration_min, 115);
  EXPECT_EQ(x.year, 2001);
  EXPECT_EQ(x.season, "summer");  // MyAnimeList: July to September
  EXPECT_TRUE(x.studios.empty());
  EXPECT_TRUE(std::isnan(x.community_score));
}

TEST(AnimeSourceTest, Mal2023WithFloatNumbersAndMultilineSynopsis) {
  TempDir dir;
  write_file(
      dir.file("anime-dataset-2023.csv"),
      "anime_id,Name,English name,Other name,Score,Genres,Synopsis,Type,Episodes,Aired,"
      "Premiered,Status,Producers,Licensors,Studios,Source,Duration,Rating,Rank,Popularity,"
      "Favorites,Scored By,Members,Image URL\n"
      "1,Cowboy Bebop,Cowboy Bebop,カウボーイビバップ,8.75,\"Action, Award Winning, Sci-Fi\","
      "\"Crime is timeless.\n\nBy the year 2071, \"\"bounty hunters\"\" roam.\",TV,26.0,"
      "\"Apr 3, 1998 to Apr 24, 1999\",spring 1998,Finished Airing,Bandai Visual,"
      "\"Funimation, Bandai Entertainment\",Sunrise,Original,24 min per ep,"
      "R - 17+ (violence & profanity),41.0,43,78525,914193.0,1771505,https://x/1.jpg\n"
      "2,New,UNKNOWN,UNKNOWN,UNKNOWN,UNKNOWN,UNKNOWN,UNKNOWN,UNKNOWN,Not available,UNKNOWN,"
      "Not yet aired,UNKNOWN,UNKNOWN,UNKNOWN,UNKNOWN,Unknown,UNKNOWN,UNKNOWN,0,0,UNKNOWN,5,x\n");
  AnimeTable t = read(dir.file("anime-dataset-2023.csv"));
  EXPECT_EQ(t.file.layout, "mal2023");
  const AnimeRecord& bebop = t.by_id.at(1);
  EXPECT_EQ(bebop.episodes, 26);
  EXPECT_EQ(bebop.synopsis, "Crime is timeless.\n\nBy the year 2071, \"bounty hunters\" roam.");
  EXPECT_EQ(bebop.genres, (std::vector<std::string>{"Action", "Award Winning", "Sci-Fi"}));
  EXPECT_EQ(bebop.year, 1998);
  const AnimeRecord& fresh = t.by_id.at(2);
  EXPECT_EQ(fresh.episodes, -1);
  EXPECT_EQ(fresh.year, -1);
  EXPECT_TRUE(fresh.synopsis.empty());
  EXPECT_EQ(fresh.members, 5);
}

TEST(AnimeSourceTest, SynopsisFileMergesEitherSpelling) {
  TempDir dir;
  write_file(
      dir.file("anime.csv"),
      "anime_id,name,genre,type,episodes,rating,members\n1,Cowboy Bebop,Action,TV,26,8.8,1\n");
  for (const char* column : {"sypnopsis", "synopsis"}) {
    write_file(dir.file("syn.csv"), std::string("MAL_ID,Name,Score,Genres,") + column +
                                        "\n1,Cowboy Bebop,8.78,Action,\"In the year 2071, x.\"\n");
    AnimeTable t = read(dir.file("anime.csv"));
    BadRowLog log(BadRowPolicy::kError);
    InputFile f = merge_synopsis_file(dir.file("syn.csv"), t, log, true);
    EXPECT_EQ(f.layout, "mal2020-synopsis");
    EXPECT_EQ(t.by_id.at(1).synopsis, "In the year 2071, x.");
  }
}

TEST(AnimeSourceTest, BadRowsAndHeaders) {
  TempDir dir;
  write_file(dir.file("a.csv"),
             "anime_id,name,genre,type,episodes,rating,members\n1,X,,TV,twelve,,1\n");
  try {
    read(dir.file("a.csv"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("a.csv") + ":2: non-numeric episodes (twelve)");
  }
  write_file(dir.file("b.csv"), "id,title\n1,X\n");
  try {
    read(dir.file("b.csv"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(":1: cannot detect the anime metadata layout"),
              std::string::npos);
  }
}

TEST(AnimeSourceTest, DurationAndAiring) {
  EXPECT_EQ(parse_duration_minutes("24 min per ep"), 24);
  EXPECT_EQ(parse_duration_minutes("24 min. per ep."), 24);
  EXPECT_EQ(parse_duration_minutes("2 hr"), 120);
  EXPECT_EQ(parse_duration_minutes("1 hr 55 min"), 115);
  EXPECT_EQ(parse_duration_minutes("30 sec"), 1);
  EXPECT_EQ(parse_duration_minutes("Unknown"), -1);
  int32_t year;
  std::string season;
  parse_airing("fall 2006", "", year, season);
  EXPECT_EQ(year, 2006);
  EXPECT_EQ(season, "fall");
  parse_airing("UNKNOWN", "Jan 10, 2014 to Mar 28, 2014", year, season);
  EXPECT_EQ(year, 2014);
  EXPECT_EQ(season, "winter");
  parse_airing("UNKNOWN", "2020 to ?", year, season);
  EXPECT_EQ(year, 2020);
  EXPECT_EQ(season, "");
}

// Found by fuzz/sources_fuzzer (a synopsis file cut inside a quoted synopsis):
// under the skip policy the unterminated record was reported forever.
TEST(AnimeSourceTest, SkipPolicyEndsOnUnterminatedQuoteAtEndOfFile) {
  TempDir dir;
  write_file(dir.file("s.csv"),
             "MAL_ID,Name,Score,Genres,sypnopsis\n"
             "1,Cowboy Bebop,8.78,\"Action, Space\",\"In the year 20rmation has been added.\n");
  BadRowLog log(BadRowPolicy::kSkip);
  AnimeTable table;
  merge_synopsis_file(dir.file("s.csv"), table, log, true);
  EXPECT_TRUE(table.by_id.empty());
  EXPECT_EQ(log.entries().at("bad_quoting").count, 1);
}

// Seen while writing fuzz/sources_fuzzer: a 400-digit duration made std::stod throw
// std::out_of_range (not an animerec error), and durations beyond int32 were
// converted with undefined behaviour.
TEST(AnimeSourceTest, DurationTooLargeIsUnknown) {
  EXPECT_EQ(parse_duration_minutes(std::string(400, '9') + " min"), -1);
  EXPECT_EQ(parse_duration_minutes("99999999999 hr"), -1);
  EXPECT_EQ(parse_duration_minutes("35791395 hr"), -1);  // 2147483700 minutes: past int32
  EXPECT_EQ(parse_duration_minutes("1000 hr"), 60000);
}

// Seen while writing fuzz/sources_fuzzer: "1e300" episodes or "1e30" members were
// converted to int32/int64 with undefined behaviour; now they are bad rows.
TEST(AnimeSourceTest, NumberOutOfRangeForItsFieldIsABadRow) {
  TempDir dir;
  std::string header =
      "MAL_ID,Name,Score,Genres,Type,Episodes,Aired,Premiered,Studios,Source,Duration,Rating,"
      "Members\n";
  write_file(dir.file("a.csv"), header + "1,x,8,A,TV,1e300,,,S,O,24 min,R,5\n" +
                                    "2,y,8,A,TV,12,,,S,O,24 min,R,1e30\n" +
                                    "3,z,1e39,A,TV,12,,,S,O,24 min,R,2147483648\n");
  BadRowLog log(BadRowPolicy::kSkip);
  AnimeTable t = read_anime_file(dir.file("a.csv"), AnimeLayout::kAuto, log, true);
  EXPECT_EQ(log.entries().at("bad_metadata_number").count, 3);
  EXPECT_EQ(t.by_id.size(), 0u);
  EXPECT_EQ(log.entries().at("bad_metadata_number").first[0],
            dir.file("a.csv") + ":2: Episodes out of range (1e300)");

  write_file(dir.file("b.csv"), header + "4,w,8,A,TV,2147483647,,,S,O,24 min,R,9007199254740992\n");
  AnimeTable ok = read(dir.file("b.csv"));
  EXPECT_EQ(ok.by_id.at(4).episodes, 2147483647);
  EXPECT_EQ(ok.by_id.at(4).members, 9007199254740992);
}

}  // namespace
}  // namespace animerec::data
