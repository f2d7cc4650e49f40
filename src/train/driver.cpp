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
  return DriverOutcome::kFinished;
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
  double rate = 2.0 * static_cast<double>(fit.train_entries()) / seconds;
  int remaining = o_.iterations - p_.iteration;
  const std::string part =
      o_.metrics_part.empty() ? "" : fmt::format("\"part\": \"{}\", ", o_.metrics_part);
  std::string json = fmt::format(
      "{{{}\"iteration\": {}, \"{}\": {:.6f}, \"{}\": {}, \"seconds\": {:.3f}, "
      "\"ratings_per_second\": {:.0f}, "
      "\"eta_seconds\": {:.1f}}}",
      part, p_.iteration, m.train_name, m.train, m.validation_name,
      std::isnan(m.validation) ? std::string("null") : fmt::format("{:.6f}", m.validation), seconds,
      rate, remaining * seconds);
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
