// A binary built with AVX2 and FMA (CMake option ANIMEREC_AVX2, on by default)
// dies of SIGILL on a CPU without them, with no word of why. This file is
// compiled without those flags and checks the CPU before anything else runs:
// its constructor has a priority, so it runs before every ordinary static
// initialiser (which may already use AVX2), and it writes with write(2), as
// not even the standard streams may be set up yet.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {

#ifdef ANIMEREC_REQUIRES_AVX2
__attribute__((constructor(101))) void refuse_a_cpu_without_avx2() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return;
  const char* message =
      "animerec: error: this binary was built with AVX2 and FMA (CMake option ANIMEREC_AVX2, "
      "on by default) and this CPU has not both; rebuild with -DANIMEREC_AVX2=OFF\n";
  [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, message, std::strlen(message));
  _exit(2);
}
#endif

}  // namespace
