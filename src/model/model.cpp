#include "animerec/model/model.h"

namespace animerec::model {

std::string attribute_name(const std::string& param) {
  std::string out = param;
  for (char& c : out) c = c == '-' ? '_' : c;
  return out;
}

std::array<double, 8> default_status_weights() {
  std::array<double, 8> w{};
  for (const auto& [status, name] : kStatusWeightParams) {
    w.at(static_cast<size_t>(status)) = config::default_double("train", name);
  }
  return w;
}

double implicit_weight(const ImplicitWeights& w, float score, uint8_t status) {
  double v = status < w.by_status.size() ? w.by_status[status] : 0.0;
  if (score > 0) v += w.scored + w.score_slope * (score - w.score_pivot);
  return v;
}

}  // namespace animerec::model
