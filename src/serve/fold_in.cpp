#include "animerec/serve/fold_in.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <array>
#include <charconv>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "animerec/als/solver.h"
#include "animerec/als/sweep.h"
#include "animerec/config/params.h"
#include "animerec/core/error.h"
#include "animerec/data/dataset.h"

namespace animerec::serve {
namespace {

bool is_implicit(const model::Model& m) { return m.feedback == "implicit"; }

// A training parameter of the model, from its recorded configuration; a
// parameter the model does not record (a hand-made model, or one written
// before the parameter existed) has the value `train` defaults it to.
double config_number(const model::Model& m, const std::string& name) {
  std::string text;
  if (auto it = m.config.find(name); it != m.config.end()) {
    text = it->second;
  } else {
    for (const config::ParamSpec* spec : config::command_params("train"))
      if (spec->name == name) text = spec->default_value;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw IoError(fmt::format("the model's config has {} = '{}', not a number", name, text));
  }
  return v;
}

// The implicit weight of a training row, as train/local_data.cpp gives it:
// the weight of its status (indexed by data::Status), plus weight-scored
// when it has a score.
class ImplicitWeights {
 public:
  explicit ImplicitWeights(const model::Model& m) : scored_(config_number(m, "weight-scored")) {
    static constexpr std::array<std::pair<data::Status, const char*>, 6> kStatusWeights = {{
        {data::Status::kWatching, "weight-watching"},
        {data::Status::kCompleted, "weight-completed"},
        {data::Status::kOnHold, "weight-on-hold"},
        {data::Status::kDropped, "weight-dropped"},
        {data::Status::kPlanToWatch, "weight-plan-to-watch"},
        {data::Status::kWatchedUnrated, "weight-watched"},
    }};
    for (const auto& [status, name] : kStatusWeights)
      by_status_.at(static_cast<size_t>(status)) = config_number(m, name);
  }
  float of(float score, uint8_t status) const {
    const double w =
        (status < by_status_.size() ? by_status_[status] : 0.0) + (score > 0 ? scored_ : 0.0);
    return static_cast<float>(w);
  }

 private:
  double scored_;
  std::array<double, 8> by_status_{};
};

// The entries of one system, gathered from the history into the CSR row the
// solver reads (cols ascending, as the history is).
struct Entries {
  std::vector<int32_t> cols;
  std::vector<float> values;
  std::vector<size_t> history_index;
  als::RowEntries row() const {
    return {cols.data(), values.data(), static_cast<int64_t>(cols.size())};
  }
};

Entries entries_of(const UserHistory& h, bool implicit) {
  Entries e;
  for (size_t i = 0; i < h.size(); ++i) {
    const float v = implicit ? h.weight[i] : h.score[i];
    if (v <= 0) continue;
    e.cols.push_back(h.anime[i]);
    e.values.push_back(v);
    e.history_index.push_back(i);
  }
  return e;
}

}  // namespace

enum class Part { kMain, kRanking };

// One row system of a fold-in: the fixed anime side, its options, and (for
// explanations) the user's factorised matrix A.
struct detail::FoldInSystem {
  Part part = Part::kMain;
  als::SideState other;
  Eigen::MatrixXd gram;  // implicit: Y^T Y
  als::AlsOptions opt;
  float mu = 0;
  Entries entries;
  // Filled by factorise(). Optional because a default-constructed Eigen::LDLT
  // has an uninitialised status that moving it (vector growth) would read.
  std::optional<Eigen::LDLT<Eigen::MatrixXd>> a;

  FoldInSystem(const model::Model& m, Part p, const UserHistory& h) : part(p) {
    opt.solver = als::SolverKind::kCholesky;  // the exact minimiser, never a CG approximation
    if (p == Part::kRanking) {
      other.factors = m.ranking->anime_factors;
      opt.feedback = als::Feedback::kImplicit;
      opt.alpha = m.ranking->alpha;
      opt.lambda = m.ranking->lambda;
      opt.lambda_exponent = 1.0;  // the ranking fit always uses ALS-WR (train/trainer.cpp)
    } else {
      other.factors = m.anime_factors;
      opt.feedback = is_implicit(m) ? als::Feedback::kImplicit : als::Feedback::kExplicit;
      opt.lambda = config_number(m, "lambda");
      opt.lambda_exponent = config_number(m, "lambda-exponent");
      opt.lambda_bias = config_number(m, "lambda-bias");
      if (is_implicit(m)) opt.alpha = config_number(m, "alpha");
    }
    opt.factors = static_cast<int>(other.factors.cols());
    const bool implicit = opt.feedback == als::Feedback::kImplicit;
    other.bias = implicit ? std::vector<float>(m.n_anime(), 0.0f) : m.anime_bias;
    mu = implicit ? 0.0f : m.global_mean;
    if (implicit) gram = als::gram_matrix(other.factors);
    entries = entries_of(h, implicit);
  }
  bool implicit() const { return opt.feedback == als::Feedback::kImplicit; }

