#include "animerec/serve/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace animerec::serve {
namespace {

// The text of every column of one row, whatever the format.
struct Row {
  std::vector<std::string> cells;
};

std::vector<std::string> headers(bool with_meta, bool with_why) {
  std::vector<std::string> h = {"rank", "anime_id", "title", "score"};
  if (with_meta) h.insert(h.end(), {"type", "year", "genres"});
  if (with_why) h.insert(h.end(), {"because", "shared_features"});
  return h;
}

bool is_number_column(const std::string& header) {
  return header == "rank" || header == "anime_id" || header == "score" || header == "year" ||
         header == "user_id";
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : separator) + i;
  return out;
}

std::string because_title(const Explanation& e, const model::Model& m) {
  return e.because < 0 ? "" : m.anime_titles[static_cast<size_t>(e.because)];
}

std::string genres_of(const data::AnimeMeta& meta, size_t a) {
  std::string out;
  const data::MultiValued& g = meta.genres;
  for (int64_t i = g.offsets[a]; i < g.offsets[a + 1]; ++i) {
    if (!out.empty()) out += ", ";
    out += g.vocab.at(static_cast<size_t>(g.values[static_cast<size_t>(i)]));
  }
  return out;
}

std::vector<Row> rows_of(const std::vector<Scored>& items, const model::Model& m,
                         const data::AnimeMeta* meta, const std::vector<Explanation>* why) {
  std::vector<Row> rows;
  for (size_t r = 0; r < items.size(); ++r) {
    const auto a = static_cast<size_t>(items[r].anime);
    Row row;
    row.cells = {fmt::format("{}", r + 1), fmt::format("{}", m.anime_ids[a]), m.anime_titles[a],
                 fmt::format("{:.2f}", items[r].score)};
    if (meta) {
      const int32_t year = meta->year[a];
      row.cells.insert(row.cells.end(), {meta->type[a], year > 0 ? fmt::format("{}", year) : "",
                                         genres_of(*meta, a)});
    }
    if (why) {
      const Explanation& e = why->at(r);
      row.cells.insert(row.cells.end(), {because_title(e, m), join(e.features, ", ")});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Display width in terminal columns, counting each UTF-8 code point as one
// (titles are often Japanese or accented; bytes would misalign them).
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string query_line(const Query& query) {
  std::string out;
  for (const auto& [key, value] : query.items()) {
    if (!out.empty()) out += "  ";
    out += key + ": " + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string table(const Query& query, const std::vector<Row>& rows,
                  const std::vector<std::string>& head) {
  std::vector<size_t> w(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    w[c] = width(head[c]);
    for (const Row& r : rows) w[c] = std::max(w[c], width(r.cells[c]));
  }
  // Numbers right-aligned, text left-aligned; the last column is not padded.
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool number = is_number_column(head[c]);
      const std::string pad(w[c] - width(cells[c]), ' ');
      if (c) out += "  ";
      if (c + 1 == cells.size() && !number) {
        out += cells[c];
      } else {
        out += number ? pad + cells[c] : cells[c] + pad;
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = query_line(query) + "\n" + line(head);
  for (const Row& r : rows) out += line(r.cells);
  if (rows.empty()) out += "(nothing to recommend)\n";
  return out;
}

nlohmann::ordered_json json_explanation(const Explanation& e, const model::Model& m) {
  nlohmann::ordered_json out;
  if (e.because >= 0) {
    const auto b = static_cast<size_t>(e.because);
    out["because"] = {{"anime_id", m.anime_ids[b]},
                      {"title", m.anime_titles[b]},
                      {"share", std::round(e.share * 1e4) / 1e4}};
  } else {
    out["because"] = nullptr;
  }
  out["shared_features"] = e.features;
  return out;
}

std::string json(const Query& query, const std::vector<Scored>& items, const model::Model& m,
                 const data::AnimeMeta* meta, const std::vector<Explanation>* why) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (size_t r = 0; r < items.size(); ++r) {
    const auto a = static_cast<size_t>(items[r].anime);
    nlohmann::ordered_json item;
    item["rank"] = r + 1;
    item["anime_id"] = m.anime_ids[a];
    item["title"] = m.anime_titles[a];
    // Rounded like the table (4 decimals, not 2: scripts may re-rank on it).
    item["score"] = std::round(items[r].score * 1e4) / 1e4;
    if (meta) {
      item["type"] = meta->type[a];
      item["year"] = meta->year[a] > 0 ? nlohmann::ordered_json(meta->year[a]) : nullptr;
      nlohmann::ordered_json genres = nlohmann::ordered_json::array();
      const data::MultiValued& g = meta->genres;
      for (int64_t i = g.offsets[a]; i < g.offsets[a + 1]; ++i)
        genres.push_back(g.vocab.at(static_cast<size_t>(g.values[static_cast<size_t>(i)])));
      item["genres"] = genres;
    }
    if (why) item["explain"] = json_explanation(why->at(r), m);
    list.push_back(item);
  }
  nlohmann::ordered_json out;
  out["query"] = query;
  out["recommendations"] = list;
  return out.dump(2) + "\n";
}

std::string csv(const std::vector<Row>& rows, const std::vector<std::string>& head) {
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c) out += ',';
      out += csv_field(cells[c]);
    }
    out += "\n";
  };
  line(head);
  for (const Row& r : rows) line(r.cells);
  return out;
}

std::vector<Row> user_rows(const UserList& l, const model::Model& m, bool with_anime) {
  std::vector<Row> rows;
  for (size_t r = 0; r < l.users.size(); ++r) {
    Row row;
    if (with_anime) row.cells.push_back(fmt::format("{}", l.anime_id));
    row.cells.insert(row.cells.end(),
                     {fmt::format("{}", r + 1),
                      fmt::format("{}", m.user_ids[static_cast<size_t>(l.users[r].user)]),
                      fmt::format("{:.2f}", l.users[r].score)});
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::string format_users(const std::vector<UserList>& lists, const model::Model& m,
                         const std::string& format) {
  if (format == "table") {
    std::string out;
    for (const UserList& l : lists) {
      if (!out.empty()) out += '\n';  // a blank line between two anime's lists
      out += table(l.query, user_rows(l, m, false), {"rank", "user_id", "score"});
    }
    return out;
  }
  if (format == "csv") {
    std::vector<Row> rows;
    for (const UserList& l : lists) {
      std::vector<Row> r = user_rows(l, m, true);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    return csv(rows, {"anime_id", "rank", "user_id", "score"});
  }
  if (format == "json") {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const UserList& l : lists) {
      nlohmann::ordered_json users = nlohmann::ordered_json::array();
      for (size_t r = 0; r < l.users.size(); ++r) {
        nlohmann::ordered_json u;
        u["rank"] = r + 1;
        u["user_id"] = m.user_ids[static_cast<size_t>(l.users[r].user)];
        u["score"] = std::round(l.users[r].score * 1e4) / 1e4;
        users.push_back(u);
      }
      out.push_back({{"query", l.query}, {"users", users}});
    }
    return nlohmann::ordered_json{{"new_anime", out}}.dump(2) + "\n";
  }
  throw std::invalid_argument("format_users: unknown format " + format);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string format_list(const Query& query, const std::vector<Scored>& items, const model::Model& m,
                        const data::AnimeMeta* meta, const std::string& format,
                        const std::vector<Explanation>* why) {
  if (why && why->size() != items.size())
    throw std::invalid_argument("format_list: one explanation per item expected");
  if (format == "json") return json(query, items, m, meta, why);
  const std::vector<Row> rows = rows_of(items, m, meta, why);
  const std::vector<std::string> head = headers(meta != nullptr, why != nullptr);
  if (format == "csv") return csv(rows, head);
  if (format == "table") return table(query, rows, head);
  throw std::invalid_argument("format_list: unknown format " + format);
}

}  // namespace animerec::serve
