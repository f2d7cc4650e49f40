#pragma once
// Typed errors for everything a user can get wrong. Each carries the full
// message the user should read (naming file, line, parameter and value);
// main() prints it and exits with exit_code(). Internal bugs use assert.

#include <cstdint>
#include <stdexcept>
#include <string>

namespace animerec {

// Exit codes are part of the CLI contract (scripts and SLURM wrappers test them).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,  // a bug or an unexpected system failure
  kExitBadInput = 2,  // bad data, bad parameters, unusable files
  // Stopped by SIGINT, SIGTERM or SIGUSR1 at an iteration boundary (docs/training.md):
  kExitInterrupted = 3,     // the checkpoint is written: resume it with --resume
  kExitStoppedUnsaved = 4,  // no --checkpoint-dir: nothing was saved
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitBadInput)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A parameter (command line or config file) that is unknown or fails its check.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A malformed input record: formats as "FILE:LINE: what (value)".
class InputError : public Error {
 public:
  InputError(const std::string& file, int64_t line, const std::string& what);
  const std::string& file() const { return file_; }
  int64_t line() const { return line_; }
  const std::string& what_wrong() const { return what_; }

 private:
  std::string file_;
  int64_t line_;
  std::string what_;
};

// A file that cannot be opened, read, written, or is not what it claims to be.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace animerec
