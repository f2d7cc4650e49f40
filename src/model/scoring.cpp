#include "animerec/model/scoring.h"

#include <stdexcept>

namespace animerec::model {

UserVectors model_users(const Model& m, int32_t first, int32_t count) {
  if (first < 0 || count < 0 || static_cast<size_t>(first) + count > m.n_users()) {
    throw std::out_of_range("model_users: rows outside the model");
  }
  UserVectors u;
  u.factors = m.user_factors.middleRows(first, count);
  u.bias.assign(m.user_bias.begin() + first, m.user_bias.begin() + first + count);
  if (m.ranking) u.ranking = m.ranking->user_factors.middleRows(first, count);
  return u;
}

UserVectors model_users(const Model& m, std::span<const int32_t> rows) {
  UserVectors u;
  const auto n = static_cast<Eigen::Index>(rows.size());
  u.factors.resize(n, m.factors);
  if (m.ranking) u.ranking.resize(n, m.ranking->factors());
  u.bias.reserve(rows.size());
  for (Eigen::Index i = 0; i < n; ++i) {
    const int32_t r = rows[static_cast<size_t>(i)];
    if (r < 0 || static_cast<size_t>(r) >= m.n_users()) {
      throw std::out_of_range("model_users: a row outside the model");
    }
    u.factors.row(i) = m.user_factors.row(r);
    u.bias.push_back(m.user_bias[static_cast<size_t>(r)]);
    if (m.ranking) u.ranking.row(i) = m.ranking->user_factors.row(r);
  }
  return u;
}

ScoreMatrix predicted_scores(const Model& m, const UserVectors& u) {
  ScoreMatrix s = u.factors * m.anime_factors.transpose();
  if (m.feedback == als::Feedback::kImplicit) return s;
  const Eigen::Map<const Eigen::RowVectorXf> anime_bias(m.anime_bias.data(),
                                                        static_cast<Eigen::Index>(m.n_anime()));
  for (Eigen::Index r = 0; r < s.rows(); ++r) {
    s.row(r).array() += anime_bias.array() + (m.global_mean + u.bias[static_cast<size_t>(r)]);
  }
  return s;
}

ScoreMatrix ranking_scores(const Model& m, const UserVectors& u, const ScoreMatrix& predicted) {
  if (!m.ranking) return predicted;
  ScoreMatrix s = u.ranking * m.ranking->anime_factors.transpose();
  const auto blend = static_cast<float>(m.ranking->blend);
  if (!m.ranking->cold_map) {
    s.array() += blend * (predicted.array() - m.global_mean);
    return s;
  }
  Eigen::RowVectorXf per_anime(s.cols());
  for (Eigen::Index a = 0; a < s.cols(); ++a) {
    per_anime[a] = static_cast<float>(ranking_blend_of(m, static_cast<int32_t>(a)));
  }
  s.array() += (predicted.array() - m.global_mean).rowwise() * per_anime.array();
  return s;
}

double ranking_blend_of(const Model& m, int32_t anime) {
  // Cold anime's predicted rating is itself from content; the cold map's own
  // blend says how much of it counts.
  if (m.ranking->cold_map && m.ranking->cold[static_cast<size_t>(anime)])
    return m.ranking->cold_map->blend;
  return m.ranking->blend;
}

UserScores score_user(const Model& m, const UserVectors& u, size_t row) {
  UserVectors one;
  one.factors = u.factors.middleRows(static_cast<Eigen::Index>(row), 1);
  one.bias = {u.bias.at(row)};
  if (m.ranking) one.ranking = u.ranking.middleRows(static_cast<Eigen::Index>(row), 1);
  const ScoreMatrix p = predicted_scores(m, one);
  const ScoreMatrix r = ranking_scores(m, one, p);
  UserScores out;
  out.predicted.assign(p.data(), p.data() + p.size());
  out.ranking.assign(r.data(), r.data() + r.size());
  return out;
}

}  // namespace animerec::model
