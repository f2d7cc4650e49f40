#pragma once
// Anime metadata files, detected from the header (or forced with --anime-format):
//   mal2016  anime.csv: anime_id,name,genre,type,episodes,rating,members
//   mal2020  anime.csv: MAL_ID,Name,Score,Genres,English
//   name,...,Studios,Source,Duration,Rating,... mal2023  anime-dataset-2023.csv:
//   anime_id,Name,English name,Other name,Score,Genres,Synopsis,...
// plus the 2020 synopsis file (MAL_ID,Name,Score,Genres,sypnopsis|synopsis).
// Columns are found by name, so extra or reordered columns are fine.

#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "animerec/data/bad_rows.h"
#include "animerec/data/dataset.h"

namespace animerec::data {

enum class AnimeLayout { kAuto, kMal2016, kMal2020, kMal2023, kMal2020Synopsis };
AnimeLayout anime_layout_from_name(const std::string& name);
const char* anime_layout_name(AnimeLayout layout);

struct AnimeRecord {
  std::string title, type, source, age_rating, season, synopsis;
  int32_t episodes = -1, year = -1, duration_min = -1;
  int64_t members = -1;
  float community_score = NAN;
  std::vector<std::string> genres, studios;
};

struct AnimeTable {
  std::unordered_map<int64_t, AnimeRecord> by_id;
  InputFile file;
  int64_t rows = 0;
  int64_t duplicates = 0;  // rows whose id was seen before (the first is kept)
};

// Reads a metadata file. Malformed rows go to `log`.
AnimeTable read_anime_file(const std::string& path, AnimeLayout forced, BadRowLog& log, bool quiet);

// Adds the synopses of a MAL 2020 anime_with_synopsis.csv to `table` (anime not
// in the table get a record holding only title, genres, score and synopsis).
InputFile merge_synopsis_file(const std::string& path, AnimeTable& table, BadRowLog& log,
                              bool quiet);

// Parsers for the free-text columns, exposed for tests.
int32_t parse_duration_minutes(
    std::string_view text);  // "1 hr 55 min", "24 min. per ep." -> -1 if unknown
// Year and season from Premiered ("spring 2011") or else Aired ("Apr 3, 2011 to ...").
void parse_airing(std::string_view premiered, std::string_view aired, int32_t& year,
                  std::string& season);

}  // namespace animerec::data
