#include "animerec/app/commands.h"

#include <cstdio>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "animerec/config/params.h"
#include "animerec/data/export.h"
#include "animerec/data/prepare.h"
#include "animerec/data/summary.h"
#include "animerec/data/synth.h"
#include "animerec/io/dataset_file.h"

namespace animerec::app {

namespace {

using config::Params;

// The command line as the user typed it, quoted where a shell would need it;
// stored in every file's provenance.
std::string quoted_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    if (!plain) {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    out += (i ? " " : "") + a;
  }
  return out;
}

int cmd_prepare(const Params& p, const std::string& command_line) {
  data::PrepareOptions o;
  o.ratings_path = p.get_string("ratings");
  o.anime_path = p.has("anime") ? p.get_string("anime") : "";
  o.synopsis_path = p.has("synopsis") ? p.get_string("synopsis") : "";
  o.test_ratings_path = p.has("test-ratings") ? p.get_string("test-ratings") : "";
  o.ratings_layout = data::ratings_layout_from_name(p.get_string("ratings-format"));
  o.anime_layout = data::anime_layout_from_name(p.get_string("anime-format"));
  o.seed = static_cast<uint64_t>(p.get_int("seed"));
  o.test_fraction = p.get_double("test-fraction");
  o.validation_fraction = p.get_double("validation-fraction");
  o.cold_anime_fraction = p.get_double("cold-anime-fraction");
  o.min_ratings_to_split = p.get_int("min-ratings-to-split");
  o.min_user_ratings = p.get_int("min-user-ratings");
  o.min_anime_ratings = p.get_int("min-anime-ratings");
  o.on_bad_row = data::bad_row_policy_from_name(p.get_string("on-bad-row"));
  o.quiet = p.get_bool("quiet");
  o.command_line = command_line;
  o.params = p.values();
  if (o.test_fraction + o.validation_fraction >= 1.0) {
    throw ConfigError(fmt::format("--test-fraction {} plus --validation-fraction {} must be below 1",
                                  o.test_fraction, o.validation_fraction));
  }
  const std::string out = p.get_string("out");
  bool overwrite = p.get_bool("overwrite");
  // Refuse before reading a multi-GB input, not after.
  refuse_existing(out, overwrite, "--out");

  data::BadRowLog log(o.on_bad_row);
  data::Dataset d = data::prepare_dataset(o, log);
  io::write_dataset(d, out, overwrite, static_cast<int>(p.get_int("compression")));
  if (log.total() > 0) std::fputs(log.describe().c_str(), stderr);
  if (!o.quiet) {
    const auto& c = d.provenance.counts;
    std::fprintf(stderr, "%s", fmt::format("wrote {}: {} rows ({} scored), {} users, {} anime; "
                                           "train {}, validation {}, test {}\n",
                                           out, d.n_ratings(), c.at("scored_rows"), d.n_users(),
                                           d.n_anime(), c.at("split_train_rows"),
                                           c.at("split_validation_rows"), c.at("split_test_rows"))
                                   .c_str());
  }
  return kExitOk;
}

int cmd_synth(const Params& p, const std::string&) {
  data::SynthOptions o;
  o.users = p.get_int("users");
  o.anime = p.get_int("anime");
  o.ratings = p.get_int("ratings");
  o.seed = static_cast<uint64_t>(p.get_int("seed"));
  o.layout = p.get_string("layout");
  o.factors = static_cast<int>(p.get_int("factors"));
  o.noise = p.get_double("noise");
  o.unrated_fraction = p.get_double("unrated-fraction");
  o.quiet = p.get_bool("quiet");
  data::SynthResult r = data::write_synthetic(o, p.get_string("out"), p.get_bool("overwrite"));
  if (!o.quiet) {
    for (const auto& f : r.files) std::fprintf(stderr, "wrote %s\n", f.c_str());
    std::fprintf(stderr, "%s", fmt::format("{} rating rows\n", r.rows).c_str());
  }
  return kExitOk;
}

int cmd_info(const Params& p, const std::string&) {
  const std::string path = p.get_string("dataset");
  data::Dataset d = io::read_dataset(path);
  std::fputs(data::dataset_summary(d, path).c_str(), stdout);
  return kExitOk;
}

int cmd_export(const Params& p, const std::string&) {
  const std::string out = p.get_string("out");
  bool overwrite = p.get_bool("overwrite");
  refuse_existing(out, overwrite, "--out");
  data::Dataset d = io::read_dataset(p.get_string("dataset"));
  data::export_triplets(d, p.get_string("split"), p.get_string("ids") == "external", out, overwrite);
  return kExitOk;
}

int cmd_params_doc(const Params&, const std::string&) {
  std::fputs(config::params_markdown().c_str(), stdout);
  return kExitOk;
}

using Handler = std::function<int(const Params&, const std::string&)>;
const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> kHandlers = {
      {"prepare", cmd_prepare}, {"synth", cmd_synth},           {"info", cmd_info},
      {"export", cmd_export},   {"params-doc", cmd_params_doc},
  };
  return kHandlers;
}

int dispatch(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(config::global_help().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitBadInput : kExitOk;
  }
  std::string command = argv[1];
  if (command == "--version") {
    std::printf("animerec %s (commit %s)\n", program_version(), build_commit());
    return kExitOk;
  }
  auto it = handlers().find(command);
  if (it == handlers().end()) {
    throw ConfigError(fmt::format("unknown command '{}' (see animerec --help)", command));
  }
  config::ParseResult parsed =
      config::parse_command(command, std::vector<std::string>(argv + 2, argv + argc));
  if (parsed.help) {
    std::fputs(config::command_help(command).c_str(), stdout);
    return kExitOk;
  }
  return it->second(parsed.params, quoted_command_line(argc, argv));
}

}  // namespace

int run(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "animerec: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "animerec: error: out of memory\n");
    return kExitInternal;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "animerec: internal error: %s\n", e.what());
    return kExitInternal;
  }
}

}  // namespace animerec::app
