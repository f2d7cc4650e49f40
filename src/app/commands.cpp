#include "animerec/app/commands.h"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "animerec/core/manifest.h"
#include "animerec/core/output_path.h"
#include "animerec/core/resources.h"
#include "animerec/core/run_lock.h"
#include "animerec/core/sha256.h"
#include "animerec/data/export.h"
#include "animerec/data/prepare.h"
#include "animerec/data/summary.h"
#include "animerec/data/synth.h"
#include "animerec/dist/comm.h"
#include "animerec/eval/cv.h"
#include "animerec/eval/evaluate.h"
#include "animerec/io/check_file.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/library_version.h"
#include "animerec/io/model_file.h"
#include "animerec/serve/batch.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/options.h"
#include "animerec/train/reproduce.h"
#include "animerec/train/trainer.h"

namespace animerec::app {

namespace {

using config::Params;

// The job-wide communicator of a distributed command. It lives until run()
// has handled any error, because an error on one rank must end every rank
// (MPI_Abort), not leave the others waiting in a collective.
std::unique_ptr<dist::Comm> g_comm;
int* g_argc = nullptr;
char*** g_argv = nullptr;

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

// --memory-limit: bytes, or 0 for "auto" (detect the limit).
uint64_t memory_limit(const Params& p) {
  const std::string& text = p.get_string("memory-limit");
  return text == "auto" ? 0 : parse_size(text, "--memory-limit");
}

// prepare's peak from the size of its inputs, checked before reading them.
void check_prepare_memory(const data::PrepareOptions& o, uint64_t limit_bytes) {
  uint64_t need = 0;
  for (const std::string& path : {o.ratings_path, o.test_ratings_path}) {
    std::error_code ec;
    uint64_t bytes = path.empty() ? 0 : std::filesystem::file_size(path, ec);
    if (!ec && bytes > 0) need += estimate_prepare_memory(bytes, average_line_bytes(path));
  }
  const MemoryLimit limit =
      limit_bytes > 0 ? MemoryLimit{limit_bytes, "--memory-limit " + format_bytes(limit_bytes)}
                      : detect_memory_limit(1);
  if (need > limit.bytes) {
    throw Error(fmt::format(
        "prepare needs about {} for --ratings {} (40 bytes per row) but only {} is available ({}); "
        "free memory, run on a larger node, or set --memory-limit if the detected limit is wrong",
        format_bytes(need), o.ratings_path, format_bytes(limit.bytes), limit.source));
  }
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
    throw ConfigError(
        fmt::format("--test-fraction {} plus --validation-fraction {} must be below 1",
                    o.test_fraction, o.validation_fraction));
  }
  const std::string out = p.get_string("out");
  bool overwrite = p.get_bool("overwrite");
  // Refuse before reading a multi-GB input, not after.
  check_outputs({{out, "--out", overwrite}}, {{o.ratings_path, "--ratings"},
                                              {o.anime_path, "--anime"},
                                              {o.synopsis_path, "--synopsis"},
                                              {o.test_ratings_path, "--test-ratings"}});
  RunLock lock(lock_path_for_file(out), "--out " + out, "wait for it or choose another --out");
  refuse_existing(out, overwrite, "--out");
  check_prepare_memory(o, memory_limit(p));

