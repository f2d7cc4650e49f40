#include "animerec/serve/cowatch.h"

#include <fmt/format.h>

#include <stdexcept>

namespace animerec::serve {
ContentRow model_content_row(const model::Model& m, int32_t anime) {
  ContentRow x;
  if (!m.content) return x;
  const model::ContentPart& c = *m.content;
  const auto a = static_cast<size_t>(anime);
  for (auto i = static_cast<size_t>(c.offsets[a]); i < static_cast<size_t>(c.offsets[a + 1]); ++i) {
    x.cols.push_back(c.cols[i]);
    x.values.push_back(c.values[i]);
  }
  return x;
}

Eigen::VectorXd factors_from_content(const als::FactorMatrix& w, const ContentRow& x) {
  Eigen::VectorXd y = Eigen::VectorXd::Zero(w.cols());
  if (w.rows() == 0) return y;
  for (size_t i = 0; i < x.cols.size(); ++i) {
    if (x.cols[i] < 0 || x.cols[i] >= w.rows()) {
      throw std::invalid_argument(
          fmt::format("content feature {} outside the map's {} features", x.cols[i], w.rows()));
    }
    y += double{x.values[i]} * w.row(x.cols[i]).cast<double>().transpose();
  }
  return y;
}

Eigen::VectorXd cowatch_factors(const model::Model& m, int32_t anime) {
  const als::FactorMatrix& learnt = m.ranking ? m.ranking->anime_factors : m.anime_factors;
  Eigen::VectorXd y = learnt.row(anime).cast<double>().transpose();
  const als::FactorMatrix* map = m.ranking   ? &m.ranking->content_w
                                 : m.content ? &m.content->w
                                             : nullptr;
  if (y.isZero(0) && map != nullptr && map->rows() > 0)
    y = factors_from_content(*map, model_content_row(m, anime));
  return y;
}

CoWatch::CoWatch(const model::Model& m) : ranking_(m.ranking.has_value()) {
  const als::FactorMatrix& users = ranking_ ? m.ranking->user_factors : m.user_factors;
  // One rank-1 update per user, in user order: the same sums whatever the
  // thread count (a blocked product could split them differently).
  gram_ = Eigen::MatrixXd::Zero(users.cols(), users.cols());
  for (Eigen::Index u = 0; u < users.rows(); ++u) {
    const Eigen::VectorXd p = users.row(u).cast<double>().transpose();
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(p);
  }
  gram_ = Eigen::MatrixXd(gram_.selfadjointView<Eigen::Lower>());
  anime_.reserve(m.n_anime());
  for (size_t a = 0; a < m.n_anime(); ++a)
    anime_.push_back(cowatch_factors(m, static_cast<int32_t>(a)));
}

std::vector<double> CoWatch::scores(const Eigen::VectorXd& q) const {
  const Eigen::VectorXd mq = gram_ * q;
  std::vector<double> s(anime_.size());
  for (size_t j = 0; j < s.size(); ++j) s[j] = anime_[j].dot(mq);
  return s;
}

}  // namespace animerec::serve
