// The machinery behind the parameter table: command line and config file
// parsing (Boost.Program_options), value checks, help texts and docs/params.md.
// Boost does the tokenizing; the checks and every message are ours, so each
// error names the option or key, the value and the rule it breaks.
#include "animerec/config/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "animerec/core/error.h"
#include "animerec/core/input_file.h"

namespace animerec::config {
namespace po = boost::program_options;

namespace {

constexpr const char* kCommonSection = "common";
// Positional tokens beyond the command's own land here instead of making Boost
// throw, so `--bogus 3` is reported as the unknown option it is, not as a
// stray "3".
constexpr const char* kExtraArgs = "__extra-args";
// Help rows whose left column is wider than this put their doc on the next line.
constexpr size_t kHelpColumnCap = 58;

// ---------------------------------------------------------------- text helpers

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : sep) + parts[i];
  return out;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  size_t begin = s.find_first_not_of(ws);
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(ws) - begin + 1);
}

std::string to_upper(std::string s) {
  for (char& c : s)
    c = (c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------- suggestions

// Optimal string alignment distance: Levenshtein plus adjacent transpositions,
// the typos people actually make in option names.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate closest to `word`, or "" when none is close enough to be a
// plausible typo (short words allow fewer edits, or everything would match).
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// "; did you mean PREFIX<name>SUFFIX?" or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates,
                         const std::string& prefix, const std::string& suffix) {
  std::string best = closest(word, candidates);
  return best.empty() ? "" : fmt::format("; did you mean {}{}{}?", prefix, best, suffix);
}

// ---------------------------------------------------------------- table lookups

bool accepts(const ParamSpec& spec, const std::string& command) {
  return std::find(spec.commands.begin(), spec.commands.end(), command) != spec.commands.end();
}

const ParamSpec* find_param(const std::string& command, const std::string& name) {
  for (const auto& spec : param_table()) {
    if (spec.name == name && accepts(spec, command)) return &spec;
  }
  return nullptr;
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& c : command_table()) names.push_back(c.name);
  return names;
}

std::vector<std::string> param_names(const std::string& command) {
  std::vector<std::string> names;
  for (const ParamSpec* spec : command_params(command)) names.push_back(spec->name);
  return names;
}

// Every distinct parameter name of any command: what [common] may hold.
std::vector<std::string> all_param_names() {
  std::vector<std::string> names;
  for (const auto& spec : param_table()) {
    if (std::find(names.begin(), names.end(), spec.name) == names.end()) {
      names.push_back(spec.name);
    }
  }
  return names;
}

const CommandSpec& require_command(const std::string& command) {
  const CommandSpec* spec = find_command(command);
  if (spec == nullptr) {
    throw ConfigError(fmt::format("unknown command '{}' (see animerec --help){}", echoed(command),
                                  did_you_mean(command, command_names(), "'", "'")));
  }
  return *spec;
}

bool is_positional(const CommandSpec& command, const std::string& name) {
  return std::find(command.positional.begin(), command.positional.end(), name) !=
         command.positional.end();
}

// ---------------------------------------------------------------- value checks

// from_chars rejects a leading '+', which people do write ("+5").
const char* skip_plus(const char* first, const char* last) {
  if (last - first >= 2 && first[0] == '+' && first[1] != '-') return first + 1;
  return first;
}

std::optional<int64_t> parse_int(const std::string& text) {
  const char* last = text.data() + text.size();
  const char* first = skip_plus(text.data(), last);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (first == last || ec != std::errc() || end != last) return std::nullopt;
  return value;
}

