#include "animerec/data/anime_source.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

#include "animerec/core/error.h"
#include "animerec/core/progress.h"
#include "animerec/data/csv_reader.h"
#include "animerec/data/text.h"

namespace animerec::data {

namespace {

constexpr size_t kAbsent = static_cast<size_t>(-1);

// Column names per layout; the first is the id and must exist.
struct Columns {
  const char* id;
  const char* title;
  const char* genres;
  const char* type;
  const char* episodes;
  const char* score;
  const char* members;
  const char* aired;
  const char* premiered;
  const char* studios;
  const char* source;
  const char* duration;
  const char* age_rating;
  const char* synopsis;
};

Columns columns_of(AnimeLayout layout) {
  switch (layout) {
    case AnimeLayout::kMal2016:
      return {"anime_id", "name",  "genre", "type",  "episodes", "rating", "members",
              nullptr,    nullptr, nullptr, nullptr, nullptr,    nullptr,  nullptr};
    case AnimeLayout::kMal2020:
      return {"MAL_ID", "Name",      "Genres",  "Type",   "Episodes", "Score",  "Members",
              "Aired",  "Premiered", "Studios", "Source", "Duration", "Rating", nullptr};
    case AnimeLayout::kMal2023:
      return {"anime_id", "Name",      "Genres",  "Type",   "Episodes", "Score",  "Members",
              "Aired",    "Premiered", "Studios", "Source", "Duration", "Rating", "Synopsis"};
    case AnimeLayout::kMal2020Synopsis:
      return {"MAL_ID", "Name",  "Genres", nullptr, nullptr, "Score", nullptr,
              nullptr,  nullptr, nullptr,  nullptr, nullptr, nullptr, "sypnopsis"};
    case AnimeLayout::kAuto:
      break;
  }
  return {};
}

bool same_name(std::string_view a, std::string_view b) {
  a = trim(a);
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

size_t find_column(const std::vector<std::string_view>& header, const char* name) {
  if (name == nullptr) return kAbsent;
  for (size_t i = 0; i < header.size(); ++i) {
    if (same_name(header[i], name)) return i;
  }
  // The 2020 synopsis column is published misspelt; accept both spellings.
  if (std::string_view(name) == "sypnopsis") return find_column(header, "synopsis");
  return kAbsent;
}

bool has(const std::vector<std::string_view>& header, const char* name) {
  return find_column(header, name) != kAbsent;
}

AnimeLayout detect(const std::vector<std::string_view>& header) {
  if (has(header, "MAL_ID")) {
    return has(header, "sypnopsis") || has(header, "synopsis") ? AnimeLayout::kMal2020Synopsis
                                                               : AnimeLayout::kMal2020;
  }
  if (has(header, "anime_id")) {
    return has(header, "Other name") || has(header, "Synopsis") ? AnimeLayout::kMal2023
                                                                : AnimeLayout::kMal2016;
  }
  return AnimeLayout::kAuto;
}

std::string joined(const std::vector<std::string_view>& header) {
  std::string out;
  for (auto h : header) {
    if (!out.empty()) out += ',';
    out.append(h);
  }
  return out;
}

// Maps the header of `r` to column positions, checking the required ones.
struct ColumnIndex {
  Columns names;
  size_t id, title, genres, type, episodes, score, members, aired, premiered, studios, source,
      duration, age_rating, synopsis;
};

ColumnIndex index_columns(const CsvReader& r, AnimeLayout layout) {
  Columns c = columns_of(layout);
  const auto& h = r.fields();
  ColumnIndex ix{c,
                 find_column(h, c.id),
                 find_column(h, c.title),
                 find_column(h, c.genres),
                 find_column(h, c.type),
                 find_column(h, c.episodes),
                 find_column(h, c.score),
                 find_column(h, c.members),
                 find_column(h, c.aired),
                 find_column(h, c.premiered),
                 find_column(h, c.studios),
                 find_column(h, c.source),
                 find_column(h, c.duration),
                 find_column(h, c.age_rating),
                 find_column(h, c.synopsis)};
  for (const char* required : {c.id, c.title}) {
    if (!has(h, required)) {
      throw InputError(r.path(), 1,
                       fmt::format("missing required column '{}' for the {} layout, found '{}'",
                                   required, anime_layout_name(layout), shown_value(joined(h))));
    }
  }
  return ix;
}

std::string_view at(const CsvReader& r, size_t col) {
  return col == kAbsent ? std::string_view() : r.field(col);
}

// True when the finite `v` converts to T without overflow. For an integer T
// the bounds are -2^(n-1) (exact in a double) and 2^(n-1), exclusive.
template <typename T>
bool fits(double v) {
  if constexpr (std::is_integral_v<T>) {
    constexpr auto lowest = static_cast<double>(std::numeric_limits<T>::lowest());
    return v >= lowest && v < -lowest;
  } else {
    return std::abs(v) <= static_cast<double>(std::numeric_limits<T>::max());
  }
}

// A numeric metadata field: unknown markers give `fallback`, junk is a bad row.
template <typename T>
bool number_field(const CsvReader& r, size_t col, const char* name, T& out, BadRowLog& log) {
  std::string_view text = trim(at(r, col));
  if (is_unknown(text)) return true;
  auto v = parse_number(text);
  if (!v) {
    log.report(r.path(), r.line(), "bad_metadata_number",
               fmt::format("non-numeric {} ({})", name, shown_value(text)));
    return false;
  }
  // A value T cannot hold ("1e300" episodes) would be undefined behaviour to
  // convert, not just a wrong number.
  if (!fits<T>(*v)) {
    log.report(r.path(), r.line(), "bad_metadata_number",
               fmt::format("{} out of range ({})", name, shown_value(text)));
    return false;
  }
  out = static_cast<T>(*v);
  return true;
}

std::string text_field(const CsvReader& r, size_t col) {
  std::string_view t = trim(at(r, col));
  return is_unknown(t) ? std::string() : decode_html_entities(t);
}

std::vector<std::string> list_field(const CsvReader& r, size_t col) {
  std::vector<std::string> items = split_list(at(r, col));
  for (auto& s : items) s = decode_html_entities(s);
  return items;
}

bool parse_record(const CsvReader& r, const ColumnIndex& ix, AnimeRecord& a, BadRowLog& log) {
  a.title = text_field(r, ix.title);
  a.type = text_field(r, ix.type);
  a.source = text_field(r, ix.source);
  a.age_rating = text_field(r, ix.age_rating);
  a.synopsis = std::string(trim(at(r, ix.synopsis)));
  if (is_unknown(a.synopsis) || a.synopsis.rfind("No synopsis", 0) == 0) a.synopsis.clear();
  a.genres = list_field(r, ix.genres);
  a.studios = list_field(r, ix.studios);
  a.duration_min = parse_duration_minutes(at(r, ix.duration));
  parse_airing(at(r, ix.premiered), at(r, ix.aired), a.year, a.season);
  return number_field(r, ix.episodes, ix.names.episodes, a.episodes, log) &&
         number_field(r, ix.score, ix.names.score, a.community_score, log) &&
         number_field(r, ix.members, ix.names.members, a.members, log);
}

// Streams the rows of a metadata file, handing each (id, record) to `sink`.
template <typename Sink>
InputFile stream_anime_file(const std::string& path, AnimeLayout forced, const char* role,
                            BadRowLog& log, bool quiet, Sink sink) {
  CsvReader r(path);
  if (!r.next()) throw InputError(path, 0, "empty file (no header and no rows)");
  AnimeLayout layout = forced == AnimeLayout::kAuto ? detect(r.fields()) : forced;
  if (layout == AnimeLayout::kAuto) {
    throw InputError(path, 1,
                     fmt::format("cannot detect the anime metadata layout from the header ({}); "
                                 "expected MyAnimeList 2016, 2020 or 2023; pass --anime-format",
                                 shown_value(joined(r.fields()))));
  }
  ColumnIndex ix = index_columns(r, layout);
  size_t n_fields = r.size();
  Progress progress(fmt::format("reading {}", path), r.file_size(), "bytes", quiet);
  int64_t rows = 0;
  while (true) {
    try {
      if (!r.next()) break;
    } catch (const InputError& e) {
      log.report(e.file(), e.line(), "bad_quoting", e.what_wrong());
      continue;
    }
    ++rows;
    progress.update(r.bytes_consumed(), rows);
    if (r.size() != n_fields) {
      log.report(path, r.line(), "wrong_field_count",
                 fmt::format("wrong field count: expected {}, found {}", n_fields, r.size()));
      continue;
    }
    auto id = parse_int(trim(r.field(ix.id)));
    if (!id && integer_out_of_range(trim(r.field(ix.id)))) {
      log.report(path, r.line(), "id_out_of_range",
                 fmt::format("{} out of range ({}; ids must lie within +-{})", ix.names.id,
                             shown_value(r.field(ix.id)), std::numeric_limits<int64_t>::max()));
      continue;
    }
    if (!id) {
      log.report(path, r.line(), "non_numeric_id",
                 fmt::format("non-numeric {} ({})", ix.names.id, shown_value(r.field(ix.id))));
      continue;
    }
    AnimeRecord a;
    if (parse_record(r, ix, a, log)) sink(*id, std::move(a));
  }
  progress.finish(r.bytes_consumed(), rows);
  InputFile f{role, path, anime_layout_name(layout), r.file_size(), r.sha256_hex()};
  return f;
}

}  // namespace

AnimeLayout anime_layout_from_name(const std::string& name) {
  if (name == "auto") return AnimeLayout::kAuto;
  if (name == "mal2016") return AnimeLayout::kMal2016;
  if (name == "mal2020") return AnimeLayout::kMal2020;
  if (name == "mal2023") return AnimeLayout::kMal2023;
  throw ConfigError(fmt::format("invalid value for --anime-format: '{}'", name));
}

const char* anime_layout_name(AnimeLayout layout) {
  switch (layout) {
    case AnimeLayout::kMal2016:
      return "mal2016";
    case AnimeLayout::kMal2020:
      return "mal2020";
    case AnimeLayout::kMal2023:
      return "mal2023";
    case AnimeLayout::kMal2020Synopsis:
      return "mal2020-synopsis";
    case AnimeLayout::kAuto:
      break;
  }
  return "auto";
}

AnimeTable read_anime_file(const std::string& path, AnimeLayout forced, BadRowLog& log,
                           bool quiet) {
  AnimeTable table;
  table.file =
      stream_anime_file(path, forced, "anime", log, quiet, [&](int64_t id, AnimeRecord&& a) {
        ++table.rows;
        if (!table.by_id.try_emplace(id, std::move(a)).second) ++table.duplicates;
      });
  return table;
}

InputFile merge_synopsis_file(const std::string& path, AnimeTable& table, BadRowLog& log,
                              bool quiet) {
  return stream_anime_file(path, AnimeLayout::kMal2020Synopsis, "synopsis", log, quiet,
                           [&](int64_t id, AnimeRecord&& a) {
                             auto [it, inserted] = table.by_id.try_emplace(id, std::move(a));
                             if (!inserted && it->second.synopsis.empty()) {
                               it->second.synopsis = std::move(a.synopsis);
                             }
                           });
}

int32_t parse_duration_minutes(std::string_view text) {
  text = trim(text);
  if (is_unknown(text)) return -1;
  double minutes = 0;
  bool any = false;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    // from_chars, not stod: a run of 400 digits is out of range for a double,
    // which stod reports by throwing std::out_of_range.
    double v = 0;
    auto parsed = std::from_chars(text.data() + b, text.data() + i, v);
    if (parsed.ec == std::errc::result_out_of_range) v = HUGE_VAL;
    while (i < text.size() && text[i] == ' ') ++i;
    std::string_view unit = text.substr(i, 3);
    if (unit.rfind("hr", 0) == 0) {
      minutes += 60 * v;
    } else if (unit == "min") {
      minutes += v;
    } else if (unit == "sec") {
      minutes += v / 60;
    } else {
      continue;
    }
    any = true;
  }
  // Beyond int32 (or infinite) is no real duration: unknown, and converting
  // it would be undefined behaviour.
  if (!any || !(minutes + 0.5 < static_cast<double>(std::numeric_limits<int32_t>::max()))) {
    return -1;
  }
  return std::max(1, static_cast<int32_t>(minutes + 0.5));
}

void parse_airing(std::string_view premiered, std::string_view aired, int32_t& year,
                  std::string& season) {
  year = -1;
  season.clear();
  premiered = trim(premiered);
  if (!is_unknown(premiered)) {
    size_t sp = premiered.find(' ');
    if (sp != std::string_view::npos) {
      if (auto y = parse_int(trim(premiered.substr(sp + 1)))) {
        year = static_cast<int32_t>(*y);
        season = std::string(premiered.substr(0, sp));
        std::transform(season.begin(), season.end(), season.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return;
      }
    }
  }
  aired = trim(aired);
  if (is_unknown(aired)) return;
  // "Apr 3, 2011 to Sep 12, 2011", "2011 to ?", "Apr 2011": the first 4-digit
  // run is the start year; a leading month name gives the season.
  for (size_t i = 0; i + 4 <= aired.size(); ++i) {
    bool four = std::all_of(aired.begin() + i, aired.begin() + i + 4,
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    bool bounded =
        (i == 0 || !std::isdigit(static_cast<unsigned char>(aired[i - 1]))) &&
        (i + 4 == aired.size() || !std::isdigit(static_cast<unsigned char>(aired[i + 4])));
    if (four && bounded) {
      year = static_cast<int32_t>(*parse_int(aired.substr(i, 4)));
      break;
    }
  }
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static const char* kSeasons[] = {"winter", "spring", "summer", "fall"};
  for (int m = 0; m < 12; ++m) {
    if (aired.rfind(kMonths[m], 0) == 0) {
      season = kSeasons[m / 3];
      break;
    }
  }
}

}  // namespace animerec::data