  data::BadRowLog log(o.on_bad_row);
  data::Dataset d = data::prepare_dataset(o, log);
  io::write_dataset(d, out, overwrite, static_cast<int>(p.get_int("compression")));
  if (log.total() > 0) std::fputs(log.describe().c_str(), stderr);
  if (!o.quiet) {
    const auto& c = d.provenance.counts;
    std::fprintf(stderr, "%s",
                 fmt::format("wrote {}: {} rows ({} scored), {} users, {} anime; "
                             "train {}, validation {}, test {}\n",
                             out, d.n_ratings(), c.at("scored_rows"), d.n_users(), d.n_anime(),
                             c.at("split_train_rows"), c.at("split_validation_rows"),
                             c.at("split_test_rows"))
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
  o.popularity_skew = p.get_double("popularity-skew");
  o.activity_skew = p.get_double("activity-skew");
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

int cmd_check(const Params& p, const std::string&) {
  std::fputs(io::check_file(p.get_string("file")).c_str(), stdout);
  return kExitOk;
}

int cmd_export(const Params& p, const std::string&) {
  const std::string out = p.get_string("out");
  bool overwrite = p.get_bool("overwrite");
  check_outputs({{out, "--out", overwrite}}, {{p.get_string("dataset"), "--dataset"}});
  data::Dataset d = io::read_dataset(p.get_string("dataset"));
  data::export_triplets(d, p.get_string("split"), p.get_string("ids") == "external", out,
                        overwrite);
  return kExitOk;
}

// A --metrics-out file a resumed run may continue: empty, or JSON lines
// whose first is an iteration's metrics (what train writes).
bool is_metrics_file(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  if (!std::getline(in, first)) return true;  // empty
  const nlohmann::json line = nlohmann::json::parse(first, nullptr, /*allow_exceptions=*/false);
  return line.is_object() && line.contains("iteration");
}

// Every file train writes, checked before any work (on rank 0, which writes
// them all): the model and its run manifest, --metrics-out, the checkpoint.
void check_train_outputs(const train::TrainOptions& o) {
  std::vector<OutputFile> outputs = {
      {o.out_path, "--out", o.overwrite},
      {path_beside(o.out_path, ".run"), "--out's run manifest", o.overwrite}};
  if (!o.metrics_out.empty()) {
    // A resumed run appends to the interrupted run's metrics, which it may
    // do without --overwrite, and never to a file of other content.
    const bool resuming = !o.resume_path.empty();
    // (Only a regular file is read: check_outputs refuses the others.)
    if (resuming && std::filesystem::is_regular_file(o.metrics_out) &&
        !is_metrics_file(o.metrics_out)) {
      throw IoError(fmt::format(
          "--metrics-out {}: with --resume the metrics are appended to it, but it is not a "
          "metrics file (JSON lines of iterations); choose another --metrics-out",
          o.metrics_out));
    }
    outputs.push_back({o.metrics_out, "--metrics-out", o.overwrite || resuming});
  }
  check_outputs(outputs, {{o.dataset_path, "--dataset"}, {o.resume_path, "--resume"}});
  if (!o.checkpoint_dir.empty()) {
    // Replaced on every checkpoint by design, and may be the --resume file.
    outputs.push_back({(std::filesystem::path(o.checkpoint_dir) / "checkpoint.h5").string(),
                       "--checkpoint-dir's checkpoint", true});
    check_outputs(outputs, {{o.dataset_path, "--dataset"}});
  }
}

int cmd_train(const Params& p, const std::string& command_line) {
  train::TrainOptions o = train::train_options(p, command_line);
  train::install_stop_handlers();
  g_comm = dist::make_world_comm(g_argc, g_argv);
  if (g_comm->rank() == 0) check_train_outputs(o);
  return train::run_training(o, *g_comm);
}

// True when the command line or a config file set the parameter (not its default).
bool given(const Params& p, const std::string& name) {
  const auto it = p.sources().find(name);
  return it != p.sources().end() && it->second != "default";
}

int64_t user_id_of(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw ConfigError(
        fmt::format("invalid value for --user: '{}' (must be an integer user id)", text));
  }
  return id;
}

// recommend --all-users: every user's list into a file, over MPI ranks.
int cmd_recommend_all_users(const Params& p) {
  if (!p.get_string("user").empty() || !p.get_string("similar").empty() ||
      !p.get_string("new-anime").empty() || given(p, "top-users"))
    throw ConfigError(
        "--all-users lists every user: drop --user, --similar, --new-anime and --top-users");
  if (p.get_string("mode") != "model")
    throw ConfigError(
        fmt::format("--mode {}: --all-users supports --mode model only", p.get_string("mode")));
  const std::string format = p.get_string("format");
  if (format == "json")
    throw ConfigError("--format json: with --all-users the output is .h5 or .csv");
  serve::BatchOptions o;
  o.model_path = p.get_string("model");
  o.dataset_path = p.get_string("dataset");
  o.out_path = p.get_string("out");
  o.format = format == "csv" ? "csv" : "";  // table (the default) = from the extension
  o.top = static_cast<int>(p.get_int("top"));
  o.include_seen = p.get_bool("include-seen");
  o.overwrite = p.get_bool("overwrite");
  o.block_users = p.get_int("batch-users");
  o.quiet = p.get_bool("quiet");
  o.time_bare_product = p.get_bool("time-bare-product");
  g_comm = dist::make_world_comm(g_argc, g_argv);
  if (g_comm->rank() == 0 && !o.out_path.empty()) {
    check_outputs({{o.out_path, "--out", o.overwrite}},
                  {{o.model_path, "--model"}, {o.dataset_path, "--dataset"}});
  }
  serve::run_batch_recommend(o, *g_comm);
  return kExitOk;
}

int cmd_recommend(const Params& p, const std::string&) {
  if (p.get_bool("all-users")) return cmd_recommend_all_users(p);
  serve::RecommendOptions o;
  o.model_path = p.get_string("model");
  o.dataset_path = p.get_string("dataset");
  const std::string& user = p.get_string("user");
  o.has_user = !user.empty();
  if (o.has_user) o.user_id = user_id_of(user);
  o.similar = p.get_string("similar");
  o.new_anime = p.get_string("new-anime");
  o.has_top_users = given(p, "top-users");
  o.top_users = static_cast<int>(p.get_int("top-users"));
  o.top = static_cast<int>(p.get_int("top"));
  o.mode = serve::user_mode_from_name(p.get_string("mode"));
  o.include_seen = p.get_bool("include-seen");
  o.similar_mode = serve::similar_mode_from_name(p.get_string("similar-mode"));
  o.similar_blend = p.get_double("similar-blend");
  o.format = p.get_string("format");
  o.has_ratings = p.sources().count("ratings") > 0;  // given, even if empty
  o.ratings = p.get_string("ratings");
  o.ratings_file = p.get_string("ratings-file");
  o.filters.types = serve::split_list(p.get_string("type"));
  o.filters.exclude_genres = serve::split_list(p.get_string("exclude-genre"));
  o.filters.min_year = static_cast<int32_t>(p.get_int("min-year"));
  o.filters.max_episodes = static_cast<int32_t>(p.get_int("max-episodes"));
  o.explain = p.get_bool("explain");
  std::vector<std::string> notes;
  const std::string out = serve::run_recommend(o, &notes);
  for (const std::string& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

// Where evaluate writes its run manifest: --manifest, else beside the model.
std::string evaluate_manifest_path(const Params& p) {
  const std::string& chosen = p.get_string("manifest");
  return chosen.empty() ? path_beside(p.get_string("model"), ".evaluate") : chosen;
}

// A rerun replaces the previous evaluation's manifest (it is the record of
// the latest report); any other existing file needs --overwrite.
bool may_replace_evaluate_manifest(const Params& p, const std::string& path) {
  if (p.get_bool("overwrite")) return true;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > (64u << 20)) return false;
  std::ifstream in(path);
  const nlohmann::json m = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return m.is_object() && m.contains("command") && m["command"] == "evaluate";
}

void check_evaluate_outputs(const Params& p) {
  const std::string path = evaluate_manifest_path(p);
  check_outputs({{path, "--manifest", may_replace_evaluate_manifest(p, path)}},
                {{p.get_string("model"), "--model"}, {p.get_string("dataset"), "--dataset"}});
}

// The manifest of an evaluate run: its report is the metrics.
// Collective (the host names of every rank); rank 0 writes.
void write_evaluate_manifest(const Params& p, const std::string& command_line,
                             const std::string& started, const nlohmann::json& report,
                             dist::Comm& comm) {
  RunRecord r;
  r.hosts = comm.allgather(host_name());
  if (comm.rank() != 0) return;
  r.command = "evaluate";
  r.command_line = command_line;
  r.config = p.values();
  r.dataset_path = p.get_string("dataset");
  r.dataset_sha256 = sha256_file(r.dataset_path);
  r.ranks = comm.size();
  r.threads = omp_get_max_threads();
  r.started = started;
  r.finished = utc_now_iso8601();
  r.runtime_libraries = {{"mpi", comm.library_version()}, {"hdf5", io::hdf5_library_version()}};
  r.metrics = report;
  const std::string path = evaluate_manifest_path(p);
  write_manifest_file(manifest_json(r), path, may_replace_evaluate_manifest(p, path), "--manifest");
}

int cmd_evaluate(const Params& p, const std::string& command_line) {
  const std::string started = utc_now_iso8601();
  eval::EvaluateOptions o;
  o.model_path = p.get_string("model");
  o.dataset_path = p.get_string("dataset");
  o.split = p.get_string("split");
  o.k = p.get_string("k");
  if (p.has("relevance")) o.relevance = p.get_double("relevance");  // else the scale decides
  o.format = p.get_string("format");
  o.item_knn = p.get_string("item-knn");
  o.ease_lambda = p.get_string("ease-lambda");
  o.memory_limit = memory_limit(p);
  g_comm = dist::make_world_comm(g_argc, g_argv);
  if (g_comm->rank() == 0) check_evaluate_outputs(p);
  nlohmann::json report;
  std::fputs(eval::run_evaluate(o, *g_comm, &report).c_str(), stdout);
  write_evaluate_manifest(p, command_line, started, report, *g_comm);
  return kExitOk;
}

int cmd_cv(const Params& p, const std::string& command_line) {
  eval::CvOptions o;
  o.train = train::train_options(p, command_line);
  o.dataset_path = p.get_string("dataset");
  o.folds = static_cast<int>(p.get_int("folds"));
  o.k = p.get_string("k");
  if (p.has("relevance")) o.relevance = p.get_double("relevance");  // else the scale decides
  o.format = p.get_string("format");
  o.work_dir = p.get_string("work-dir");
  o.quiet = p.get_bool("quiet");
  g_comm = dist::make_world_comm(g_argc, g_argv);
  std::fputs(eval::run_cv(o, *g_comm).c_str(), stdout);
  return kExitOk;
}

// Rank 0 reads the model's manifest; every rank gets it.
nlohmann::json stored_manifest(const std::string& model_path, dist::Comm& comm) {
  std::string text;
  if (comm.rank() == 0) {
    text = io::read_model(model_path).manifest;
    if (text.empty()) {
      throw IoError(
          fmt::format("--model {}: the model has no /manifest (it was written before "
                      "run manifests existed); train it again to reproduce it",
                      model_path));
    }
  }
  comm.broadcast(text, 0);
  nlohmann::json manifest = nlohmann::json::parse(text);
  train::check_train_manifest(manifest, model_path);
  return manifest;
}

// Refuses a dataset whose bytes are not the ones the model was trained on.
void check_dataset_sha256(const std::string& dataset, const nlohmann::json& manifest,
                          dist::Comm& comm) {
  std::string sha = comm.rank() == 0 ? sha256_file(dataset) : std::string();
  comm.broadcast(sha, 0);
  const std::string expected = manifest["dataset"].value("sha256", "");
  if (sha != expected) {
    throw ConfigError(
        fmt::format("--dataset {}: sha256 {} differs from the trained dataset's {} (the manifest's "
                    "dataset); reproduce needs the same file",
                    dataset, sha, expected));
  }
}

// Where the reproduction goes: --out, or a scratch file in the temp directory
// (rank 0 names it; removed after the comparison).
std::string reproduce_out_path(const Params& p, dist::Comm& comm) {
  std::string out = p.get_string("out");
  if (out.empty() && comm.rank() == 0) {
    out = (std::filesystem::temp_directory_path() /
           fmt::format("animerec-reproduce-{}.h5", static_cast<long>(getpid())))
              .string();
  }
  comm.broadcast(out, 0);
  return out;
}

int compare_reproduction(const std::string& original, const std::string& again, bool keep) {
  std::vector<std::string> diffs =
      train::model_differences(io::read_model(original), io::read_model(again));
  if (!keep) {
    std::filesystem::remove(again);
    std::filesystem::remove(path_beside(again, ".run"));
  }
  if (diffs.empty()) {
    std::printf(
        "%s: bit-identical (every array, the model-shaping attributes and the "
        "configuration)\n",
        original.c_str());
    return kExitOk;
  }
  std::printf("%s: the reproduction differs in %zu field(s):\n", original.c_str(), diffs.size());
  for (const auto& d : diffs) std::printf("  %s\n", d.c_str());
  return kExitInternal;
}

// The training options that repeat the manifest's run on `dataset` into `out`.
train::TrainOptions reproduction_options(const Params& p, const nlohmann::json& manifest,
                                         const std::string& dataset, const std::string& out,
                                         const std::string& command_line) {
  const std::string& model_path = p.get_string("model");
  std::vector<std::string> args = train::reproduce_arguments(manifest, model_path, dataset, out);
  if (p.get_bool("overwrite")) args.push_back("--overwrite");
  if (p.get_bool("quiet")) args.push_back("--quiet");
  try {
    return train::train_options(config::parse_command("train", args).params, command_line);
  } catch (const ConfigError& e) {
    // A parameter this version renamed or dropped, or a value it now refuses.
    throw ConfigError(fmt::format(
        "--model {}: the manifest's configuration is not valid for this version of train: {}",
        model_path, e.what()));
  }
}

int cmd_reproduce(const Params& p, const std::string& command_line) {
  g_comm = dist::make_world_comm(g_argc, g_argv);
  dist::Comm& comm = *g_comm;
  const std::string& model_path = p.get_string("model");
  const nlohmann::json manifest = stored_manifest(model_path, comm);
  std::string dataset = p.get_string("dataset");
  if (dataset.empty()) {
    dataset = manifest["dataset"].value("path", "");
    // The manifest keeps the path as train was given it, often relative to the
    // folder train ran in: from elsewhere the user must say where the file is.
    if (!std::filesystem::exists(dataset)) {
      throw ConfigError(
          fmt::format("the dataset recorded in {}'s manifest, {}, is not there (from {}); pass "
                      "--dataset PATH to the same file (its sha256 must be {})",
                      model_path, dataset, std::filesystem::current_path().string(),
                      manifest["dataset"].value("sha256", "")));
    }
  }
  check_dataset_sha256(dataset, manifest, comm);
  const std::string out = reproduce_out_path(p, comm);
  if (comm.rank() == 0 && !p.get_string("out").empty()) {
    const bool overwrite = p.get_bool("overwrite");
    check_outputs(
        {{out, "--out", overwrite}, {path_beside(out, ".run"), "--out's run manifest", overwrite}},
        {{model_path, "--model"}, {dataset, "--dataset"}});
  }
  const int code =
      train::run_training(reproduction_options(p, manifest, dataset, out, command_line), comm);
  if (code != kExitOk) return code;
  std::string verdict;
  if (comm.rank() == 0) {
    verdict = std::to_string(compare_reproduction(model_path, out, !p.get_string("out").empty()));
    std::fflush(stdout);
  }
  comm.broadcast(verdict, 0);  // every rank exits with the verdict
  return std::stoi(verdict);
}

int cmd_params_doc(const Params&, const std::string&) {
  std::fputs(config::params_markdown().c_str(), stdout);
  return kExitOk;
}

using Handler = std::function<int(const Params&, const std::string&)>;
const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> kHandlers = {
      {"prepare", cmd_prepare}, {"synth", cmd_synth},         {"info", cmd_info},
      {"check", cmd_check},     {"export", cmd_export},       {"params-doc", cmd_params_doc},
      {"train", cmd_train},     {"recommend", cmd_recommend}, {"evaluate", cmd_evaluate},
      {"cv", cmd_cv},           {"reproduce", cmd_reproduce},
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

// Prints the message; under MPI with several ranks, names the rank and ends
// the whole job with the exit code.
int fail(const char* what, const std::string& message, int code) {
  if (g_comm != nullptr && g_comm->size() > 1) {
    std::fprintf(stderr, "animerec: %s (rank %d of %d): %s\n", what, g_comm->rank(), g_comm->size(),
                 message.c_str());
    std::fflush(stderr);
    g_comm->abort(code);
  }
  std::fprintf(stderr, "animerec: %s: %s\n", what, message.c_str());
  return code;
}

int run(int argc, char** argv) {
  g_argc = &argc;
  g_argv = &argv;
  int code = kExitOk;
  try {
    code = dispatch(argc, argv);
  } catch (const Error& e) {
    code = fail("error", e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    code = fail("error", "out of memory", kExitInternal);
  } catch (const std::exception& e) {
    code = fail("internal error", e.what(), kExitInternal);
  }
  g_comm.reset();  // MPI_Finalize, once every rank got here
  return code;
}

}  // namespace animerec::app
