#pragma once
// Rating files in every layout prepare accepts, detected from the first line
// (or forced with --ratings-format), turned into uniform RatingRecords.
//
//   layout             header / shape                                   scores
//   mal2016            user_id,anime_id,rating                          1..10, -1 = watched
//   mal2020-complete   user_id,anime_id,rating                          1..10
//   mal2020-animelist  user_id,anime_id,rating,watching_status,...      0 = unscored, 1..10
//   mal2023            user_id,Username,anime_id,Anime Title,rating     1..10
//   movielens-udata    user<TAB>item<TAB>rating<TAB>time, no header     1..5
//   movielens-dat      user::item::rating::time, no header              1..5
//   movielens-csv      userId,movieId,rating,timestamp                  0.5..5
//   triplets           user item rating (comma, tab or spaces), header optional; any score > 0
//                      (a header's columns are mapped by name; with a status column, as
//                      animerec export writes, 0 = not scored)
//
// mal2016 and mal2020-complete share a header; auto-detection picks mal2016,
// which also accepts -1.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "animerec/data/bad_rows.h"
#include "animerec/data/csv_reader.h"

namespace animerec::data {

enum class RatingsLayout {
  kAuto,
  kMal2016,
  kMal2020Complete,
  kMal2020Animelist,
  kMal2023,
  kMovielensUdata,
  kMovielensDat,
  kMovielensCsv,
  kTriplets,
};
RatingsLayout ratings_layout_from_name(const std::string& name);  // throws ConfigError
const char* ratings_layout_name(RatingsLayout layout);

struct RatingRecord {
  int64_t user = 0;
  int64_t anime = 0;
  float score = 0;     // 0 = not scored
  uint8_t status = 0;  // data::Status
};

class RatingsSource {
 public:
  // Opens the file, detects or checks the layout and consumes the header.
  // Throws InputError for an empty file, an undetectable layout, or a header
  // missing a required column (naming the header expected and found).
  RatingsSource(const std::string& path, RatingsLayout forced);
  // The rows that start in bytes [begin, end) of proto's file, read with
  // proto's layout and columns (begin must be the start of a line after the
  // header): lets several threads parse one file.
  RatingsSource(const RatingsSource& proto, uint64_t begin, uint64_t end);
  ~RatingsSource();

  RatingsLayout layout() const { return layout_; }
  // The score scale of the layout (for triplets: widened as rows are read).
  float score_min() const { return score_min_; }
  float score_max() const { return score_max_; }

  // Next valid record; false at end of file. Malformed rows go to `log`
  // (which throws under the error policy).
  bool next(RatingRecord& out, BadRowLog& log);

  // The underlying reader (it does not hash: prepare checksums the file on
  // another thread).
  CsvReader& reader() { return *reader_; }

 private:
  void detect_and_open(const std::string& path, RatingsLayout forced);
  void map_header(const std::vector<std::string_view>& header);
  void map_named_columns(const std::vector<std::string>& header, const std::string& line);
  bool parse_row(RatingRecord& out, BadRowLog& log);
  bool parse_score(std::string_view text, RatingRecord& out, BadRowLog& log);
  bool bad_id(BadRowLog& log, const char* which, std::string_view text);

  std::unique_ptr<CsvReader> reader_;
  CsvDialect dialect_;
  RatingsLayout layout_ = RatingsLayout::kAuto;
  size_t n_fields_ = 0;
  size_t col_user_ = 0, col_anime_ = 1, col_score_ = 2;
  size_t col_status_ = static_cast<size_t>(-1);
  size_t col_episodes_ = static_cast<size_t>(-1);
  float score_min_ = 1, score_max_ = 10;
  bool scale_seen_ = false;
};

}  // namespace animerec::data
