#include "animerec/data/dataset.h"

namespace animerec::data {
}  // namespace animerec::data
