#include "animerec/train/driver.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "animerec/core/error.h"
#include "animerec/train/trainer.h"

namespace animerec::train {

namespace {

using Clock = std::chrono::steady_clock;

// An IterationCost as the doubles one gather moves (bytes are exact in a
// double up to 2^53), and back.
constexpr size_t kCostFields = 13;

void pack_traffic(const dist::Traffic& t, std::vector<double>& out) {
  out.push_back(t.seconds);
  out.push_back(static_cast<double>(t.bytes_sent));
  out.push_back(static_cast<double>(t.bytes_received));
}

std::vector<double> pack_cost(const IterationCost& c) {
  std::vector<double> out{c.solve_seconds, c.solve_cpu_seconds, c.gram_seconds, c.metrics_seconds};
  pack_traffic(c.wait, out);
  pack_traffic(c.exchange, out);
  pack_traffic(c.prior, out);
  return out;
}

dist::Traffic unpack_traffic(const double* v) {
  dist::Traffic t;
  t.seconds = v[0];
  t.bytes_sent = static_cast<int64_t>(v[1]);
  t.bytes_received = static_cast<int64_t>(v[2]);
  return t;
}

IterationCost unpack_cost(const double* v) {
  IterationCost c;
  c.solve_seconds = v[0];
  c.solve_cpu_seconds = v[1];
  c.gram_seconds = v[2];
  c.metrics_seconds = v[3];
  c.wait = unpack_traffic(v + 4);
  c.exchange = unpack_traffic(v + 7);
  c.prior = unpack_traffic(v + 10);
  return c;
}

std::string traffic_json(const dist::Traffic& t) {
  return fmt::format(R"({{"seconds": {:.6f}, "bytes_sent": {}, "bytes_received": {}}})", t.seconds,
                     t.bytes_sent, t.bytes_received);
}

std::string cost_json(const IterationCost& c) {
  return fmt::format(
      R"({{"solve_seconds": {:.6f}, "solve_cpu_seconds": {:.6f}, "gram_seconds": {:.6f}, )"
      R"("metrics_seconds": {:.6f}, "wait": {}, "exchange": {}, "prior": {}}})",
      c.solve_seconds, c.solve_cpu_seconds, c.gram_seconds, c.metrics_seconds, traffic_json(c.wait),
      traffic_json(c.exchange), traffic_json(c.prior));
}

void add_cost(IterationCost& sum, const IterationCost& c) {
  sum.solve_seconds += c.solve_seconds;
  sum.solve_cpu_seconds += c.solve_cpu_seconds;
  sum.gram_seconds += c.gram_seconds;
  sum.metrics_seconds += c.metrics_seconds;
  sum.wait += c.wait;
  sum.exchange += c.exchange;
  sum.prior += c.prior;
}

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_stop_signal = sig;
  // A second Ctrl-C ends the process at once, as users expect of a terminal.
  if (sig == SIGINT) std::signal(SIGINT, SIG_DFL);
}

}  // namespace

