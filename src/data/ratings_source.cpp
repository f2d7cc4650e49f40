#include "animerec/data/ratings_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "animerec/core/error.h"
#include "animerec/core/input_file.h"
#include "animerec/data/dataset.h"
#include "animerec/data/text.h"

namespace animerec::data {

namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

struct LayoutName {
  RatingsLayout layout;
  const char* name;
};
constexpr std::array<LayoutName, 8> kLayoutNames{{
    {RatingsLayout::kMal2016, "mal2016"},
    {RatingsLayout::kMal2020Complete, "mal2020-complete"},
    {RatingsLayout::kMal2020Animelist, "mal2020-animelist"},
    {RatingsLayout::kMal2023, "mal2023"},
    {RatingsLayout::kMovielensUdata, "movielens-udata"},
    {RatingsLayout::kMovielensDat, "movielens-dat"},
    {RatingsLayout::kMovielensCsv, "movielens-csv"},
    {RatingsLayout::kTriplets, "triplets"},
}};

// The published headers; the first listed layout wins on auto-detection.
struct HeaderLayout {
  RatingsLayout layout;
  std::vector<std::string> columns;
};
const std::vector<HeaderLayout>& header_layouts() {
  static const std::vector<HeaderLayout> kHeaders = {
      {RatingsLayout::kMal2016, {"user_id", "anime_id", "rating"}},
      {RatingsLayout::kMal2020Complete, {"user_id", "anime_id", "rating"}},
      {RatingsLayout::kMal2020Animelist,
       {"user_id", "anime_id", "rating", "watching_status", "watched_episodes"}},
      {RatingsLayout::kMal2023, {"user_id", "Username", "anime_id", "Anime Title", "rating"}},
      {RatingsLayout::kMovielensCsv, {"userId", "movieId", "rating", "timestamp"}},
  };
  return kHeaders;
}

const HeaderLayout* header_for(RatingsLayout layout) {
  for (const auto& h : header_layouts()) {
    if (h.layout == layout) return &h;
  }
  return nullptr;
}

bool same_name(std::string_view a, std::string_view b) {
  a = trim(a);
  b = trim(b);
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// The first line of the file, without BOM and line ending; empty if the file
// holds nothing but blank space.
std::string first_line(const std::string& path) {
  InputFd fd = open_regular_file(path, "", nullptr);
  std::string text(size_t{1} << 16, '\0');
  ssize_t n;
  do {
    n = ::read(fd.get(), text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  text.resize(static_cast<size_t>(n));
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return {};
  size_t nl = text.find('\n', start);
  return std::string(
      trim(std::string_view(text).substr(start, nl == std::string::npos ? nl : nl - start)));
}

std::vector<std::string> split_header(const std::string& line, char delim) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t d = line.find(delim, i);
    std::string f(trim(std::string_view(line).substr(i, d == std::string::npos ? d : d - i)));
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    out.push_back(f);
    if (d == std::string::npos) return out;
    i = d + 1;
  }
}

bool matches(const std::vector<std::string>& found, const std::vector<std::string>& expected) {
  if (found.size() != expected.size()) return false;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!same_name(found[i], expected[i])) return false;
  }
  return true;
}

