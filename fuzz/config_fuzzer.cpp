// Fuzzes the INI config-file reader (src/config/params.cpp) through
// parse_command(COMMAND, {"--config", FILE, ARGS...}). Input: byte 0 picks the
// command; the bytes up to the first NUL are the config file; the rest are
// extra command-line arguments separated by NUL. ConfigError (any
// animerec::Error) is the expected refusal; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/error.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& commands = animerec::config::command_table();
  const std::string& command = commands[data[0] % commands.size()].name;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t nul = rest.find('\0');
  std::string ini = rest.substr(0, nul);
  std::vector<std::string> args;
  const std::string& path = animerec::fuzz::scratch_path("config.ini");
  args = {"--config", path};
  if (nul != std::string::npos) {
    size_t begin = nul + 1;
    while (begin <= rest.size()) {
      size_t end = rest.find('\0', begin);
      if (end == std::string::npos) end = rest.size();
      args.push_back(rest.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  animerec::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(ini.data()), ini.size());
  try {
    animerec::config::parse_command(command, args);
  } catch (const animerec::Error&) {
    // The expected refusal of a bad file or argument.
  }
  return 0;
}