std::optional<double> parse_double(const std::string& text) {
  const char* last = text.data() + text.size();
  const char* first = skip_plus(text.data(), last);
  double value = 0;
  auto [end, ec] = std::from_chars(first, last, value);
  if (first == last || ec != std::errc() || end != last || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_bool(const std::string& text) {
  std::string lower = to_lower(text);
  if (lower == "true" || lower == "yes" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "0") return false;
  return std::nullopt;
}

bool in_range(const ParamSpec& spec, double value) {
  if (spec.min && value < *spec.min) return false;
  if (spec.max && (spec.max_exclusive ? value >= *spec.max : value > *spec.max)) return false;
  return true;
}

// The value in canonical text (bools as true/false, integers without '+' or
// leading zeros), or nullopt when it breaks the spec's rule.
std::optional<std::string> canonical_value(const ParamSpec& spec, const std::string& text) {
  switch (spec.type) {
    case ParamType::kInt: {
      auto value = parse_int(text);
      if (!value || !in_range(spec, static_cast<double>(*value))) return std::nullopt;
      return std::to_string(*value);
    }
    case ParamType::kDouble: {
      auto value = parse_double(text);
      if (!value || !in_range(spec, *value)) return std::nullopt;
      return text;
    }
    case ParamType::kBool: {
      auto value = parse_bool(text);
      if (!value) return std::nullopt;
      return *value ? "true" : "false";
    }
    case ParamType::kString:
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        return std::nullopt;
      }
      return text;
    case ParamType::kPath:
      if (text.empty()) return std::nullopt;
      return text;
  }
  return std::nullopt;
}

// `where` is "" for the command line and "FILE:LINE: " for a config file.
std::string checked_value(const ParamSpec& spec, const std::string& text,
                          const std::string& where) {
  auto value = canonical_value(spec, text);
  if (!value) {
    throw ConfigError(fmt::format("{}invalid value for --{}: '{}' (must be {})", where, spec.name,
                                  echoed(text), rule_text(spec)));
  }
  return *value;
}

std::string format_number(double value) { return fmt::format("{}", value); }

std::string range_text(const ParamSpec& spec) {
  if (spec.min && spec.max) {
    return fmt::format(" in [{}, {}{}", format_number(*spec.min), format_number(*spec.max),
                       spec.max_exclusive ? ")" : "]");
  }
  if (spec.min) return " >= " + format_number(*spec.min);
  if (spec.max) return (spec.max_exclusive ? " < " : " <= ") + format_number(*spec.max);
  return "";
}

// ---------------------------------------------------------------- command line

po::options_description make_description(const std::string& command) {
  po::options_description desc;
  for (const ParamSpec* spec : command_params(command)) {
    desc.add_options()(spec->name.c_str(), po::value<std::string>(), spec->doc.c_str());
  }
  desc.add_options()("help,h", "print this help")("config", po::value<std::string>(),
                                                  "INI config file");
  desc.add_options()(kExtraArgs, po::value<std::string>(), "");
  return desc;
}

po::positional_options_description make_positional(const CommandSpec& command) {
  po::positional_options_description positional;
  for (const auto& name : command.positional) positional.add(name.c_str(), 1);
  positional.add(kExtraArgs, -1);
  return positional;
}

// Rewrites the two spellings Boost 1.74 gets wrong before it sees them:
// - a bare bool switch becomes `--NAME=true`: with an implicit value Boost would
//   let `--overwrite data.h5` swallow data.h5 as the switch's value;
// - `--NAME=` becomes `--NAME ""`: Boost rejects an empty adjacent value with a
//   message about syntax, where ours should say what the value must be.
std::vector<std::string> normalize_args(const std::string& command,
                                        const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool options_ended = false;
  for (const auto& arg : args) {
    if (arg == "--") options_ended = true;
    bool is_long = !options_ended && arg.size() > 2 && arg.rfind("--", 0) == 0;
    bool empty_value = is_long && arg.back() == '=';
    std::string name = is_long ? arg.substr(2, arg.size() - 2 - (empty_value ? 1 : 0)) : "";
    const ParamSpec* spec = is_long ? find_param(command, name) : nullptr;
    if (spec != nullptr && empty_value) {
      out.insert(out.end(), {"--" + name, ""});
    } else if (spec != nullptr && spec->type == ParamType::kBool) {
      out.push_back(arg + "=true");
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

po::parsed_options run_boost(const CommandSpec& command, const std::vector<std::string>& args) {
  po::options_description desc = make_description(command.name);
  po::positional_options_description positional = make_positional(command);
  // No guessing: `--min-user` must not silently mean `--min-user-ratings`, or
  // adding a parameter later could change what an old command line means.
  int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  try {
    return po::command_line_parser(normalize_args(command.name, args))
        .options(desc)
        .positional(positional)
        .style(style)
        .allow_unregistered()
        .run();
  } catch (const po::error& e) {
    throw ConfigError(fmt::format("{} (see animerec {} --help)", e.what(), command.name));
  }
}

// How the user spelled an unknown option: "--foo" or "-x".
std::string option_as_written(const po::option& option) {
  const std::string& token =
      option.original_tokens.empty() ? option.string_key : option.original_tokens.front();
  return token.rfind("--", 0) == 0 ? "--" + option.string_key : option.string_key;
}

std::string unknown_option_message(const std::string& command, const std::string& written) {
  std::string message = fmt::format("unknown option {} for 'animerec {}' (see animerec {} --help)",
                                    echoed(written), command, command);
  if (written.rfind("--", 0) != 0) return message;
  std::vector<std::string> candidates = param_names(command);
  candidates.insert(candidates.end(), {"help", "config"});
  std::string hint = did_you_mean(written.substr(2), candidates, "--", "");
  if (hint.empty()) {
    // A parameter of a sibling command is a likelier mistake than a typo.
    std::vector<std::string> owners;
    for (const auto& spec : param_table()) {
      if (spec.name == written.substr(2)) {
        owners.insert(owners.end(), spec.commands.begin(), spec.commands.end());
      }
    }
    if (!owners.empty()) hint = fmt::format("; {} belongs to: {}", written, join(owners, ", "));
  }
  return message + hint;
}

struct CommandLine {
  bool help = false;
  std::optional<std::string> config;
  std::map<std::string, std::string> values;
  std::string error;  // the first problem; raised only if --help was not given
};

void note_error(CommandLine& line, std::string message) {
  if (line.error.empty()) line.error = std::move(message);
}

// Records one parameter value, refusing a second one: silently taking the last
// of two `--seed`s hides a mistake in a long script.
void store_value(CommandLine& line, const std::string& command, const std::string& name,
                 const std::string& value) {
  bool fresh = name == "config" ? !line.config.has_value() : !line.values.count(name);
  if (!fresh) {
    note_error(line, fmt::format("--{} given more than once for 'animerec {}'", name, command));
  } else if (name == "config") {
    line.config = value;
  } else {
    line.values[name] = value;
  }
}

CommandLine collect(const std::string& command, const po::parsed_options& parsed) {
  CommandLine line;
  for (const po::option& option : parsed.options) {
    std::string value = option.value.empty() ? "" : option.value.front();
    if (option.unregistered) {
      note_error(line, unknown_option_message(command, option_as_written(option)));
    } else if (option.string_key == "help") {
      line.help = true;
    } else if (option.string_key == kExtraArgs) {
      note_error(line, fmt::format("unexpected argument '{}' for 'animerec {}' (see animerec {} "
                                   "--help)",
                                   echoed(value), command, command));
    } else {
      store_value(line, command, option.string_key, value);
    }
  }
  return line;
}

// ---------------------------------------------------------------- config file

struct ConfigValue {
  std::string value;
  std::string where;  // "FILE:LINE: ", the prefix of any error about it
};

// One `key = value` line as Boost will report it: the key with its section
// prefix ("prepare.seed"), and where it is.
struct ConfigLine {
  std::string full_key;
  int line = 0;
};

std::string location(const std::string& file, int line) {
  return line > 0 ? fmt::format("{}:{}", file, line) : file;
}

std::string read_text(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::error_code ec;
  // A directory opens fine on Linux and only fails on the first read.
  if (!in || std::filesystem::is_directory(file, ec)) {
    throw ConfigError(fmt::format("cannot read config file {}", file));
  }
  // Bounded, so a device such as /dev/zero is refused instead of read forever.
  constexpr uint64_t kMaxConfigBytes = uint64_t{1} << 20;
  std::string text = read_bounded_text(file, kMaxConfigBytes, "config file");
  // Windows editors (Notepad) start UTF-8 files with a byte order mark; it is
  // no part of the first line, which would otherwise be an unknown key.
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (std::string_view(text).substr(0, kUtf8Bom.size()) == kUtf8Bom) text.erase(0, kUtf8Bom.size());
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line without its comment: Boost strips `#` anywhere but knows nothing of
// the INI `;` comment lines, which we blank out before it sees them.
std::string without_comment(const std::string& line) {
  std::string s = trim(line.substr(0, line.find('#')));
  return (!s.empty() && s.front() == ';') ? "" : s;
}

bool is_section_header(const std::string& s) {
  return s.size() >= 2 && s.front() == '[' && s.back() == ']';
}

// Mirrors Boost's own reading of the file (it gives no line numbers), and
// rejects what it would choke on with a message that has one.
std::vector<ConfigLine> scan_config(const std::string& file,
                                    const std::vector<std::string>& lines) {
  std::vector<ConfigLine> keys;
  std::string prefix;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string s = without_comment(lines[i]);
    int number = static_cast<int>(i) + 1;
    if (s.empty()) continue;
    if (is_section_header(s)) {
      std::string section = s.substr(1, s.size() - 2);
      if (trim(section).empty()) {
        throw ConfigError(fmt::format("{}: empty section name", location(file, number)));
      }
      prefix = section.back() == '.' ? section : section + ".";
    } else if (s.find('=') != std::string::npos) {
      keys.push_back({prefix + trim(s.substr(0, s.find('='))), number});
    } else {
      throw ConfigError(fmt::format("{}: invalid line '{}' (expected [section] or key = value)",
                                    location(file, number), echoed(s)));
    }
  }
  return keys;
}

std::vector<po::option> parse_ini(const std::string& file, const std::vector<std::string>& lines) {
  std::string cleaned;
  for (const auto& line : lines) cleaned += without_comment(line) + "\n";
  std::istringstream in(cleaned);
  po::options_description none;  // every key comes back unregistered; we check them
  try {
    return po::parse_config_file(in, none, /*allow_unregistered=*/true).options;
  } catch (const po::error& e) {
    throw ConfigError(fmt::format("{}: {}", file, e.what()));
  }
}

bool is_section(const std::string& name) {
  return name == kCommonSection || find_command(name) != nullptr;
}

// "prepare.seed" -> {"prepare", "seed"}; a known section wins so that a
// section name is never cut in the wrong place. No dot: {"", key}.
std::pair<std::string, std::string> split_key(const std::string& full_key) {
  std::vector<std::string> sections = command_names();
  sections.push_back(kCommonSection);
  for (const auto& section : sections) {
    if (full_key.rfind(section + ".", 0) == 0) {
      return {section, full_key.substr(section.size() + 1)};
    }
  }
  size_t dot = full_key.rfind('.');
  if (dot == std::string::npos) return {"", full_key};
  return {full_key.substr(0, dot), full_key.substr(dot + 1)};
}

bool section_accepts(const std::string& section, const std::string& key) {
  if (section != kCommonSection) return find_param(section, key) != nullptr;
  std::vector<std::string> names = all_param_names();
  return std::find(names.begin(), names.end(), key) != names.end();
}

int section_line(const std::vector<std::string>& lines, const std::string& section) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (without_comment(lines[i]) == "[" + section + "]") return static_cast<int>(i) + 1;
  }
  return 0;
}

// Throws unless the key belongs to a known section that accepts it.
void check_config_key(const std::string& file, const std::vector<std::string>& lines,
                      const std::string& section, const std::string& key, int line) {
  std::string where = location(file, line);
  if (section.empty()) {
    throw ConfigError(
        fmt::format("{}: key '{}' is outside any section (put it under [{}] or "
                    "[COMMAND])",
                    where, echoed(key), kCommonSection));
  }
  if (!is_section(section)) {
    std::vector<std::string> sections = command_names();
    sections.push_back(kCommonSection);
    int header = section_line(lines, section);
    throw ConfigError(fmt::format("{}: unknown section [{}]{}",
                                  location(file, header > 0 ? header : line), echoed(section),
                                  did_you_mean(section, sections, "[", "]")));
  }
  if (!section_accepts(section, key)) {
    std::vector<std::string> names =
        section == kCommonSection ? all_param_names() : param_names(section);
    throw ConfigError(fmt::format("{}: unknown key '{}' in section [{}]{}", where, echoed(key),
                                  section, did_you_mean(key, names, "'", "'")));
  }
}

// The section a command also reads, below its own: cv cross-validates the
// configuration a [train] section describes, so one file serves both.
const char* fallback_section(const std::string& command) {
  return command == "cv" ? "train" : nullptr;
}

// Reads the whole file, checks every key of every section, and returns the
// values that apply to `command`: its own section over its fallback section
// (fallback_section) over [common].
std::map<std::string, ConfigValue> read_config(const std::string& file,
                                               const std::string& command) {
  std::vector<std::string> lines = split_lines(read_text(file));
  std::vector<ConfigLine> scanned = scan_config(file, lines);
  std::vector<po::option> options = parse_ini(file, lines);
  std::map<std::string, ConfigValue> own, fallback, common;
  const char* fallback_name = fallback_section(command);
  std::set<std::string> seen;
  for (size_t i = 0; i < options.size(); ++i) {
    const po::option& option = options[i];
    int line = i < scanned.size() && scanned[i].full_key == option.string_key ? scanned[i].line : 0;
    auto [section, key] = split_key(option.string_key);
    check_config_key(file, lines, section, key, line);
    std::string where = location(file, line) + ": ";
    if (!seen.insert(section + "." + key).second) {
      throw ConfigError(fmt::format("{}key '{}' given twice in section [{}]", where, key, section));
    }
    std::string value = option.value.empty() ? "" : option.value.front();
    if (section == command) own[key] = {value, where};
    if (section == kCommonSection && find_param(command, key)) common[key] = {value, where};
    if (fallback_name != nullptr && section == fallback_name && find_param(command, key)) {
      fallback[key] = {value, where};
    }
  }
  own.merge(fallback);  // merge keeps own's entry where both have the key
  own.merge(common);
  return own;
}

// ---------------------------------------------------------------- help texts

std::string metavar(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
      return " N";
    case ParamType::kDouble:
      return " X";
    case ParamType::kPath:
      return " PATH";
    case ParamType::kBool:
      return "[=BOOL]";
    case ParamType::kString:
      return spec.choices.empty() ? " TEXT" : " CHOICE";
  }
  return "";
}

// Paths, free text and switches say all there is to say with their metavar.
bool rule_worth_showing(const ParamSpec& spec) {
  return spec.type == ParamType::kInt || spec.type == ParamType::kDouble || !spec.choices.empty();
}

std::string default_text(const ParamSpec& spec) {
  if (!spec.default_value.empty()) return "default " + spec.default_value;
  return spec.required ? "required" : "optional";
}

std::string help_left_column(const CommandSpec& command, const ParamSpec& spec) {
  std::string left = is_positional(command, spec.name) ? to_upper(spec.name) + ", " : "";
  left += "--" + spec.name + metavar(spec) + " (" + default_text(spec);
  if (rule_worth_showing(spec)) left += ", " + rule_text(spec);
  return left + ")";
}

std::string usage_line(const CommandSpec& command) {
  std::string usage = "animerec " + command.name;
  for (const auto& name : command.positional) {
    const ParamSpec* spec = find_param(command.name, name);
    usage += spec != nullptr && spec->required ? " " + to_upper(name) : " [" + to_upper(name) + "]";
  }
  for (const ParamSpec* spec : command_params(command.name)) {
    if (spec->required && !is_positional(command, spec->name)) {
      usage += " --" + spec->name + metavar(*spec);
    }
  }
  return usage + " [options]";
}

// Two columns; the docs line up unless a left column is too wide, which then
// gets its doc on the next line rather than pushing every row to the right.
std::string format_rows(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [left, doc] : rows) {
    if (left.size() <= kHelpColumnCap) width = std::max(width, left.size());
  }
  std::string out;
  for (const auto& [left, doc] : rows) {
    if (left.size() > width) {
      out += fmt::format("  {}\n  {:{}}  {}\n", left, "", width, doc);
    } else {
      out += fmt::format("  {:{}}  {}\n", left, width, doc);
    }
  }
  return out;
}

