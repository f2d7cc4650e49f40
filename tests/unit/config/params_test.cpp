// The parameter machinery: precedence, every user-facing error message, help
// texts, and that docs/params.md is what the table generates.
#include "animerec/config/params.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec::config {
namespace {

using animerec::testing::TempDir;
using animerec::testing::write_file;

const std::vector<std::string> kPrepareRequired = {"--ratings", "r.csv", "--out", "d.h5"};

std::vector<std::string> prepare_args(std::vector<std::string> extra) {
  std::vector<std::string> args = kPrepareRequired;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

Params parse(const std::string& command, const std::vector<std::string>& args) {
  return parse_command(command, args).params;
}

// The message of the ConfigError that parsing throws, or "" if none is thrown.
std::string error_of(const std::string& command, const std::vector<std::string>& args) {
  try {
    parse_command(command, args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------- values

TEST(ParamsParse, DefaultsApplied) {
  Params p = parse("prepare", kPrepareRequired);
  EXPECT_EQ(p.command(), "prepare");
  EXPECT_EQ(p.get_string("ratings"), "r.csv");
  EXPECT_EQ(p.get_int("seed"), 42);
  EXPECT_DOUBLE_EQ(p.get_double("test-fraction"), 0.2);
  EXPECT_DOUBLE_EQ(p.get_double("validation-fraction"), 0.0);
  EXPECT_EQ(p.get_int("min-ratings-to-split"), 5);
  EXPECT_EQ(p.get_string("ratings-format"), "auto");
  EXPECT_EQ(p.get_string("on-bad-row"), "error");
  EXPECT_FALSE(p.get_bool("quiet"));
  EXPECT_FALSE(p.get_bool("overwrite"));
  EXPECT_EQ(p.sources().at("seed"), "default");
  EXPECT_EQ(p.sources().at("ratings"), "command line");
}

TEST(ParamsParse, OptionalPathWithoutValue) {
  Params p = parse("prepare", kPrepareRequired);
  EXPECT_FALSE(p.has("anime"));
  EXPECT_EQ(p.get_string("anime"), "");
  EXPECT_EQ(p.values().count("anime"), 0u);
}

TEST(ParamsParse, SynthDefaults) {
  Params p = parse("synth", {"--out", "dir"});
  EXPECT_EQ(p.get_int("users"), 2000);
  EXPECT_EQ(p.get_int("anime"), 500);
  EXPECT_EQ(p.get_int("ratings"), 100000);
  EXPECT_EQ(p.get_int("factors"), 8);
  EXPECT_DOUBLE_EQ(p.get_double("noise"), 0.8);
  EXPECT_EQ(p.get_string("layout"), "mal2023");
}

TEST(ParamsParse, EqualsAndSeparateValueForms) {
  Params p = parse("prepare", prepare_args({"--seed=7", "--min-user-ratings", "3"}));
  EXPECT_EQ(p.get_int("seed"), 7);
  EXPECT_EQ(p.get_int("min-user-ratings"), 3);
}

TEST(ParamsParse, IntegersAreCanonical) {
  Params p = parse("prepare", prepare_args({"--seed=+007"}));
  EXPECT_EQ(p.values().at("seed"), "7");
}

TEST(ParamsParse, BoolForms) {
  struct Case {
    std::vector<std::string> args;
    bool expected;
  };
  std::vector<Case> cases = {
      {{"--quiet"}, true},     {{"--quiet=true"}, true}, {{"--quiet=false"}, false},
      {{"--quiet=1"}, true},   {{"--quiet=0"}, false},   {{"--quiet=yes"}, true},
      {{"--quiet=no"}, false}, {{"--quiet=YES"}, true},  {{}, false},
  };
  for (const auto& c : cases) {
    Params p = parse("prepare", prepare_args(c.args));
    EXPECT_EQ(p.get_bool("quiet"), c.expected) << (c.args.empty() ? "(none)" : c.args[0]);
  }
}

TEST(ParamsParse, BoolSwitchDoesNotSwallowNextArgument) {
  Params p = parse("export", {"--overwrite", "--dataset", "d.h5", "--out", "t.csv"});
  EXPECT_TRUE(p.get_bool("overwrite"));
  EXPECT_EQ(p.get_string("dataset"), "d.h5");
}

TEST(ParamsParse, BadBool) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--quiet=maybe"})),
            "invalid value for --quiet: 'maybe' (must be true or false)");
}

TEST(ParamsParse, Positional) {
  Params p = parse("info", {"data/d.h5"});
  EXPECT_EQ(p.get_string("dataset"), "data/d.h5");
  EXPECT_EQ(p.sources().at("dataset"), "command line");
  EXPECT_EQ(parse("info", {"--dataset", "x.h5"}).get_string("dataset"), "x.h5");
}

TEST(ParamsParse, TooManyPositionals) {
  EXPECT_EQ(error_of("info", {"a.h5", "b.h5"}),
            "unexpected argument 'b.h5' for 'animerec info' (see animerec info --help)");
}

TEST(ParamsParse, Help) {
  EXPECT_TRUE(parse_command("prepare", {"--help"}).help);
  EXPECT_TRUE(parse_command("prepare", {"-h"}).help);
  // Help wins over missing and unknown parameters: the user is asking how.
  EXPECT_TRUE(parse_command("prepare", {"--bogus", "-h"}).help);
  EXPECT_FALSE(parse_command("info", {"d.h5"}).help);
}

TEST(ParamsParse, ParamsDocTakesNothing) {
  Params p = parse("params-doc", {});
  EXPECT_TRUE(p.values().empty());
}

// ---------------------------------------------------------------- errors

TEST(ParamsErrors, UnknownOption) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--foo", "3"})),
            "unknown option --foo for 'animerec prepare' (see animerec prepare --help)");
  EXPECT_EQ(error_of("prepare", prepare_args({"-x"})),
            "unknown option -x for 'animerec prepare' (see animerec prepare --help)");
}

TEST(ParamsErrors, UnknownOptionSuggestsClosest) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--min-user-rating=3"})),
            "unknown option --min-user-rating for 'animerec prepare' (see animerec prepare "
            "--help); did you mean --min-user-ratings?");
  EXPECT_EQ(error_of("prepare", prepare_args({"--sede", "3"})),
            "unknown option --sede for 'animerec prepare' (see animerec prepare --help); did "
            "you mean --seed?");
}

