#include "animerec/eval/gram_baselines.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "animerec/core/error.h"
#include "animerec/core/resources.h"

namespace animerec::eval {
namespace {

MemoryLimit limit_of(uint64_t bytes, int ranks) {
  return bytes > 0 ? MemoryLimit{bytes, "--memory-limit " + format_bytes(bytes)}
                   : detect_memory_limit(ranks);
}

// Refuses on every rank when rank 0 finds that `need` bytes do not fit, so
// no rank starts an allocation the others skip.
void check_fits(uint64_t need, const std::string& what, const GramBaselineSettings& s,
                dist::Comm& comm) {
  const MemoryLimit limit = limit_of(s.memory_limit, comm.size());
  const int refuse = comm.allreduce_max(comm.rank() == 0 && need > limit.bytes ? 1 : 0);
  if (refuse == 0) return;
  throw Error(fmt::format(
      "evaluate: {} need about {} per rank but only {} is available ({}); skip them "
      "(--ease-lambda off, --item-knn off), run on a larger node, or set --memory-limit if the "
      "detected limit is wrong",
      what, format_bytes(need), format_bytes(limit.bytes), limit.source));
}

}  // namespace

double parse_ease_lambda(const std::string& text) {
  if (text == "auto") return 0;
  if (text == "off") return -1;
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) ||
      v <= 0) {
    throw ConfigError(fmt::format(
        "invalid value for --ease-lambda: '{}' (must be auto, off or a number > 0)", text));
  }
  return v;
}

GramBaselines::GramBaselines(const data::Dataset& d, const GramBaselineSettings& s,
                             dist::Comm& comm) {
  const bool ease = s.ease_lambda >= 0;
  if (!s.item_knn && !ease) return;
  const auto n = static_cast<int64_t>(d.n_anime());
  check_fits(gram_bytes(n), fmt::format("the co-occurrence matrix of {} anime (4 n^2 bytes)", n), s,
             comm);
  gram_.emplace(training_gram(d, comm));
  if (s.item_knn) {
    knn_.emplace(*gram_);
    methods_.emplace_back("item_knn");
  }
  if (ease) {
    const int64_t items = ease_items(*gram_);
    const bool grid = s.ease_lambda == 0;
    check_fits(gram_bytes(n) + ease_bytes(items, grid),
               fmt::format("the co-occurrence matrix of {} anime and EASE's dense solve over the "
                           "{} with training rows (8 n^2 bytes x {})",
                           n, items, grid ? 3 : 2),
               s, comm);
    ease_.emplace(choose_ease(d, *gram_, s.ease_lambda, s.relevance, s.explicit_feedback, comm));
    methods_.emplace_back("ease");
  }
}

std::vector<double> GramBaselines::scores(const std::string& method,
                                          const std::vector<int32_t>& train_anime) const {
  if (method == "item_knn") return knn_->scores(train_anime);
  return ease_->model.scores(train_anime);
}

nlohmann::json GramBaselines::report() const {
  if (!ease_) return nlohmann::json::object();
  nlohmann::json e = {{"lambda", ease_->model.lambda},
                      {"chosen_on", ease_->chosen_on},
                      {"n_anime", ease_->model.items.size()}};
  if (!ease_->grid.empty()) {
    e["grid"] = ease_->grid;
    e["validation_ndcg10"] = ease_->grid_ndcg10;
  }
  return {{"ease", e}};
}

}  // namespace animerec::eval
