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

// What a train parameter means for a model's provenance (checkpoints, reproduce).
enum class ParamScope {
  // Changes the trained model: a --resume must keep the checkpoint's value,
  // and reproduce replays it from the manifest and compares it.
  kShapesModel,
  // Changes the model only through steps still to come (iterations, the
  // ranking part fitted after the main loop): a resumed run may change it;
  // reproduce replays and compares it.
  kAdjustableOnResume,
  // Where files go, what is printed, which resources a run uses: not kept on
  // resume, not replayed nor compared by reproduce.
  kRunLocal,
};

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
  // For train (and cv): whether it shapes the model. Other commands ignore it.
  ParamScope scope = ParamScope::kShapesModel;
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

// The names of `command`'s parameters of the given scope, in table order
// (e.g. the model-shaping parameters of train that a --resume must keep).
std::vector<std::string> params_with_scope(const std::string& command, ParamScope scope);

// The table's default of `command`'s parameter `name`, converted. Option
// structs initialise their fields with these, so each default is written once,
// in the table. Throw ConfigError (kExitInternal) for a parameter the command
// does not have or whose default does not convert: a bug, not a user mistake.
int64_t default_int(const std::string& command, const std::string& name);
double default_double(const std::string& command, const std::string& name);
bool default_bool(const std::string& command, const std::string& name);
const std::string& default_text(const std::string& command, const std::string& name);

// A user's value as error messages echo it: up to 200 characters, longer ones
// cut with "... (N characters)" so a pasted file cannot flood the terminal.
std::string echoed(const std::string& value);

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
