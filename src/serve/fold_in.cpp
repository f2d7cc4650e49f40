#include "animerec/serve/fold_in.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <array>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "animerec/als/solver.h"
#include "animerec/als/sweep.h"
#include "animerec/core/error.h"
#include "animerec/data/dataset.h"

namespace animerec::serve {
namespace {

bool is_implicit(const model::Model& m) { return m.feedback == als::Feedback::kImplicit; }

// The hyperparameters the model was trained with, as it stores them. A model
// without them (hand-made, from before they were stored) cannot fold in: a
// guess would solve a different problem than the one that made its factors.
const model::Hyperparameters& hyperparameters(const model::Model& m) {
  if (!m.hyperparameters) {
    throw IoError(
        "the model stores no training hyperparameters (lambda, alpha, implicit weights) and its "
        "/config does not hold them: train it again to fold in new users");
  }
  return *m.hyperparameters;
}

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
      opt.lambda_exponent = m.ranking->lambda_exponent;
      opt.alpha0 = m.ranking->alpha0;
      opt.ridge_counts_unobserved = m.ranking->ridge_counts_unobserved;
    } else {
      other.factors = m.anime_factors;
      opt.feedback = is_implicit(m) ? als::Feedback::kImplicit : als::Feedback::kExplicit;
      const model::Hyperparameters& hp = hyperparameters(m);
      opt.lambda = hp.lambda;
      opt.lambda_exponent = hp.lambda_exponent;
      opt.lambda_bias = hp.lambda_bias;
      opt.alpha = hp.alpha;
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
  const model::ImplicitWeights& weights = hyperparameters(m).weights;
  UserHistory h;
  for (const Rating& r : ratings) {
    h.anime.push_back(r.anime);
    h.score.push_back(r.score);
    // A new user's rating is a scored row without a status.
    h.weight.push_back(static_cast<float>(
        model::implicit_weight(weights, r.score, static_cast<uint8_t>(data::Status::kUnknown))));
  }
  return h;
}

UserHistory history_of_rows(const model::Model& m, const UserRows& rows) {
  const model::ImplicitWeights& weights = hyperparameters(m).weights;
  UserHistory h;
  for (size_t i = 0; i < rows.anime.size(); ++i) {
    if (rows.split[i] != static_cast<uint8_t>(data::Split::kTrain)) continue;
    const uint8_t status = i < rows.status.size() ? rows.status[i] : 0;
    h.anime.push_back(rows.anime[i]);
    h.score.push_back(rows.score[i]);
    h.weight.push_back(static_cast<float>(model::implicit_weight(weights, rows.score[i], status)));
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
    // system's terms count with the anime's blend when there is a ranking part.
    const double scale =
        (m_.ranking && s.part == Part::kMain) ? model::ranking_blend_of(m_, anime) : 1.0;
    const Eigen::VectorXd v = s.a->solve(s.column(anime));  // A^-1 (y_i, 1)
    for (size_t e = 0; e < s.entries.cols.size(); ++e) {
      out[s.entries.history_index[e]] +=
          scale * s.coefficient(e) * v.dot(s.column(s.entries.cols[e]));
    }
  }
  return out;
}

}  // namespace animerec::serve
