#pragma once
// One table of parameters (src/config/param_table.cpp) drives everything a
// user can set: the Boost.Program_options descriptions and --help text of each
// command, the INI config file reader (--config FILE, one [section] per
// command), the checks, and docs/params.md. Values are kept as text and
// checked/converted here, so every error names the key, the value and the rule.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace animerec::config {

enum class ParamType { kInt, kDouble, kString, kBool, kPath };

struct ParamSpec {
  std::string name;  // long option / config key, e.g. "min-user-ratings"
  ParamType type = ParamType::kString;
  std::string default_value;  // as text; empty = no default
  bool required = false;      // must be given (command line or config)
  std::optional<double> min;  // numeric checks, inclusive
  std::optional<double> max;
  bool max_exclusive = false;         // e.g. fractions in [0, 1)
  std::vector<std::string> choices;   // allowed values for strings
  std::string doc;                    // one line
  std::vector<std::string> commands;  // commands that accept it
};

struct CommandSpec {
  std::string name;
  std::string summary;                  // one line for `animerec --help`
  std::vector<std::string> positional;  // parameter names given positionally, in order
};

const std::vector<ParamSpec>& param_table();
const std::vector<CommandSpec>& command_table();

// The command named `name`, or nullptr when there is none.
const CommandSpec* find_command(const std::string& name);
// The parameters `command` accepts, in table order (empty for an unknown command).
std::vector<const ParamSpec*> command_params(const std::string& command);

// The rule a value must satisfy, as shown in docs and errors after "must be"
// (e.g. "an integer >= 1", "one of: error, skip", "a number in [0, 1)").
std::string rule_text(const ParamSpec& spec);

// Effective parameters of one command: command line over config file over defaults.
class Params {
 public:
  Params() = default;
  Params(std::string command, std::map<std::string, std::string> values,
         std::map<std::string, std::string> sources);
  const std::string& command() const { return command_; }
  // These throw ConfigError (exit code kExitInternal) for a name the command
  // does not have: that is a bug in the caller, not a user mistake.
  bool has(const std::string& name) const;  // set or defaulted
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  // "" for an optional parameter that was not given (e.g. prepare --anime).
  const std::string& get_string(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  // name -> value of every parameter that has one, for provenance.
  const std::map<std::string, std::string>& values() const { return values_; }
  // name -> "command line" | "config FILE" | "default".
  const std::map<std::string, std::string>& sources() const { return sources_; }

 private:
  std::string command_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> sources_;
};

struct ParseResult {
  bool help = false;  // --help was given: print command_help(command) and exit 0
  Params params;
};

// Parses the arguments that follow the command name. Throws ConfigError for an
// unknown option or key, a value failing its rule, a missing required
// parameter, or an unreadable config file.
ParseResult parse_command(const std::string& command, const std::vector<std::string>& args);

std::string global_help();                             // `animerec --help`
std::string command_help(const std::string& command);  // `animerec CMD --help`
std::string params_markdown();                         // the content of docs/params.md

}  // namespace animerec::config
