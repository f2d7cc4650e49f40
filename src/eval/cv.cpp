#include "animerec/eval/cv.h"

#include <fmt/format.h>
#include <stdlib.h>  // mkdtemp

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/eval/evaluate.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"

namespace animerec::eval {
namespace {

using nlohmann::json;

// Purpose of the counter-based hash (core/hash.h), distinct from prepare's.
constexpr uint64_t kSaltCvFold = 0x63762d666f6c6473ULL;  // "cv-folds"

// Which rows may be held out, and their fold: a pure function of the row, so
// both orientations of the dataset agree without matching rows up.
class Folds {
 public:
  Folds(const data::Dataset& d, int folds, uint64_t seed, bool explicit_rows)
      : d_(d),
        folds_(folds),
        seed_(seed),
        explicit_rows_(explicit_rows),
        eligible_(d.n_users(), 0) {
    const auto& r = d.by_user;
    for (size_t i = 0; i < r.size(); ++i) eligible_[static_cast<size_t>(r.user[i])] += row_ok(r, i);
  }
  // 0..folds-1, or -1: the row always trains (unscored in explicit mode, or
  // its user has fewer eligible rows than folds: too few to spread over them).
  int32_t of(const data::RatingArrays& r, size_t i) const {
    const auto u = static_cast<size_t>(r.user[i]);
    if (!row_ok(r, i) || eligible_[u] < folds_) return -1;
    const uint64_t h = hash_combine(seed_, kSaltCvFold, static_cast<uint64_t>(d_.user_ids[u]),
                                    static_cast<uint64_t>(d_.anime_ids[r.anime[i]]));
    return static_cast<int32_t>(h % static_cast<uint64_t>(folds_));
  }

 private:
  bool row_ok(const data::RatingArrays& r, size_t i) const {
    return !explicit_rows_ || r.score[i] > 0;
  }
  const data::Dataset& d_;
  int folds_;
  uint64_t seed_;
  bool explicit_rows_;
  std::vector<int64_t> eligible_;
};

void assign(data::RatingArrays& r, const Folds& folds, int fold) {
  for (size_t i = 0; i < r.size(); ++i) {
    r.split[i] =
        static_cast<uint8_t>(folds.of(r, i) == fold ? data::Split::kTest : data::Split::kTrain);
  }
}

// Removes the fold files when the run ends, however it ends (rank 0 only).
class WorkDir {
 public:
  WorkDir(const std::string& base, bool owner) : owner_(owner) {
    if (!owner_) return;
    std::string pattern =
        (std::filesystem::path(base.empty() ? std::filesystem::temp_directory_path().string()
                                            : base) /
         "animerec-cv.XXXXXX")
            .string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw IoError(fmt::format("--work-dir {}: cannot create a directory for the folds there",
                                base.empty() ? "(system temp dir)" : base));
    }
    path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ignored;
    if (owner_ && !path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  std::string& path() { return path_; }

 private:
  bool owner_;
  std::string path_;
};

// Column names of the summary, in display order.
std::vector<std::string> metric_columns(const json& report) {
  std::vector<std::string> cols;
  if (report.contains("rating")) cols = {"RMSE", "MAE"};
  for (const auto& k : report["k"]) {
    const std::string K = std::to_string(k.get<int>());
    for (const char* m : {"P@", "R@", "NDCG@", "HR@"}) cols.push_back(m + K);
  }
  return cols;
}

// method -> column -> value of one evaluate report (null where absent).
json fold_metrics(const json& report, const std::vector<std::string>& methods) {
  json out = json::object();
  for (const std::string& name : methods) {
    json m = json::object();
    if (report.contains("rating")) {
      const json& rt = report["rating"]["methods"];
      m["RMSE"] = rt.contains(name) ? rt[name]["rmse"] : json();
      m["MAE"] = rt.contains(name) ? rt[name]["mae"] : json();
    }
    for (const auto& k : report["k"]) {
      const std::string K = std::to_string(k.get<int>());
      const json& rk = report["ranking"]["methods"][name][K];
      m["P@" + K] = rk["precision"];
      m["R@" + K] = rk["recall"];
      m["NDCG@" + K] = rk["ndcg"];
      m["HR@" + K] = rk["hit_rate"];
    }
    out[name] = m;
  }
  return out;
}

std::string cell(const json& v, int digits = 4) {
  return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), digits) : std::string("-");
}

}  // namespace