std::vector<std::string> split_plain(const std::string& line, CsvDialect dialect) {
  if (dialect.kind == CsvDialect::Kind::kDelimited) return split_header(line, dialect.delimiter);
  std::vector<std::string> out;
  std::string_view s(line);
  if (dialect.kind == CsvDialect::Kind::kDoubleColon) {
    size_t i = 0;
    for (;;) {
      size_t d = s.find("::", i);
      out.emplace_back(s.substr(i, d == std::string_view::npos ? s.size() - i : d - i));
      if (d == std::string_view::npos) return out;
      i = d + 2;
    }
  }
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

bool all_numeric(const std::vector<std::string>& fields) {
  return std::all_of(fields.begin(), fields.end(),
                     [](const std::string& f) { return parse_number(f).has_value(); });
}

// Separator of a headerless (or triplet) file: comma, else tab, else spaces.
CsvDialect plain_dialect(const std::string& line) {
  if (line.find("::") != std::string::npos) return CsvDialect::double_colon();
  if (line.find(',') != std::string::npos) return CsvDialect::comma();
  if (line.find('\t') != std::string::npos) return CsvDialect::tab();
  return CsvDialect::whitespace();
}

// The status a status_name() or a code (0..4, 6, 7) stands for: the status
// column of animerec export's output.
std::optional<Status> status_from_text(std::string_view text) {
  for (Status s : {Status::kUnknown, Status::kWatching, Status::kCompleted, Status::kOnHold,
                   Status::kDropped, Status::kPlanToWatch, Status::kWatchedUnrated}) {
    if (text == status_name(s) || text == std::to_string(static_cast<int>(s))) return s;
  }
  return std::nullopt;
}

// A column name reduced to what identifies it: "User_ID", "userId" and
// "user id" all give "userid".
std::string column_key(std::string_view name) {
  std::string key;
  for (char c : trim(name)) {
    if (c == '_' || c == '-' || c == ' ' || c == '"') continue;
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

// The names a column of each role may have in a header that is not one of
// the published ones (any order, other columns ignored).
struct ColumnRole {
  const char* role;
  std::vector<std::string> keys;  // column_key() form
  const char* shown;              // for messages
};
const std::vector<ColumnRole>& column_roles() {
  static const std::vector<ColumnRole> kRoles = {
      {"user", {"user", "userid", "uid"}, "user, user_id, userId, uid"},
      {"item",
       {"anime", "animeid", "item", "itemid", "movie", "movieid"},
       "anime, anime_id, item, item_id, movie, movieId"},
      {"score", {"rating", "score", "feedback"}, "rating, score, feedback"},
      {"status", {"status", "watchingstatus"}, "status, watching_status"},
  };
  return kRoles;
}

}  // namespace

RatingsLayout ratings_layout_from_name(const std::string& name) {
  if (name == "auto") return RatingsLayout::kAuto;
  for (const auto& l : kLayoutNames) {
    if (name == l.name) return l.layout;
  }
  throw ConfigError(fmt::format("invalid value for --ratings-format: '{}'", name));
}

const char* ratings_layout_name(RatingsLayout layout) {
  for (const auto& l : kLayoutNames) {
    if (layout == l.layout) return l.name;
  }
  return "auto";
}

RatingsSource::RatingsSource(const std::string& path, RatingsLayout forced) {
  detect_and_open(path, forced);
}

RatingsSource::RatingsSource(const RatingsSource& proto, uint64_t begin, uint64_t end)
    : reader_(std::make_unique<CsvReader>(proto.reader_->path(), proto.dialect_, begin, end)),
      dialect_(proto.dialect_),
      layout_(proto.layout_),
      n_fields_(proto.n_fields_),
      col_user_(proto.col_user_),
      col_anime_(proto.col_anime_),
      col_score_(proto.col_score_),
      col_status_(proto.col_status_),
      col_episodes_(proto.col_episodes_),
      score_min_(proto.score_min_),
      score_max_(proto.score_max_),
      scale_seen_(proto.scale_seen_) {}

RatingsSource::~RatingsSource() = default;

void RatingsSource::detect_and_open(const std::string& path, RatingsLayout forced) {
  std::string line = first_line(path);
  if (line.empty()) throw InputError(path, 0, "empty file (no header and no rows)");

  const HeaderLayout* header = nullptr;
  std::vector<std::string> found = split_header(line, ',');
  if (forced == RatingsLayout::kAuto) {
    for (const auto& h : header_layouts()) {
      if (matches(found, h.columns)) {
        header = &h;
        break;
      }
    }
  } else {
    header = header_for(forced);
  }

  if (header != nullptr) {
    layout_ = header->layout;
    dialect_ = CsvDialect::comma();
    reader_ = std::make_unique<CsvReader>(path, dialect_, false);
    reader_->next();
    map_header(reader_->fields());
    return;
  }

  CsvDialect dialect = plain_dialect(line);
  std::vector<std::string> fields = split_plain(line, dialect);
  bool numeric = all_numeric(fields);
  if (forced == RatingsLayout::kAuto) {
    if (dialect.kind == CsvDialect::Kind::kDoubleColon) {
      layout_ = RatingsLayout::kMovielensDat;
    } else if (dialect.kind == CsvDialect::Kind::kDelimited && dialect.delimiter == '\t' &&
               fields.size() == 4 && numeric) {
      layout_ = RatingsLayout::kMovielensUdata;
    } else if (!numeric || fields.size() == 3 || fields.size() == 4) {
      // A header is mapped by name below; a header-less row is read by position.
      layout_ = RatingsLayout::kTriplets;
    } else {
      throw InputError(
          path, 1,
          fmt::format("cannot detect the layout from the first line ({}); expected a "
                      "MyAnimeList or MovieLens header or 'user item rating' triplets; "
                      "pass --ratings-format",
                      shown_value(line)));
    }
  } else {
    layout_ = forced;
  }
  if (layout_ == RatingsLayout::kMovielensDat) dialect = CsvDialect::double_colon();
  if (layout_ == RatingsLayout::kMovielensUdata) dialect = CsvDialect::tab();
  dialect_ = dialect;
  reader_ = std::make_unique<CsvReader>(path, dialect, false);
  n_fields_ = fields.size();
  if (layout_ == RatingsLayout::kMovielensUdata || layout_ == RatingsLayout::kMovielensDat) {
    n_fields_ = 4;
    score_min_ = 1;
    score_max_ = 5;
  }
  if (layout_ == RatingsLayout::kTriplets) {
    if (!numeric) {
      map_named_columns(fields, line);
      reader_->next();  // the header line
    } else if (n_fields_ < 3 || n_fields_ > 4) {
      throw InputError(path, 1,
                       fmt::format("expected 3 fields 'user item rating', found {} ({})",
                                   fields.size(), shown_value(line)));
    }
  }
}

// Columns of a header that is not one of the published ones are found by
// name, so "anime_id,user_id,rating" is not read as users 5 and 6 by position.
void RatingsSource::map_named_columns(const std::vector<std::string>& header,
                                      const std::string& line) {
  const std::string& path = reader_->path();
  std::vector<size_t> found(column_roles().size(), kNone);
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string key = column_key(header[i]);
    for (size_t r = 0; r < column_roles().size(); ++r) {
      const auto& keys = column_roles()[r].keys;
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
      if (found[r] != kNone) {
        throw InputError(path, 1,
                         fmt::format("columns '{}' and '{}' both name the {} column; keep one",
                                     shown_value(header[found[r]]), shown_value(header[i]),
                                     column_roles()[r].role));
      }
      found[r] = i;
    }
  }
  // Three columns of which the user and item are named: the third is the
  // score, whatever its name ("stars", "value").
  if (header.size() == 3 && found[0] != kNone && found[1] != kNone && found[2] == kNone &&
      found[3] == kNone) {
    found[2] = 3 - found[0] - found[1];
  }
  std::string missing;
  for (size_t r = 0; r < 3; ++r) {
    if (found[r] != kNone) continue;
    missing += fmt::format("{}{} {} column ({})", missing.empty() ? "" : ", ", r == 1 ? "an" : "a",
                           column_roles()[r].role, column_roles()[r].shown);
  }
  if (!missing.empty()) {
    throw InputError(
        path, 1,
        fmt::format("cannot detect the layout from the header ({}): it is not a MyAnimeList or "
                    "MovieLens header, and it lacks {}; name the columns so, or pass "
                    "--ratings-format for a known layout",
                    shown_value(line), missing));
  }
  n_fields_ = header.size();
  col_user_ = found[0];
  col_anime_ = found[1];
  col_score_ = found[2];
  col_status_ = found[3];
}

void RatingsSource::map_header(const std::vector<std::string_view>& found) {
  const HeaderLayout& h = *header_for(layout_);
  std::vector<std::string> found_names(found.begin(), found.end());
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < found.size(); ++i) {
      if (same_name(found[i], name)) return i;
    }
    throw InputError(reader_->path(), 1,
                     fmt::format("missing required column '{}': expected header '{}', found '{}'",
                                 name, join(h.columns), shown_value(join(found_names))));
  };
  n_fields_ = found.size();
  switch (layout_) {
    case RatingsLayout::kMovielensCsv:
      col_user_ = column("userId");
      col_anime_ = column("movieId");
      col_score_ = column("rating");
      score_min_ = 0.5f;
      score_max_ = 5;
      break;
    case RatingsLayout::kMal2020Animelist:
      col_status_ = column("watching_status");
      col_episodes_ = column("watched_episodes");
      [[fallthrough]];
    default:
      col_user_ = column("user_id");
      col_anime_ = column("anime_id");
      col_score_ = column("rating");
      score_min_ = 1;
      score_max_ = 10;
      break;
  }
}

