#include "animerec/core/error.h"

#include <fmt/format.h>

namespace animerec {

InputError::InputError(const std::string& file, int64_t line, const std::string& what)
    : Error(line > 0 ? fmt::format("{}:{}: {}", file, line, what)
                     : fmt::format("{}: {}", file, what)),
      file_(file),
      line_(line),
      what_(what) {}

}  // namespace animerec
