// Fuzzes the CSV reader through every ratings layout and anime metadata layout
// prepare accepts (src/data/csv_reader.cpp, ratings_source.cpp,
// anime_source.cpp). Input: byte 0 picks the reader, byte 1 the bad-row policy
// and the split point of the parallel reader; the rest is the file.
// animerec::Error is the expected way to refuse a file; any other exception,
// crash, sanitizer report or hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "animerec/core/error.h"
#include "animerec/data/anime_source.h"
#include "animerec/data/bad_rows.h"
#include "animerec/data/csv_reader.h"
#include "animerec/data/ratings_source.h"
#include "fuzz_support.h"

namespace {

using namespace animerec::data;

constexpr RatingsLayout kRatingsLayouts[] = {
    RatingsLayout::kAuto,
    RatingsLayout::kMal2016,
    RatingsLayout::kMal2020Complete,
    RatingsLayout::kMal2020Animelist,
    RatingsLayout::kMal2023,
    RatingsLayout::kMovielensUdata,
    RatingsLayout::kMovielensDat,
    RatingsLayout::kMovielensCsv,
    RatingsLayout::kTriplets,
};
constexpr AnimeLayout kAnimeLayouts[] = {AnimeLayout::kAuto, AnimeLayout::kMal2016,
                                         AnimeLayout::kMal2020, AnimeLayout::kMal2023};
const CsvDialect kDialects[] = {CsvDialect::comma(), CsvDialect::tab(), CsvDialect::double_colon(),
                                CsvDialect::whitespace()};

void read_all(RatingsSource& source, BadRowLog& log) {
  RatingRecord record;
  while (source.next(record, log)) {
  }
}

// The rows after the header read as prepare's threads do: [header end, mid)
// and [mid, end of file), mid moved to the start of a line.
void read_in_two_parts(const std::string& path, const std::string& text, RatingsLayout layout,
                       BadRowLog& log, uint8_t split) {
  RatingsSource proto(path, layout);
  uint64_t begin = proto.reader().bytes_consumed();
  uint64_t mid = begin + (text.size() - begin) * split / 255;
  while (mid < text.size() && mid > begin && text[mid - 1] != '\n') ++mid;
  RatingsSource first(proto, begin, mid);
  read_all(first, log);
  RatingsSource second(proto, mid, text.size());
  read_all(second, log);
}

void run(uint8_t selector, uint8_t options, const std::string& path, const std::string& text) {
  BadRowLog log((options & 1) != 0 ? BadRowPolicy::kSkip : BadRowPolicy::kError);
  constexpr size_t kNumRatings = sizeof(kRatingsLayouts) / sizeof(kRatingsLayouts[0]);
  constexpr size_t kNumAnime = sizeof(kAnimeLayouts) / sizeof(kAnimeLayouts[0]);
  size_t choice = selector % (2 * kNumRatings + kNumAnime + 2);
  if (choice < kNumRatings) {
    RatingsSource source(path, kRatingsLayouts[choice]);
    read_all(source, log);
  } else if (choice < 2 * kNumRatings) {
    read_in_two_parts(path, text, kRatingsLayouts[choice - kNumRatings], log, options);
  } else if (choice < 2 * kNumRatings + kNumAnime) {
    read_anime_file(path, kAnimeLayouts[choice - 2 * kNumRatings], log, /*quiet=*/true);
  } else if (choice == 2 * kNumRatings + kNumAnime) {
    AnimeTable table;
    merge_synopsis_file(path, table, log, /*quiet=*/true);
  } else {
    CsvReader reader(path, kDialects[(options >> 1) % 4]);
    while (reader.next()) {
    }
    reader.sha256_hex();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string& path = animerec::fuzz::scratch_path("source.csv");
  animerec::fuzz::write_bytes(path, data + 2, size - 2);
  std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    run(data[0], data[1], path, text);
  } catch (const animerec::Error&) {
    // The expected refusal of a malformed file.
  }
  return 0;
}