TEST(ParamsErrors, OptionOfAnotherCommand) {
  EXPECT_EQ(error_of("info", {"d.h5", "--noise=1"}),
            "unknown option --noise for 'animerec info' (see animerec info --help); --noise "
            "belongs to: synth");
}

TEST(ParamsErrors, NoGuessingOfPrefixes) {
  EXPECT_NE(error_of("prepare", prepare_args({"--min-user=3"})), "");
}

TEST(ParamsErrors, BadInt) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed", "abc"})),
            "invalid value for --seed: 'abc' (must be an integer >= 0)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed", "12x"})),
            "invalid value for --seed: '12x' (must be an integer >= 0)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed", "1.5"})),
            "invalid value for --seed: '1.5' (must be an integer >= 0)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed", "99999999999999999999"})),
            "invalid value for --seed: '99999999999999999999' (must be an integer >= 0)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed="})),
            "invalid value for --seed: '' (must be an integer >= 0)");
}

TEST(ParamsErrors, OutOfRange) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--min-user-ratings=0"})),
            "invalid value for --min-user-ratings: '0' (must be an integer >= 1)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed=-1"})),
            "invalid value for --seed: '-1' (must be an integer >= 0)");
  EXPECT_EQ(error_of("prepare", prepare_args({"--test-fraction=1"})),
            "invalid value for --test-fraction: '1' (must be a number in [0, 1))");
  EXPECT_EQ(error_of("prepare", prepare_args({"--test-fraction=-0.1"})),
            "invalid value for --test-fraction: '-0.1' (must be a number in [0, 1))");
  EXPECT_EQ(error_of("synth", {"--out", "d", "--factors", "65"}),
            "invalid value for --factors: '65' (must be an integer in [1, 64])");
  EXPECT_EQ(parse("synth", {"--out", "d", "--factors", "64"}).get_int("factors"), 64);
  EXPECT_EQ(parse("prepare", prepare_args({"--test-fraction=0"})).get_double("test-fraction"), 0.0);
}

