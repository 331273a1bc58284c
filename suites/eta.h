// The suite's remaining time, from rates measured per kind of run (env × algorithm × contender
// label, the label left out where it is the algorithm's name): a text run's
// tokens, a Hopper run's env steps and an offline learner's preference pairs take very different
// times, so they are never summed as one unit. A kind's rate is the seconds per step of its
// finished runs, measured from each run's first metrics line (start-up and one-off cache builds
// left out: the runner adds the builds in progress on their own), else of its running ones; a kind
// not measured yet is estimated from the rate remembered from earlier suites on this machine (the
// cache folder's eta_rates.json), else at the mean time of the runs finished so far. The wall time
// left follows the runner's schedule: queued runs start, in order, on the worker that frees first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::suites {

class EtaModel {
 public:
  struct Running {
    std::string kind;
    int64_t done = 0, total = 0;  // steps
    double seconds = 0;           // since it started
  };
  struct Queued {
    std::string kind;
    int64_t total = 0;
  };

  // A run of `kind` ended: `steps` took `seconds` from its first metrics line on, and `startup`
  // seconds went before that line (process start, model build; a kind's quickest start-up counts,
  // since a run that waited for a cache build started slowly once).
  void finished(const std::string& kind, int64_t steps, double seconds, double startup = 0);
  // The rates measured before, from `path`: each kind in it replaces what an earlier load gave
  // (so a machine's own rates come after the repository's reference ones). An absent or damaged
  // file adds nothing: a remembered rate is a hint, never a reason to stop a suite.
  void load_remembered(const std::string& path);
  // Writes the remembered rates with this suite's finished kinds replacing theirs.
  void remember(const std::string& path) const;
  // Seconds of wall time left, none while nothing has been measured that could estimate it.
  std::optional<double> remaining(const std::vector<Running>& running,
                                  const std::vector<Queued>& queued, int64_t jobs) const;

 private:
  struct Measured {
    double seconds = 0;
    int64_t steps = 0, runs = 0;
    double startup = 0;  // the quickest start-up seen
  };
  std::map<std::string, Measured> finished_, remembered_;
};

}  // namespace tandem::suites
