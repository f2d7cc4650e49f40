#include "animerec/data/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

namespace animerec::data {

namespace {

// 24325191 -> "24,325,191": counts of millions are unreadable otherwise. Done
// by hand rather than with a locale so the output is the same everywhere.
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string percent(int64_t part, int64_t total) {
  double p = total > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0;
  return fmt::format("{:.2f} %", p);
}

std::string human_bytes(uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1024 && u + 1 < kUnits.size()) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, kUnits[u]);
}

// A table under a section title: the first `left_columns` columns
// left-aligned (names, text), the others right-aligned (numbers), every
// column as wide as its widest cell.
class Table {
 public:
  explicit Table(size_t left_columns = 1) : left_columns_(left_columns) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  void render(std::string& out) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()), 0);
      for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (const auto& row : rows_) {
      std::string line = "  ";
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) line += "   ";
        if (c < left_columns_) {
          line += fmt::format("{:<{}}", row[c], width[c]);
        } else {
          line += fmt::format("{:>{}}", row[c], width[c]);
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line;
      out += '\n';
    }
  }

 private:
  size_t left_columns_;
  std::vector<std::vector<std::string>> rows_;
};

void section(std::string& out, std::string_view title) {
  out += '\n';
  out += title;
  out += '\n';
}

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string score_text(float s) { return fmt::format("{}", s); }

void size_section(std::string& out, const Dataset& d) {
  auto users = static_cast<int64_t>(d.n_users());
  auto anime = static_cast<int64_t>(d.n_anime());
  auto rows = static_cast<int64_t>(d.n_ratings());
  double cells = static_cast<double>(users) * static_cast<double>(anime);
  double density = cells > 0 ? 100.0 * static_cast<double>(rows) / cells : 0.0;
  section(out, "Size");
  Table t;
  t.add({"rating rows", grouped(rows)});
  t.add({"users", grouped(users)});
  t.add({"anime", grouped(anime)});
  t.add({"density", fmt::format("{:.4f} %", density)});
  t.add({"score scale", fmt::format("{} .. {}", score_text(d.score_min), score_text(d.score_max))});
  t.render(out);
}

constexpr std::array<Status, 7> kStatuses = {
    Status::kUnknown, Status::kWatching,    Status::kCompleted,      Status::kOnHold,
    Status::kDropped, Status::kPlanToWatch, Status::kWatchedUnrated,
};

void status_section(std::string& out, const Dataset& d) {
  const RatingArrays& r = d.by_user;
  std::array<int64_t, 256> rows{}, scored{};
  for (size_t i = 0; i < r.size(); ++i) {
    ++rows[r.status[i]];
    if (r.score[i] > 0) ++scored[r.status[i]];
  }
  int64_t total = static_cast<int64_t>(r.size());
  int64_t total_scored = 0;
  for (int64_t s : scored) total_scored += s;

  section(out, "Rows");
  Table t;
  t.add({"scored", grouped(total_scored), percent(total_scored, total)});
  t.add({"unscored", grouped(total - total_scored), percent(total - total_scored, total)});
  t.render(out);

  section(out, "Rows by status");
  Table s;
  s.add({"status", "rows", "share", "scored"});
  for (Status st : kStatuses) {
    auto code = static_cast<uint8_t>(st);
    if (rows[code] == 0) continue;
    s.add(
        {status_name(st), grouped(rows[code]), percent(rows[code], total), grouped(scored[code])});
  }
  s.render(out);
}

// Bins of width 1 when every score is a whole number, else 0.5 (MovieLens'
// half stars); anything finer is rounded to the nearest half.
void score_section(std::string& out, const Dataset& d) {
  const RatingArrays& r = d.by_user;
  bool whole = std::floor(d.score_min) == d.score_min;
  int64_t n_scored = 0;
  for (float s : r.score) {
    if (s <= 0) continue;
    ++n_scored;
    if (std::floor(s) != s) whole = false;
  }
  section(out, "Scores (scored rows)");
  if (n_scored == 0) {
    out += "  no scored rows\n";
    return;
  }
  double step = whole ? 1.0 : 0.5;
  double lo = std::floor(d.score_min / step) * step;
  auto n_bins = static_cast<size_t>(std::llround((d.score_max - lo) / step)) + 1;
  std::vector<int64_t> bins(n_bins, 0);
  for (float s : r.score) {
    if (s <= 0) continue;
    auto b = std::llround((s - lo) / step);
    ++bins[static_cast<size_t>(std::clamp<long long>(b, 0, static_cast<long long>(n_bins) - 1))];
  }
  int64_t peak = *std::max_element(bins.begin(), bins.end());
  constexpr int kBarWidth = 40;
  Table t(0);
  t.add({"score", "rows", "share", ""});
  for (size_t b = 0; b < n_bins; ++b) {
    double value = lo + static_cast<double>(b) * step;
    auto bar = static_cast<size_t>(
        std::llround(kBarWidth * static_cast<double>(bins[b]) / static_cast<double>(peak)));
    t.add({whole ? fmt::format("{:.0f}", value) : fmt::format("{:.1f}", value), grouped(bins[b]),
           percent(bins[b], n_scored), std::string(bar, '#') + std::string(kBarWidth - bar, ' ')});
  }
  t.render(out);
}