TEST(ParamsErrors, BadDouble) {
  for (std::string bad : {"nan", "inf", "0.5x", "1e999", "", "x"}) {
    EXPECT_EQ(error_of("synth", {"--out", "d", "--noise=" + bad}),
              "invalid value for --noise: '" + bad + "' (must be a number >= 0)");
  }
  EXPECT_DOUBLE_EQ(parse("synth", {"--out", "d", "--noise=1e-1"}).get_double("noise"), 0.1);
}

TEST(ParamsErrors, BadChoice) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--on-bad-row", "ignore"})),
            "invalid value for --on-bad-row: 'ignore' (must be one of: error, skip)");
}

TEST(ParamsErrors, EmptyPath) {
  EXPECT_EQ(error_of("prepare", {"--ratings=", "--out", "d.h5"}),
            "invalid value for --ratings: '' (must be a path)");
}

TEST(ParamsErrors, MissingRequired) {
  EXPECT_EQ(error_of("prepare", {"--out", "d.h5"}),
            "missing required parameter --ratings for 'animerec prepare'");
  EXPECT_EQ(error_of("info", {}), "missing required parameter --dataset for 'animerec info'");
}

TEST(ParamsErrors, GivenTwice) {
  EXPECT_EQ(error_of("prepare", prepare_args({"--seed=1", "--seed=2"})),
            "--seed given more than once for 'animerec prepare'");
}

TEST(ParamsErrors, MissingOptionValue) {
  std::string message = error_of("prepare", prepare_args({"--seed"}));
  EXPECT_NE(message.find("--seed"), std::string::npos) << message;
  EXPECT_NE(message.find("see animerec prepare --help"), std::string::npos) << message;
}

TEST(ParamsErrors, UnknownCommand) {
  EXPECT_EQ(error_of("prepar", {}),
            "unknown command 'prepar' (see animerec --help); did you mean 'prepare'?");
  EXPECT_THROW(command_help("nope"), ConfigError);
}

TEST(ParamsErrors, GetterForForeignName) {
  Params p = parse("info", {"d.h5"});
  EXPECT_THROW(p.get_int("seed"), ConfigError);
  EXPECT_THROW(p.get_string("ratings"), ConfigError);
  EXPECT_THROW(p.has("seed"), ConfigError);
  EXPECT_THROW(parse("prepare", kPrepareRequired).get_int("ratings-format"), ConfigError);
}

// ---------------------------------------------------------------- config file

TEST(ParamsConfig, CommandLineBeatsConfigBeatsDefault) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini,
             "# pipeline settings\n"
             "[prepare]\n"
             "ratings = from-config.csv\n"
             "out = d.h5\n"
             "seed = 7\n"
             "min-user-ratings = 3\n");
  Params p = parse("prepare", {"--config", ini, "--seed", "9"});
  EXPECT_EQ(p.get_int("seed"), 9);
  EXPECT_EQ(p.sources().at("seed"), "command line");
  EXPECT_EQ(p.get_int("min-user-ratings"), 3);
  EXPECT_EQ(p.sources().at("min-user-ratings"), "config " + ini);
  EXPECT_EQ(p.get_string("ratings"), "from-config.csv");
  EXPECT_EQ(p.sources().at("ratings"), "config " + ini);
  EXPECT_EQ(p.get_int("min-anime-ratings"), 1);
  EXPECT_EQ(p.sources().at("min-anime-ratings"), "default");
}

// Windows editors start UTF-8 files with a byte order mark: it is not part of
// the first line (which would otherwise be an unknown section or key).
TEST(ParamsConfig, Utf8ByteOrderMarkIsAccepted) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini,
             "\xEF\xBB\xBF[prepare]\n"
             "ratings = r.csv\n"
             "out = d.h5\n");
  EXPECT_EQ(error_of("prepare", {"--config", ini}), "");
  EXPECT_EQ(parse("prepare", {"--config", ini}).get_string("ratings"), "r.csv");
  write_file(ini, "\xEF\xBB\xBFseed = 3\n");  // the key itself is still checked
  EXPECT_EQ(error_of("prepare", {"--config", ini}),
            ini + ":1: key 'seed' is outside any section (put it under [common] or [COMMAND])");
}