// SIGINT (Ctrl-C), SIGTERM (scancel, kill) and SIGUSR1 (SLURM --signal before
// the time limit; Open MPI's mpiexec forwards it to every rank) all ask for the
// same thing: stop at the next iteration boundary, checkpoint if there is a
// --checkpoint-dir, exit 3 (saved) or 4 (nothing saved). docs/training.md, "Stopping".
void install_stop_handlers() {
  // A process started with SIGINT ignored (nohup, a background job of a
  // script) keeps ignoring it, as shells expect: Ctrl-C is not meant for it.
  if (std::signal(SIGINT, on_stop_signal) == SIG_IGN) std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

bool DriverProgress::has_best() const {
  return std::isfinite(best_metric) && best.users.factors.size() > 0;
}

Driver::Driver(const DriverOptions& o, dist::Comm& comm, CheckpointWriter checkpoint)
    : o_(o), comm_(comm), checkpoint_(std::move(checkpoint)) {}

void Driver::say(const std::string& line) const {
  if (comm_.rank() == 0 && !o_.quiet)
    std::fprintf(stderr, "%s%s\n", o_.stage.c_str(), line.c_str());
}

DriverOutcome Driver::run(AlsFit& fit, const FitState* resumed_state,
                          const DriverProgress* resumed_progress) {
  lower_is_better_ = fit.options().als.feedback == als::Feedback::kExplicit;
  if (resumed_progress != nullptr) {
    p_ = *resumed_progress;
  } else {
    p_ = DriverProgress{};
    p_.best_metric = lower_is_better_ ? INFINITY : -INFINITY;
  }
  cost_sums_.clear();
  cost_iterations_ = 0;
  fit.start(resumed_state);
  if (p_.best.anime.factors.size() > 0) p_.best.content_w = fit.refit_content(p_.best.anime);

  while (p_.iteration < o_.iterations) {
    auto start = Clock::now();
    fit.half_sweep(true, p_.iteration + 1);
    // A request seen after the user half-sweep still finishes the iteration.
    bool stop = o_.stoppable && stop_requested(p_.iteration);
    fit.half_sweep(false, p_.iteration + 1);
    ++p_.iteration;
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double metric = record_iteration(fit, seconds);
    bool converged = o_.keeps_best && update_early_stopping(fit, metric, lower_is_better_);
    stop = (o_.stoppable && stop_requested(p_.iteration)) || stop;
    if (stop && p_.iteration < o_.iterations && !converged) {
      if (!checkpoint_) {
        say(
            fmt::format("stopped after iteration {} by a signal; no --checkpoint-dir, so nothing "
                        "is saved",
                        p_.iteration));
        return DriverOutcome::kStoppedUnsaved;
      }
      checkpoint_(fit, p_, "stop requested");
      return DriverOutcome::kStoppedSaved;
    }
    if (converged) {
      say(fmt::format("early stop: no gain over {} for {} iterations; keeping iteration {}",
                      o_.tolerance, p_.bad_iterations, p_.best_iteration));
      break;
    }
    if (checkpoint_ && o_.checkpoint_every > 0 && p_.iteration % o_.checkpoint_every == 0 &&
        p_.iteration < o_.iterations) {
      checkpoint_(fit, p_, "periodic");
    }
  }
  say_cost_summary();
  return DriverOutcome::kFinished;
}

// Every rank's cost of the iteration, on rank 0 (the others get an empty list).
std::vector<IterationCost> Driver::gather_costs(const IterationCost& mine) {
  const std::vector<double> packed = pack_cost(mine);
  std::vector<double> all(kCostFields * static_cast<size_t>(comm_.size()));
  comm_.allgatherv(std::span<const double>(packed), all,
                   std::vector<int64_t>(static_cast<size_t>(comm_.size()), kCostFields));
  std::vector<IterationCost> costs;
  if (comm_.rank() != 0) return costs;
  for (int r = 0; r < comm_.size(); ++r) costs.push_back(unpack_cost(&all[kCostFields * r]));
  return costs;
}

// The mean cost per iteration of this run on the rank with the longest solve
// (rank 0 prints it; the metrics lines have every rank's).
void Driver::say_cost_summary() const {
  if (cost_iterations_ == 0 || cost_sums_.empty()) return;
  const double n = cost_iterations_;
  auto line = [&](const IterationCost& c) {
    return fmt::format(
        "solve {:.3f} s, gram {:.3f} s, wait {:.3f} s, exchange {:.3f} s ({:.1f} MB received, "
        "{:.1f} MB sent), prior reductions {:.3f} s",
        c.solve_seconds / n, c.gram_seconds / n, c.wait.seconds / n, c.exchange.seconds / n,
        static_cast<double>(c.exchange.bytes_received) / n / 1e6,
        static_cast<double>(c.exchange.bytes_sent) / n / 1e6, c.prior.seconds / n);
  };
  size_t slowest = 0;
  for (size_t r = 1; r < cost_sums_.size(); ++r) {
    if (cost_sums_[r].solve_seconds > cost_sums_[slowest].solve_seconds) slowest = r;
  }
  say(fmt::format("per iteration on rank {} (the longest solve of {} rank(s)): {}", slowest,
                  cost_sums_.size(), line(cost_sums_[slowest])));
}

// Every rank gives its own view (a signal may reach one rank only); the
// maximum makes them all stop at the same boundary.
bool Driver::stop_requested(int completed) {
  int local =
      g_stop_signal != 0 || (o_.stop_after_iterations > 0 && completed >= o_.stop_after_iterations);
  return comm_.allreduce_max(local) != 0;
}

double Driver::record_iteration(AlsFit& fit, double seconds) {
  const IterationMetrics m = fit.metrics();
  const std::vector<IterationCost> costs = gather_costs(fit.take_cost());
  std::string per_rank;
  cost_sums_.resize(costs.size());
  for (size_t r = 0; r < costs.size(); ++r) {
    per_rank += (r == 0 ? "" : ", ") + cost_json(costs[r]);
    add_cost(cost_sums_[r], costs[r]);
  }
  ++cost_iterations_;
  double rate = 2.0 * static_cast<double>(fit.train_entries()) / seconds;
  int remaining = o_.iterations - p_.iteration;
  const std::string part =
      o_.metrics_part.empty() ? "" : fmt::format("\"part\": \"{}\", ", o_.metrics_part);
  std::string json = fmt::format(
      "{{{}\"iteration\": {}, \"{}\": {:.6f}, \"{}\": {}, \"seconds\": {:.3f}, "
      "\"ratings_per_second\": {:.0f}, "
      "\"eta_seconds\": {:.1f}, \"per_rank\": [{}]}}",
      part, p_.iteration, m.train_name, m.train, m.validation_name,
      std::isnan(m.validation) ? std::string("null") : fmt::format("{:.6f}", m.validation), seconds,
      rate, remaining * seconds, per_rank);
  p_.history.push_back(json);
  std::string valid_text = std::isnan(m.validation) ? "-" : fmt::format("{:.4f}", m.validation);
  say(fmt::format("iter {:>3}/{}  {} {:.4f}  {} {}  {:.2f} s  {:.1f}M ratings/s  ETA {:.0f} s",
                  p_.iteration, o_.iterations, m.train_name, m.train, m.validation_name, valid_text,
                  seconds, rate / 1e6, remaining * seconds));
  if (comm_.rank() == 0 && !o_.metrics_out.empty()) {
    FILE* f =
        std::fopen(o_.metrics_out.c_str(), p_.iteration == 1 && !o_.append_metrics ? "w" : "a");
    if (f == nullptr) throw IoError(fmt::format("--metrics-out {}: cannot write", o_.metrics_out));
    std::fprintf(f, "%s\n", json.c_str());
    std::fclose(f);
  }
  return m.validation;
}

// Returns true when training should stop early.
bool Driver::update_early_stopping(const AlsFit& fit, double metric, bool lower_is_better) {
  if (std::isnan(metric)) {
    p_.best_iteration = p_.iteration;
    return false;
  }
  double gain = lower_is_better ? p_.best_metric - metric : metric - p_.best_metric;
  if (p_.best_iteration == 0 || gain > o_.tolerance) {
    p_.best = fit.state();
    p_.best_iteration = p_.iteration;
    p_.best_metric = metric;
    p_.bad_iterations = 0;
    return false;
  }
  ++p_.bad_iterations;
  return o_.early_stop_patience > 0 && p_.bad_iterations >= o_.early_stop_patience;
}

}  // namespace animerec::train