// ---------------------------------------------------------------- markdown

std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string type_name(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
      return "integer";
    case ParamType::kDouble:
      return "number";
    case ParamType::kBool:
      return "bool";
    case ParamType::kPath:
      return "path";
    case ParamType::kString:
      return spec.choices.empty() ? "text" : "choice";
  }
  return "";
}

std::string md_config_section() {
  return R"(## Setting parameters

Each parameter can be given on the command line (`--name value` or `--name=value`)
or in an INI config file passed with `--config FILE`:

```ini
# settings shared by every command that accepts them
[common]
seed = 7
quiet = true

[prepare]
ratings = data/rating.csv
out = data/dataset.h5
; comment lines start with ; or #
min-user-ratings = 5
```

- The file has one `[command]` section per command (`[prepare]`, `[synth]`, ...) and
  an optional `[common]` section whose keys apply to every command that accepts them.
  One file can configure a whole pipeline: a command reads its own section and
  `[common]`; the keys of other commands' sections are checked but not applied, except
  that `cv` also reads `[train]` (it cross-validates that training configuration).
- Precedence: command line, then the command's own section, then (for `cv`) `[train]`,
  then `[common]`, then the default.
- `#` starts a comment anywhere on a line, `;` at the start of a line. Values are
  used as written (paths are relative to the working directory) and cannot contain `#`.
- Switches (type bool) are given as `--quiet` or `--quiet=false` on the command line
  and as `quiet = true|false|yes|no|1|0` in a file.
- An unknown section or key, a value that breaks its rule, or a parameter given twice
  is an error naming the file, the line and the key.
)";
}