// A value pasted by mistake (a whole file) is cut in the message, which still
// says how long it was.
TEST(ParamsErrors, LongValuesAreCutInMessages) {
  const std::string huge(10'000'000, '7');
  const std::string message = error_of("prepare", prepare_args({"--seed", huge + "x"}));
  EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
  EXPECT_EQ(message, "invalid value for --seed: '" + std::string(200, '7') +
                         "... (10000001 characters)' (must be an integer >= 0)");
  EXPECT_EQ(echoed("short"), "short");
  EXPECT_EQ(echoed(std::string(200, 'a')), std::string(200, 'a'));
  // Never cut inside a UTF-8 sequence: "é" is 2 bytes, the 200th starts one.
  const std::string accents = std::string(199, 'a') + "\xC3\xA9" + std::string(50, 'b');
  EXPECT_EQ(echoed(accents), std::string(199, 'a') + "... (251 characters)");
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\n" + std::string(5000, 'k') + " = 1\n");
  EXPECT_LT(error_of("prepare", {"--config", ini}).size(), 400u);
}

// The OpenMP runtime crashes (exit 139) or aborts with its own message when
// asked for tens of thousands of threads: the parameter says no first.
TEST(ParamsErrors, ThreadsAreBounded) {
  for (const char* n : {"50000", "100000"}) {
    EXPECT_EQ(
        error_of("train", {"--dataset=d.h5", "--out=m.h5", "--threads", n}),
        std::string("invalid value for --threads: '") + n + "' (must be an integer in [0, 1024])");
  }
  EXPECT_EQ(error_of("train", {"--dataset=d.h5", "--out=m.h5", "--threads", "1024"}), "");
}

TEST(ParamsConfig, CommonSectionAndOtherCommands) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini,
             "[common]\n"
             "seed = 5\n"
             "quiet = yes\n"
             "users = 10\n"  // a synth key: fine in [common], ignored by prepare
             "; a comment line\n"
             "[synth]\n"
             "out = synth-dir\n"
             "noise = not-checked-here\n"
             "[prepare]\n"
             "seed = 6\n");
  Params p = parse("prepare", prepare_args({"--config=" + ini}));
  EXPECT_EQ(p.get_int("seed"), 6);  // own section over [common]
  EXPECT_TRUE(p.get_bool("quiet"));
  EXPECT_EQ(p.sources().at("quiet"), "config " + ini);
  EXPECT_EQ(p.get_string("out"), "d.h5");

  Params s = parse("synth", {"--config", ini, "--noise", "0.5"});
  EXPECT_EQ(s.get_int("seed"), 5);
  EXPECT_EQ(s.get_int("users"), 10);
  EXPECT_EQ(s.get_string("out"), "synth-dir");
}

// cv cross-validates the configuration of [train]: its own section first,
// then [train] (train's file parameters excepted), then [common].
TEST(ParamsConfig, CvReadsTheTrainSectionBelowItsOwn) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini,
             "[common]\n"
             "seed = 5\n"
             "[train]\n"
             "factors = 64\n"
             "lambda = 1.5\n"
             "out = model.h5\n"
             "seed = 6\n"
             "[cv]\n"
             "lambda = 2\n");
  Params p = parse("cv", {"--config", ini, "--dataset", "d.h5"});
  EXPECT_EQ(p.get_int("factors"), 64);     // from [train]
  EXPECT_EQ(p.get_double("lambda"), 2.0);  // [cv] over [train]
  EXPECT_EQ(p.get_int("seed"), 6);         // [train] over [common]
  Params t = parse("train", {"--config", ini, "--dataset", "d.h5"});
  EXPECT_EQ(t.get_double("lambda"), 1.5);  // train does not read [cv]
}

TEST(ParamsConfig, RequiredFromConfig) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[info]\ndataset = d.h5\n");
  EXPECT_EQ(parse("info", {"--config", ini}).get_string("dataset"), "d.h5");
}