void split_section(std::string& out, const Dataset& d) {
  const RatingArrays& r = d.by_user;
  constexpr size_t kParts = 3;
  std::array<int64_t, kParts> rows{}, scored{}, users{}, anime{};
  std::vector<std::array<uint8_t, kParts>> anime_seen(d.n_anime(), {0, 0, 0});
  for (size_t u = 0; u + 1 < d.user_offsets.size(); ++u) {
    std::array<uint8_t, kParts> user_seen{0, 0, 0};
    for (auto i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
      uint8_t p = r.split[i];
      if (p >= kParts) continue;
      ++rows[p];
      if (r.score[i] > 0) ++scored[p];
      user_seen[p] = 1;
      auto a = static_cast<size_t>(r.anime[i]);
      if (a < anime_seen.size()) anime_seen[a][p] = 1;
    }
    for (size_t p = 0; p < kParts; ++p) users[p] += user_seen[p];
  }
  for (const auto& seen : anime_seen) {
    for (size_t p = 0; p < kParts; ++p) anime[p] += seen[p];
  }
  int64_t total = static_cast<int64_t>(r.size());
  int64_t cold = std::count(d.cold_anime.begin(), d.cold_anime.end(), uint8_t{1});

  section(out, "Split");
  Table t;
  t.add({"part", "rows", "share", "scored", "users", "anime"});
  for (size_t p = 0; p < kParts; ++p) {
    t.add({split_name(static_cast<Split>(p)), grouped(rows[p]), percent(rows[p], total),
           grouped(scored[p]), grouped(users[p]), grouped(anime[p])});
  }
  t.render(out);
  out += fmt::format("  cold anime (every rating in test): {}\n", grouped(cold));
}

void counts_section(std::string& out, const Provenance& p) {
  section(out, "Counts from prepare (rows read, kept, dropped, filtered)");
  if (p.counts.empty()) {
    out += "  none recorded\n";
    return;
  }
  Table t;
  for (const auto& [name, value] : p.counts) t.add({name, grouped(value)});
  t.render(out);
}

void provenance_section(std::string& out, const Provenance& p) {
  section(out, "Provenance");
  Table t(2);
  t.add({"program version", or_dash(p.program_version)});
  t.add({"build commit", or_dash(p.build_commit)});
  t.add({"command line", or_dash(p.command_line)});
  t.render(out);

  out += "  inputs:\n";
  if (p.inputs.empty()) out += "    none recorded\n";
  for (const auto& in : p.inputs) {
    out += fmt::format("    {}: {}\n", in.role, in.path);
    out += fmt::format("      layout {}, {} bytes ({})\n", or_dash(in.layout),
                       grouped(static_cast<int64_t>(in.size_bytes)), human_bytes(in.size_bytes));
    out += fmt::format("      sha256 {}\n", or_dash(in.sha256));
  }

  out += "  parameters (filters, split, seed):\n";
  if (p.params.empty()) out += "    none recorded\n";
  size_t width = 0;
  for (const auto& [name, value] : p.params) width = std::max(width, name.size());
  for (const auto& [name, value] : p.params) {
    out += fmt::format("    {:<{}} = {}\n", name, width, value);
  }
}

}  // namespace

std::string dataset_summary(const Dataset& d, const std::string& path) {
  std::string out = fmt::format("Dataset {}\n", path);
  size_section(out, d);
  status_section(out, d);
  score_section(out, d);
  split_section(out, d);
  counts_section(out, d.provenance);
  provenance_section(out, d.provenance);
  return out;
}

}  // namespace animerec::data