std::string md_parameter_name(const CommandSpec& command, const ParamSpec& spec) {
  std::string name = "`--" + spec.name + "`";
  return is_positional(command, spec.name) ? "`" + to_upper(spec.name) + "` or " + name : name;
}

// Commands whose parameters shape a model: their tables say which do.
bool trains_a_model(const CommandSpec& command) {
  return command.name == "train" || command.name == "cv";
}

std::string scope_text(ParamScope scope) {
  switch (scope) {
    case ParamScope::kShapesModel:
      return "yes";
    case ParamScope::kAdjustableOnResume:
      return "yes (may change on --resume)";
    case ParamScope::kRunLocal:
      return "no";
  }
  return "";
}

std::string md_scope_note() {
  return "The model column says whether a parameter shapes the trained model: a `--resume` "
         "must keep the checkpoint's value (except where noted), and `reproduce` replays and "
         "compares it. Run-local parameters (no) are neither kept nor replayed.\n\n";
}

std::string md_command(const CommandSpec& command) {
  std::string out = fmt::format("## animerec {}\n\n{}.\n\nUsage: `{}`\n\n", command.name,
                                command.summary, usage_line(command));
  std::vector<const ParamSpec*> params = command_params(command.name);
  if (params.empty()) return out + "No parameters.\n";
  const bool model = trains_a_model(command);
  if (model) out += md_scope_note();
  out +=
      model ? "| parameter | type | default | rule | model | meaning |\n|---|---|---|---|---|---|\n"
            : "| parameter | type | default | rule | meaning |\n|---|---|---|---|---|\n";
  for (const ParamSpec* spec : params) {
    std::string def = spec->default_value.empty() ? (spec->required ? "required" : "none")
                                                  : "`" + spec->default_value + "`";
    std::string scope = model ? " " + scope_text(spec->scope) + " |" : "";
    out += fmt::format("| {} | {} | {} | {} |{} {} |\n", md_parameter_name(command, *spec),
                       type_name(*spec), def, md_cell(rule_text(*spec)), scope, md_cell(spec->doc));
  }
  return out;
}

