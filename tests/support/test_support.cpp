#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace animerec::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "animerec-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_animerec(const std::string& args, std::string* output) {
  std::string cmd = std::string(ANIMEREC_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf{};
  std::string out;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const std::string& h5py_python() {
  static const std::string python = [] {
    for (const char* candidate : {"python3", "/usr/bin/python3"}) {
      std::string probe = std::string(candidate) + " -c 'import h5py' >/dev/null 2>&1";
      if (std::system(probe.c_str()) == 0) return std::string(candidate);
    }
    return std::string();
  }();
  return python;
}

int run_python(const TempDir& dir, const std::string& body, const std::string& path) {
  std::string script = dir.file("script.py");
  write_file(script, "import sys\nimport h5py\nimport numpy as np\n" + body + "\n");
  int status = std::system((h5py_python() + " '" + script + "' '" + path + "'").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string shared_data_dir() {
  auto dir = std::filesystem::path(ANIMEREC_SOURCE_DIR) / ".." / "shared" / "data";
  return std::filesystem::exists(dir) ? std::filesystem::canonical(dir).string() : std::string();
}

}  // namespace animerec::testing
