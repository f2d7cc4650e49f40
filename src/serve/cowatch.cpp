#include "animerec/serve/cowatch.h"

#include <fmt/format.h>

#include <stdexcept>

namespace animerec::serve {
namespace {

const als::FactorMatrix kNoMap;

}  // namespace

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

CoWatch::CoWatch(const model::Model& m) : ranking_(m.ranking.has_value()) {
  const als::FactorMatrix& users = ranking_ ? m.ranking->user_factors : m.user_factors;
  const als::FactorMatrix& anime = ranking_ ? m.ranking->anime_factors : m.anime_factors;
  content_map_ = ranking_ ? &m.ranking->content_w : m.content ? &m.content->w : &kNoMap;
  // One rank-1 update per user, in user order: the same sums whatever the
  // thread count (a blocked product could split them differently).
  gram_ = Eigen::MatrixXd::Zero(users.cols(), users.cols());
  for (Eigen::Index u = 0; u < users.rows(); ++u) {
    const Eigen::VectorXd p = users.row(u).cast<double>().transpose();
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(p);
  }
  gram_ = Eigen::MatrixXd(gram_.selfadjointView<Eigen::Lower>());
  anime_.reserve(m.n_anime());
  for (size_t a = 0; a < m.n_anime(); ++a) {
    Eigen::VectorXd y = anime.row(static_cast<Eigen::Index>(a)).cast<double>().transpose();
    if (y.isZero(0) && content_map_->rows() > 0)
      y = factors_from_content(*content_map_, model_content_row(m, static_cast<int32_t>(a)));
    anime_.push_back(std::move(y));
  }
}

std::vector<double> CoWatch::scores(const Eigen::VectorXd& q) const {
  const Eigen::VectorXd mq = gram_ * q;
  std::vector<double> s(anime_.size());
  for (size_t j = 0; j < s.size(); ++j) s[j] = anime_[j].dot(mq);
  return s;
}

}  // namespace animerec::serve
