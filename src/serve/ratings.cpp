// A new user's ratings as typed (--ratings) or in a file (--ratings-file),
// resolved to model rows and checked against the model's score scale.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/serve/fold_in.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::optional<float> parse_score(const std::string& text) {
  float v = 0;
  const std::string t = trim(text);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

// Collects ratings, checking each one; `where` prefixes every message (the
// item of --ratings, or FILE:LINE).
class RatingCollector {
 public:
  RatingCollector(const model::Model& m, std::vector<std::string>* notes) : m_(m), notes_(notes) {}

  void add(const std::string& where, const std::string& anime, const std::string& score_text) {
    const std::optional<float> score = parse_score(score_text);
    if (!score) throw Error(fmt::format("{}: score '{}' is not a number", where, trim(score_text)));
    if (!(*score >= m_.score_min && *score <= m_.score_max)) {
      throw Error(fmt::format("{}: score {} is outside the model's scale [{}, {}]", where, *score,
                              m_.score_min, m_.score_max));
    }
    const int32_t row = resolve(where, trim(anime));
    auto [it, fresh] = first_seen_.emplace(row, where);
    if (!fresh) {
      throw Error(fmt::format("{}: anime {} ({}) is rated twice (first at {})", where,
                              m_.anime_ids[static_cast<size_t>(row)],
                              m_.anime_titles[static_cast<size_t>(row)], it->second));
    }
    ratings_.push_back({row, *score});
  }
  std::vector<Rating> take() { return std::move(ratings_); }

 private:
  int32_t resolve(const std::string& where, const std::string& anime) {
    if (anime.empty()) throw Error(fmt::format("{}: no anime given before the score", where));
    try {
      std::string note;
      const int32_t row = find_anime(m_, anime, &note);
      if (!note.empty() && notes_ != nullptr) notes_->push_back(fmt::format("{}: {}", where, note));
      return row;
    } catch (const Error& e) {
      throw Error(fmt::format("{}: {}", where, e.what()), e.exit_code());
    }
  }

  const model::Model& m_;
  std::vector<std::string>* notes_;
  std::vector<Rating> ratings_;
  std::map<int32_t, std::string> first_seen_;
};

// The text ends in ":SCORE" (a number after its last colon).
bool ends_with_score(const std::string& text) {
  const size_t colon = text.rfind(':');
  return colon != std::string::npos && parse_score(text.substr(colon + 1)).has_value();
}

// Items of --ratings: split at the commas that follow a ":SCORE".
std::vector<std::string> rating_items(const std::string& text) {
  std::vector<std::string> items;
  size_t start = 0;
  for (size_t comma = text.find(','); comma != std::string::npos;
       comma = text.find(',', comma + 1)) {
    if (!ends_with_score(text.substr(start, comma - start))) continue;
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  items.push_back(text.substr(start));
  return items;
}

}  // namespace

std::vector<Rating> parse_ratings(const model::Model& m, const std::string& text,
                                  std::vector<std::string>* notes) {
  RatingCollector out(m, notes);
  if (trim(text).empty()) return {};
  const std::vector<std::string> items = rating_items(text);
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where = fmt::format("--ratings item {} '{}'", i + 1, trim(items[i]));
    const size_t colon = items[i].rfind(':');
    if (colon == std::string::npos) {
      throw Error(
          fmt::format("{}: expected ANIME:SCORE (an id or exact title, a colon, a score)", where));
    }
    out.add(where, items[i].substr(0, colon), items[i].substr(colon + 1));
  }
  return out.take();
}

std::vector<Rating> read_ratings_file(const model::Model& m, const std::string& path,
                                      std::vector<std::string>* notes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open --ratings-file {}", path));
  RatingCollector out(m, notes);
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    // Spreadsheets save UTF-8 with a byte-order mark.
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const std::string where = fmt::format("{}:{}", path, number);
    const size_t comma = t.rfind(',');
    if (comma == std::string::npos) {
      throw Error(
          fmt::format("{}: expected ANIME,SCORE (an id or exact title, a comma, a score), "
                      "got '{}'",
                      where, t));
    }
    std::string anime = trim(t.substr(0, comma));
    if (anime.size() >= 2 && anime.front() == '"' && anime.back() == '"')
      anime = anime.substr(1, anime.size() - 2);
    out.add(where, anime, t.substr(comma + 1));
  }
  if (in.bad()) throw IoError(fmt::format("error reading --ratings-file {}", path));
  return out.take();
}

}  // namespace animerec::serve