bool RatingsSource::next(RatingRecord& out, BadRowLog& log) {
  for (;;) {
    try {
      if (!reader_->next()) return false;
    } catch (const InputError& e) {
      // A quoting error inside one record: that record is consumed, go on.
      log.report(e.file(), e.line(), "bad_quoting", e.what_wrong());
      continue;
    }
    if (parse_row(out, log)) return true;
  }
}

bool RatingsSource::parse_row(RatingRecord& out, BadRowLog& log) {
  CsvReader& r = *reader_;
  if (r.size() != n_fields_) {
    log.report(r.path(), r.line(), "wrong_field_count",
               fmt::format("wrong field count: expected {}, found {}", n_fields_, r.size()));
    return false;
  }
  auto user = parse_int(r.field(col_user_));
  if (!user) return bad_id(log, "user", r.field(col_user_));
  auto anime = parse_int(r.field(col_anime_));
  if (!anime) return bad_id(log, "anime", r.field(col_anime_));
  out.user = *user;
  out.anime = *anime;
  out.status = static_cast<uint8_t>(Status::kUnknown);
  return parse_score(r.field(col_score_), out, log);
}

bool RatingsSource::bad_id(BadRowLog& log, const char* which, std::string_view text) {
  const CsvReader& r = *reader_;
  if (integer_out_of_range(text)) {
    log.report(r.path(), r.line(), "id_out_of_range",
               fmt::format("{} id out of range ({}; ids must lie within +-{})", which,
                           shown_value(text), std::numeric_limits<int64_t>::max()));
  } else {
    log.report(r.path(), r.line(), "non_numeric_id",
               fmt::format("non-numeric {} id ({})", which, shown_value(text)));
  }
  return false;
}

