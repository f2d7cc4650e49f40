#include "animerec/app/commands.h"

#include <cstdio>

namespace animerec::app {

int run(int, char**) {
  std::fprintf(stderr, "animerec: commands not wired yet\n");
  return 1;
}

}  // namespace animerec::app