TEST(ParamsConfig, BoolForms) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  for (auto [text, expected] : std::vector<std::pair<std::string, bool>>{{"true", true},
                                                                         {"false", false},
                                                                         {"1", true},
                                                                         {"0", false},
                                                                         {"yes", true},
                                                                         {"no", false}}) {
    write_file(ini, "[prepare]\nquiet = " + text + "\n");
    EXPECT_EQ(parse("prepare", prepare_args({"--config", ini})).get_bool("quiet"), expected)
        << text;
  }
}

TEST(ParamsConfig, UnknownKey) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\nseed = 1\nfoo = 2\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":3: unknown key 'foo' in section [prepare]");
}

TEST(ParamsConfig, UnknownKeySuggestsClosest) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\nmin-user-rating = 2\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini +
                ":2: unknown key 'min-user-rating' in section [prepare]; did you mean "
                "'min-user-ratings'?");
}

TEST(ParamsConfig, UnknownKeyInOtherCommandsSection) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[synth]\nsynopsis = x.csv\n");  // a prepare key, not a synth one
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":2: unknown key 'synopsis' in section [synth]");
}

TEST(ParamsConfig, UnknownKeyInCommon) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[common]\nbogus = 1\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":2: unknown key 'bogus' in section [common]");
}

TEST(ParamsConfig, UnknownSection) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\nseed = 1\n\n[tuning]\nepochs = 3\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":4: unknown section [tuning]");
  write_file(ini, "[prepar]\nseed = 1\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":1: unknown section [prepar]; did you mean [prepare]?");
}

TEST(ParamsConfig, KeyOutsideSection) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "seed = 1\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":1: key 'seed' is outside any section (put it under [common] or [COMMAND])");
}

TEST(ParamsConfig, InvalidLine) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\nseed\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":2: invalid line 'seed' (expected [section] or key = value)");
}

TEST(ParamsConfig, DuplicateKey) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\nseed = 1\nseed = 2\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":3: key 'seed' given twice in section [prepare]");
}

TEST(ParamsConfig, BadValueNamesFileAndLine) {
  TempDir dir;
  std::string ini = dir.file("run.ini");
  write_file(ini, "[prepare]\n\n# comment\ntest-fraction = 1.5 # too much\n");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", ini})),
            ini + ":4: invalid value for --test-fraction: '1.5' (must be a number in [0, 1))");
}

TEST(ParamsConfig, UnreadableFile) {
  TempDir dir;
  std::string missing = dir.file("missing.ini");
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", missing})),
            "cannot read config file " + missing);
  EXPECT_EQ(error_of("prepare", prepare_args({"--config", dir.path().string()})),
            "cannot read config file " + dir.path().string());
}

// ---------------------------------------------------------------- help and docs

TEST(ParamsHelp, GlobalHelpListsEveryCommand) {
  std::string help = global_help();
  for (const auto& command : command_table()) {
    EXPECT_NE(help.find(command.name), std::string::npos) << command.name;
    EXPECT_NE(help.find(command.summary), std::string::npos) << command.name;
  }
  EXPECT_NE(help.find("animerec COMMAND --help"), std::string::npos);
}

TEST(ParamsHelp, CommandHelpListsEveryParamWithDefault) {
  for (const auto& command : command_table()) {
    std::string help = command_help(command.name);
    EXPECT_NE(help.find("usage: animerec " + command.name), std::string::npos);
    EXPECT_NE(help.find("--config FILE"), std::string::npos);
    EXPECT_NE(help.find("--help"), std::string::npos);
    for (const ParamSpec* spec : command_params(command.name)) {
      EXPECT_NE(help.find("--" + spec->name), std::string::npos) << command.name << spec->name;
      EXPECT_NE(help.find(spec->doc), std::string::npos) << command.name << spec->name;
      if (!spec->default_value.empty()) {
        EXPECT_NE(help.find("(default " + spec->default_value), std::string::npos)
            << command.name << spec->name;
      }
    }
  }
}