  // Solves the user's row into factors (and bias, explicit only).
  void solve(Eigen::Ref<Eigen::RowVectorXf> factors, float* bias) const {
    als::RowSolver solver(other, mu, implicit() ? &gram : nullptr, opt);
    als::RowOutcome outcome = solver.solve(entries.row(), factors.data(), bias);
    if (!outcome.finite) throw Error("fold-in: the user's solve gave non-finite factors");
  }

  void factorise() {
    als::RowSolver solver(other, mu, implicit() ? &gram : nullptr, opt);
    als::RowSolver::NormalEquations eq = solver.build_normal_equations(entries.row());
    a.emplace(Eigen::MatrixXd(eq.a.selfadjointView<Eigen::Lower>()));
  }

  // (y_j, 1) for explicit, y_j for implicit: the column of b of anime j.
  Eigen::VectorXd column(int32_t anime) const {
    Eigen::VectorXd v(als::system_size(opt));
    v.head(opt.factors) = other.factors.row(anime).cast<double>().transpose();
    if (!implicit()) v[opt.factors] = 1.0;
    return v;
  }

  // The coefficient of entry e in b: c_uj = 1 + alpha w (alpha w < 0 counts
  // as 0, as in the solver) or r_uj - mu - c_j.
  double coefficient(size_t e) const {
    const double value = entries.values[e];
    if (implicit()) return 1.0 + std::max(0.0, opt.alpha * value);
    return value - mu - other.bias[static_cast<size_t>(entries.cols[e])];
  }
};

UserHistory history_of_ratings(const model::Model& m, std::vector<Rating> ratings) {
  std::sort(ratings.begin(), ratings.end(),
            [](const Rating& a, const Rating& b) { return a.anime < b.anime; });
  const auto weight = static_cast<float>(config_number(m, "weight-scored"));
  UserHistory h;
  for (const Rating& r : ratings) {
    h.anime.push_back(r.anime);
    h.score.push_back(r.score);
    h.weight.push_back(weight);
  }
  return h;
}

UserHistory history_of_rows(const model::Model& m, const UserRows& rows) {
  const ImplicitWeights weights(m);
  UserHistory h;
  for (size_t i = 0; i < rows.anime.size(); ++i) {
    if (rows.split[i] != static_cast<uint8_t>(data::Split::kTrain)) continue;
    const uint8_t status = i < rows.status.size() ? rows.status[i] : 0;
    h.anime.push_back(rows.anime[i]);
    h.score.push_back(rows.score[i]);
    h.weight.push_back(weights.of(rows.score[i], status));
  }
  return h;
}

model::UserVectors fold_in(const model::Model& m, const UserHistory& h) {
  model::UserVectors u;
  u.factors = als::FactorMatrix::Zero(1, m.factors);
  u.bias.assign(1, 0.0f);
  detail::FoldInSystem main(m, Part::kMain, h);
  main.solve(u.factors.row(0), main.implicit() ? nullptr : u.bias.data());
  if (m.ranking) {
    detail::FoldInSystem ranking(m, Part::kRanking, h);
    u.ranking = als::FactorMatrix::Zero(1, m.ranking->factors());
    ranking.solve(u.ranking.row(0), nullptr);
  }
  return u;
}

ScoreExplainer::ScoreExplainer(const model::Model& m, UserHistory h)
    : m_(m), history_(std::move(h)) {
  systems_.emplace_back(m_, Part::kMain, history_);
  if (m_.ranking) systems_.emplace_back(m_, Part::kRanking, history_);
  for (detail::FoldInSystem& s : systems_) s.factorise();
}

ScoreExplainer::~ScoreExplainer() = default;

std::vector<double> ScoreExplainer::shares(int32_t anime) const {
  std::vector<double> out(history_.size(), 0.0);
  for (const detail::FoldInSystem& s : systems_) {
    // The ranking score is p.q_i + blend * (predicted - mu): the main
    // system's terms count with the blend when there is a ranking part.
    const double scale = (m_.ranking && s.part == Part::kMain) ? m_.ranking->blend : 1.0;
    const Eigen::VectorXd v = s.a->solve(s.column(anime));  // A^-1 (y_i, 1)
    for (size_t e = 0; e < s.entries.cols.size(); ++e) {
      out[s.entries.history_index[e]] +=
          scale * s.coefficient(e) * v.dot(s.column(s.entries.cols[e]));
    }
  }
  return out;
}

}  // namespace animerec::serve