// ---------------------------------------------------------------- params

std::string resolve(const ParamSpec& spec, const CommandLine& line,
                    const std::map<std::string, ConfigValue>& config,
                    const std::string& config_source, std::string& source) {
  if (auto it = line.values.find(spec.name); it != line.values.end()) {
    source = "command line";
    return checked_value(spec, it->second, "");
  }
  if (auto it = config.find(spec.name); it != config.end()) {
    source = config_source;
    return checked_value(spec, it->second.value, it->second.where);
  }
  source = "default";
  return spec.default_value;
}

// ---------------------------------------------------------------- getters

// Asking for a parameter the command does not have is a bug in the caller.
void require_known(const std::string& command, const std::map<std::string, std::string>& values,
                   const std::string& name) {
  bool known = find_command(command) != nullptr ? find_param(command, name) != nullptr
                                                : values.count(name) > 0;
  if (!known) {
    throw ConfigError(
        fmt::format("internal error: 'animerec {}' has no parameter --{}", command, name),
        kExitInternal);
  }
}

// The text of a parameter that must have a value (all numbers and switches have
// defaults, so a missing one is a caller bug too).
const std::string& value_of(const std::string& command,
                            const std::map<std::string, std::string>& values,
                            const std::string& name) {
  require_known(command, values, name);
  auto it = values.find(name);
  if (it == values.end()) {
    throw ConfigError(
        fmt::format("internal error: --{} of 'animerec {}' has no value", name, command),
        kExitInternal);
  }
  return it->second;
}