std::vector<int32_t> fold_of_rows(const data::Dataset& d, int folds, uint64_t seed,
                                  bool explicit_rows) {
  const Folds f(d, folds, seed, explicit_rows);
  std::vector<int32_t> out(d.by_user.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = f.of(d.by_user, i);
  return out;
}

data::Dataset fold_dataset(const data::Dataset& d, int folds, uint64_t seed, bool explicit_rows,
                           int fold) {
  const Folds f(d, folds, seed, explicit_rows);
  data::Dataset out = d;
  assign(out.by_user, f, fold);
  assign(out.by_anime, f, fold);
  std::fill(out.cold_anime.begin(), out.cold_anime.end(), 0);
  return out;
}

json summarize_folds(const std::vector<json>& reports) {
  if (reports.empty()) throw std::invalid_argument("summarize_folds: no fold");
  const auto methods = reports[0]["methods"].get<std::vector<std::string>>();
  const std::vector<std::string> cols = metric_columns(reports[0]);
  json summary = {{"folds", reports.size()}, {"feedback", reports[0]["feedback"]},
                  {"k", reports[0]["k"]},    {"methods", methods},
                  {"metrics", cols},         {"per_fold", json::array()}};
  std::vector<json> per_fold;
  for (size_t f = 0; f < reports.size(); ++f) {
    per_fold.push_back(fold_metrics(reports[f], methods));
    json entry = {{"fold", f}, {"metrics", per_fold.back()}};
    if (reports[f].contains("cv_test_rows")) entry["test_rows"] = reports[f]["cv_test_rows"];
    summary["per_fold"].push_back(entry);
  }
  json mean = json::object(), sd = json::object();
  const auto n = static_cast<double>(reports.size());
  for (const std::string& name : methods) {
    for (const std::string& col : cols) {
      double sum = 0;
      bool all = true;
      for (const json& f : per_fold) {
        const json& v = f[name][col];
        all = all && v.is_number();
        if (all) sum += v.get<double>();
      }
      if (!all) {
        mean[name][col] = nullptr;
        sd[name][col] = nullptr;
        continue;
      }
      const double mu = sum / n;
      double sq = 0;
      for (const json& f : per_fold) sq += std::pow(f[name][col].get<double>() - mu, 2);
      mean[name][col] = mu;
      sd[name][col] = n > 1 ? std::sqrt(sq / (n - 1)) : 0.0;  // sample standard deviation
    }
  }
  summary["mean"] = mean;
  summary["std"] = sd;
  return summary;
}

std::string format_cv_table(const json& s) {
  const auto methods = s["methods"].get<std::vector<std::string>>();
  const auto cols = s["metrics"].get<std::vector<std::string>>();
  std::string out =
      fmt::format("cv: {} folds, {} feedback; mean ± sample standard deviation over folds\n",
                  s["folds"].get<int64_t>(), s["feedback"].get<std::string>());
  std::vector<std::vector<std::string>> rows{{"method"}};
  for (const auto& c : cols) rows[0].push_back(c);
  for (const std::string& name : methods) {
    std::vector<std::string> row{name};
    for (const auto& c : cols) {
      const json& m = s["mean"][name][c];
      row.push_back(m.is_number() ? cell(m) + " ± " + cell(s["std"][name][c]) : "-");
    }
    rows.push_back(row);
  }
  out += render_table(rows);
  out += "\nPer fold (model)\n";
  std::vector<std::vector<std::string>> folds{{"fold", "test rows"}};
  for (const auto& c : cols) folds[0].push_back(c);
  for (const json& f : s["per_fold"]) {
    std::vector<std::string> row{
        std::to_string(f["fold"].get<int64_t>() + 1),
        f.contains("test_rows") ? std::to_string(f["test_rows"].get<int64_t>()) : "-"};
    for (const auto& c : cols) row.push_back(cell(f["metrics"]["model"][c]));
    folds.push_back(row);
  }
  return out + render_table(folds);
}

std::string run_cv(const CvOptions& o, dist::Comm& comm) {
  if (o.folds < 2) throw ConfigError(fmt::format("--folds {}: must be at least 2", o.folds));
  if (o.format != "table" && o.format != "json")
    throw ConfigError(fmt::format("--format {}: must be table or json", o.format));
  EvaluateSettings settings;
  settings.ks = parse_ks(o.k);
  settings.relevance = o.relevance;
  const bool root = comm.rank() == 0;
  const bool explicit_rows = o.train.als.feedback == als::Feedback::kExplicit;
  const data::Dataset d = io::read_dataset(o.dataset_path);

  WorkDir work(o.work_dir, root);
  comm.broadcast(work.path(), 0);
  std::vector<json> reports;
  for (int fold = 0; fold < o.folds; ++fold) {
    const data::Dataset fd = fold_dataset(d, o.folds, o.train.seed, explicit_rows, fold);
    int64_t test_rows = 0;
    for (uint8_t s : fd.by_user.split) test_rows += s == static_cast<uint8_t>(data::Split::kTest);
    if (test_rows == 0) {
      throw ConfigError(fmt::format(
          "--folds {}: fold {} holds no row (no user has {} rows eligible for holding out)",
          o.folds, fold + 1, o.folds));
    }
    train::TrainOptions t = o.train;
    t.dataset_path = (std::filesystem::path(work.path()) / fmt::format("fold{}.h5", fold)).string();
    t.out_path = (std::filesystem::path(work.path()) / fmt::format("model{}.h5", fold)).string();
    t.overwrite = true;
    t.quiet = true;
    if (root) {
      if (!o.quiet) {
        std::fprintf(
            stderr, "%s",
            fmt::format("cv: fold {}/{}: {} test rows, training\n", fold + 1, o.folds, test_rows)
                .c_str());
      }
      io::write_dataset(fd, t.dataset_path, true);
    }
    comm.barrier();  // the fold's dataset exists before any rank reads it
    const int code = train::run_training(t, comm);
    if (code != kExitOk) throw Error(fmt::format("cv: training fold {} failed", fold + 1), code);
    json report = evaluate(io::read_model(t.out_path), fd, settings, comm);
    report["cv_test_rows"] = test_rows;
    reports.push_back(report);
    comm.barrier();  // every rank is done with the fold's files
  }
  if (!root) return "";
  json summary = summarize_folds(reports);
  summary["dataset_path"] = o.dataset_path;
  summary["seed"] = o.train.seed;
  if (o.format == "json") return summary.dump(2) + "\n";
  return format_cv_table(summary);
}

}  // namespace animerec::eval