bool RatingsSource::parse_score(std::string_view text, RatingRecord& out, BadRowLog& log) {
  CsvReader& r = *reader_;
  auto bad_range = [&](const std::string& expected) {
    log.report(r.path(), r.line(), "score_out_of_range",
               fmt::format("rating out of range ({}; expected {})", shown_value(text), expected));
    return false;
  };
  // Scores are almost always small integers: the integer parser is faster.
  std::optional<double> value;
  if (auto as_int = parse_int(text)) {
    value = static_cast<double>(*as_int);
  } else {
    value = parse_number(text);
  }
  if (!value) {
    log.report(r.path(), r.line(), "non_numeric_score",
               fmt::format("non-numeric rating ({})", shown_value(text)));
    return false;
  }
  double v = *value;
  bool integral = v == std::floor(v);
  switch (layout_) {
    case RatingsLayout::kMal2016:
      if (v == -1) {
        out.score = 0;
        out.status = static_cast<uint8_t>(Status::kWatchedUnrated);
        return true;
      }
      if (!integral || v < 1 || v > 10) return bad_range("1..10 or -1");
      break;
    case RatingsLayout::kMal2020Complete:
    case RatingsLayout::kMal2023:
      if (!integral || v < 1 || v > 10) return bad_range("1..10");
      break;
    case RatingsLayout::kMal2020Animelist: {
      if (!integral || v < 0 || v > 10) return bad_range("0..10, 0 = not scored");
      auto status = parse_int(r.field(col_status_));
      if (!status ||
          !(*status == 1 || *status == 2 || *status == 3 || *status == 4 || *status == 6)) {
        log.report(r.path(), r.line(), "bad_watching_status",
                   fmt::format("watching_status out of range ({}; expected 1, 2, 3, 4 or 6)",
                               shown_value(r.field(col_status_))));
        return false;
      }
      if (!parse_int(r.field(col_episodes_))) {
        log.report(
            r.path(), r.line(), "non_numeric_episodes",
            fmt::format("non-numeric watched_episodes ({})", shown_value(r.field(col_episodes_))));
        return false;
      }
      out.status = static_cast<uint8_t>(*status);
      break;
    }
    case RatingsLayout::kMovielensUdata:
    case RatingsLayout::kMovielensDat:
      if (!integral || v < 1 || v > 5) return bad_range("1..5");
      break;
    case RatingsLayout::kMovielensCsv:
      if (v < 0.5 || v > 5 || v * 2 != std::floor(v * 2))
        return bad_range("0.5..5 in steps of 0.5");
      break;
    case RatingsLayout::kTriplets:
      if (col_status_ != kNone) {
        // animerec export's layout: a status column, and 0 for a row not scored.
        auto status = status_from_text(trim(r.field(col_status_)));
        if (!status) {
          log.report(r.path(), r.line(), "bad_watching_status",
                     fmt::format("unknown status ({}; expected one of unknown, watching, "
                                 "completed, on_hold, dropped, plan_to_watch, watched_unrated)",
                                 shown_value(r.field(col_status_))));
          return false;
        }
        out.status = static_cast<uint8_t>(*status);
        if (v == 0) {
          out.score = 0;
          return true;
        }
      }
      if (v <= 0)
        return bad_range(col_status_ != kNone ? "0 = not scored, or a number > 0" : "a number > 0");
      score_min_ =
          scale_seen_ ? std::min(score_min_, static_cast<float>(v)) : static_cast<float>(v);
      score_max_ =
          scale_seen_ ? std::max(score_max_, static_cast<float>(v)) : static_cast<float>(v);
      scale_seen_ = true;
      break;
    case RatingsLayout::kAuto:
      break;
  }
  out.score = static_cast<float>(v);
  return true;
}

}  // namespace animerec::data