[[noreturn]] void bad_conversion(const std::string& command, const std::string& name,
                                 const std::string& value, const char* wanted) {
  throw ConfigError(fmt::format("internal error: --{} of 'animerec {}' is not {}: '{}'", name,
                                command, wanted, echoed(value)),
                    kExitInternal);
}

}  // namespace

// ---------------------------------------------------------------- public API

const CommandSpec* find_command(const std::string& name) {
  for (const auto& command : command_table()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::vector<const ParamSpec*> command_params(const std::string& command) {
  std::vector<const ParamSpec*> params;
  for (const auto& spec : param_table()) {
    if (accepts(spec, command)) params.push_back(&spec);
  }
  return params;
}

std::vector<std::string> params_with_scope(const std::string& command, ParamScope scope) {
  std::vector<std::string> names;
  for (const ParamSpec* spec : command_params(command)) {
    if (spec->scope == scope) names.push_back(spec->name);
  }
  return names;
}

namespace {

// The default text of a parameter that must have one.
const std::string& table_default(const std::string& command, const std::string& name) {
  const ParamSpec* spec = find_param(command, name);
  if (spec == nullptr) {
    throw ConfigError(
        fmt::format("internal error: 'animerec {}' has no parameter --{}", command, name),
        kExitInternal);
  }
  return spec->default_value;
}

}  // namespace

int64_t default_int(const std::string& command, const std::string& name) {
  const std::string& text = table_default(command, name);
  auto value = parse_int(text);
  if (!value) bad_conversion(command, name, text, "an integer");
  return *value;
}

double default_double(const std::string& command, const std::string& name) {
  const std::string& text = table_default(command, name);
  auto value = parse_double(text);
  if (!value) bad_conversion(command, name, text, "a number");
  return *value;
}

bool default_bool(const std::string& command, const std::string& name) {
  const std::string& text = table_default(command, name);
  auto value = parse_bool(text);
  if (!value) bad_conversion(command, name, text, "true or false");
  return *value;
}

const std::string& default_text(const std::string& command, const std::string& name) {
  return table_default(command, name);
}

std::string echoed(const std::string& value) {
  constexpr size_t kMaxEcho = 200;
  if (value.size() <= kMaxEcho) return value;
  size_t cut = kMaxEcho;  // not inside a UTF-8 sequence
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}... ({} characters)", value.substr(0, cut), value.size());
}

std::string rule_text(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::kInt:
      return "an integer" + range_text(spec);
    case ParamType::kDouble:
      return "a number" + range_text(spec);
    case ParamType::kBool:
      return "true or false";
    case ParamType::kPath:
      return "a path";
    case ParamType::kString:
      return spec.choices.empty() ? "any text" : "one of: " + join(spec.choices, ", ");
  }
  return "";
}