TEST(ParamsHelp, CommandHelpShape) {
  std::string help = command_help("prepare");
  EXPECT_NE(help.find("usage: animerec prepare --ratings PATH --out PATH [options]"),
            std::string::npos)
      << help;
  // Docs are aligned in one column, so the gap before them is two or more spaces.
  EXPECT_TRUE(std::regex_search(
      help, std::regex(R"(\n  --min-user-ratings N \(default 1, an integer >= 1\)  +drop users )"
                       R"(with fewer ratings, repeated until stable\n)")))
      << help;
  EXPECT_NE(command_help("info").find("usage: animerec info DATASET [options]"), std::string::npos);
}

TEST(ParamsHelp, RuleText) {
  ParamSpec spec;
  spec.type = ParamType::kInt;
  EXPECT_EQ(rule_text(spec), "an integer");
  spec.min = 1;
  EXPECT_EQ(rule_text(spec), "an integer >= 1");
  spec.max = 64;
  EXPECT_EQ(rule_text(spec), "an integer in [1, 64]");
  spec.type = ParamType::kDouble;
  spec.min = 0;
  spec.max = 1;
  spec.max_exclusive = true;
  EXPECT_EQ(rule_text(spec), "a number in [0, 1)");
  spec.type = ParamType::kString;
  spec.choices = {"error", "skip"};
  EXPECT_EQ(rule_text(spec), "one of: error, skip");
}

TEST(ParamsTable, Consistent) {
  for (const auto& spec : param_table()) {
    EXPECT_FALSE(spec.commands.empty()) << spec.name;
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    EXPECT_NE(spec.name, "help");
    EXPECT_NE(spec.name, "config");
    EXPECT_FALSE(spec.required && !spec.default_value.empty()) << spec.name;
    for (const auto& command : spec.commands) {
      EXPECT_NE(find_command(command), nullptr) << spec.name << " names " << command;
      int count = 0;
      for (const ParamSpec* other : command_params(command)) count += other->name == spec.name;
      EXPECT_EQ(count, 1) << command << " has --" << spec.name << " twice";
    }
  }
  for (const auto& command : command_table()) {
    for (const auto& name : command.positional) {
      int count = 0;
      for (const ParamSpec* spec : command_params(command.name)) count += spec->name == name;
      EXPECT_EQ(count, 1) << command.name << " positional " << name;
    }
  }
}

TEST(ParamsTable, DefaultsSatisfyTheirRules) {
  for (const auto& command : command_table()) {
    // Supplying every default explicitly must parse: a default that breaks its
    // own rule would only fail for users who spell it out.
    std::vector<std::string> args;
    for (const ParamSpec* spec : command_params(command.name)) {
      // Without a default: any value the type takes (evaluate --relevance is a
      // number whose default the dataset decides).
      const bool numeric = spec->type == ParamType::kInt || spec->type == ParamType::kDouble;
      std::string value = !spec->default_value.empty() ? spec->default_value : numeric ? "1" : "x";
      args.push_back("--" + spec->name + "=" + value);
    }
    EXPECT_NO_THROW(parse(command.name, args)) << command.name;
  }
}

TEST(ParamsDoc, MarkdownCoversEveryParam) {
  std::string md = params_markdown();
  EXPECT_EQ(md, params_markdown());  // deterministic
  EXPECT_NE(md.find("animerec params-doc"), std::string::npos);
  EXPECT_NE(md.find("[common]"), std::string::npos);
  for (const auto& command : command_table()) {
    EXPECT_NE(md.find("## animerec " + command.name), std::string::npos);
  }
  for (const auto& spec : param_table()) {
    EXPECT_NE(md.find("`--" + spec.name + "`"), std::string::npos) << spec.name;
  }
}

TEST(ParamsDoc, DocsFileIsUpToDate) {
  std::string path = std::string(ANIMEREC_SOURCE_DIR) + "/docs/params.md";
  EXPECT_EQ(animerec::testing::read_file(path), params_markdown())
      << path << " is stale: it must be what `animerec params-doc` prints. Regenerate it with\n"
      << "  scripts/update-params-doc.sh build/animerec\n"
      << "(after building), and commit the result.";
}

}  // namespace
}  // namespace animerec::config