Params::Params(std::string command, std::map<std::string, std::string> values,
               std::map<std::string, std::string> sources)
    : command_(std::move(command)), values_(std::move(values)), sources_(std::move(sources)) {}

bool Params::has(const std::string& name) const {
  require_known(command_, values_, name);
  return values_.count(name) > 0;
}

int64_t Params::get_int(const std::string& name) const {
  const std::string& text = value_of(command_, values_, name);
  auto value = parse_int(text);
  if (!value) bad_conversion(command_, name, text, "an integer");
  return *value;
}

double Params::get_double(const std::string& name) const {
  const std::string& text = value_of(command_, values_, name);
  auto value = parse_double(text);
  if (!value) bad_conversion(command_, name, text, "a number");
  return *value;
}

// An optional parameter without a value reads as "" (e.g. no --anime file).
const std::string& Params::get_string(const std::string& name) const {
  static const std::string kEmpty;
  require_known(command_, values_, name);
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

bool Params::get_bool(const std::string& name) const {
  const std::string& text = value_of(command_, values_, name);
  auto value = parse_bool(text);
  if (!value) bad_conversion(command_, name, text, "true or false");
  return *value;
}

ParseResult parse_command(const std::string& command, const std::vector<std::string>& args) {
  const CommandSpec& spec = require_command(command);
  CommandLine line = collect(command, run_boost(spec, args));
  ParseResult result;
  if (line.help) {
    result.help = true;
    result.params = Params(command, {}, {});
    return result;
  }
  if (!line.error.empty()) throw ConfigError(line.error);

  std::map<std::string, ConfigValue> config;
  if (line.config) config = read_config(*line.config, command);
  std::string config_source = line.config ? "config " + *line.config : "";

  std::map<std::string, std::string> values, sources;
  for (const ParamSpec* param : command_params(command)) {
    std::string source;
    std::string value = resolve(*param, line, config, config_source, source);
    if (!value.empty() || source != "default") {
      values[param->name] = value;
      sources[param->name] = source;
    } else if (param->required) {
      throw ConfigError(
          fmt::format("missing required parameter --{} for 'animerec {}'", param->name, command));
    }
  }
  result.params = Params(command, std::move(values), std::move(sources));
  return result;
}

std::string global_help() {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& command : command_table()) rows.emplace_back(command.name, command.summary);
  return "usage: animerec COMMAND [options]\n\n"
         "A hybrid anime recommender.\n\n"
         "commands:\n" +
         format_rows(rows) +
         "\nEvery command takes --config FILE: an INI file with one [COMMAND] section per\n"
         "command and a [common] section; the command line overrides it.\n"
         "Run 'animerec COMMAND --help' for the parameters of a command.\n";
}

std::string command_help(const std::string& command) {
  const CommandSpec& spec = require_command(command);
  std::vector<std::pair<std::string, std::string>> rows;
  for (const ParamSpec* param : command_params(command)) {
    rows.emplace_back(help_left_column(spec, *param), param->doc);
  }
  rows.emplace_back("--config FILE",
                    fmt::format("read parameters from an INI file ([{}] and [common] sections); "
                                "the command line overrides it",
                                command));
  rows.emplace_back("-h, --help", "print this help and exit");
  return fmt::format("usage: {}\n\n{}\n\noptions:\n{}", usage_line(spec), spec.summary,
                     format_rows(rows));
}

std::string params_markdown() {
  std::string out =
      "# animerec parameters\n\n"
      "This file is generated by `animerec params-doc` from the parameter table in\n"
      "`src/config/param_table.cpp`. Do not edit it by hand: change the table and run\n"
      "`scripts/update-params-doc.sh`.\n\n";
  out += md_config_section();
  for (const auto& command : command_table()) {
    // Two appends, not "\n" + temporary: GCC 12 warns (-Wrestrict) on that form.
    out += '\n';
    out += md_command(command);
  }
  return out;
}

}  // namespace animerec::config
