// What every training run has, whatever the algorithm: the env to build, the seed, the step
// budget, evaluation, metrics, checkpoints — the RunContext — and the Algorithm interface with
// its registry. An algorithm registers itself with one line at the bottom of its own .cc:
//
//   TANDEM_REGISTER_ALGORITHM("ppo", Ppo);
//
// where Ppo has a constructor taking (const tandem::json& config, const std::string& where).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "algorithms/evaluation.h"
#include "algorithms/interrupt.h"
#include "algorithms/metrics.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::algorithms {

class RewardSource;

struct RunOptions {
  std::string env_id = "Hopper-v5";
  json env_options = json::object();
  json policy = json::object();  // policy architecture (agents::make_policy)
  uint64_t seed = 1;
  int64_t total_steps = 1000000;   // env steps of training
  int64_t eval_interval = 20000;   // env steps between evaluations
  int64_t eval_episodes = 10;      // episodes per evaluation
  bool eval_deterministic = true;  // mean action / most likely token; false: sample
  std::string out_dir;             // run folder; empty: no files written
  int threads = 1;                 // torch intra-op threads and env stepping threads
  bool progress = true;            // progress bar on stderr
  bool resume = false;             // continue from out_dir's checkpoint (none: start afresh)
};

class RunContext {
 public:
  explicit RunContext(RunOptions options);
  ~RunContext();

  // Ctrl-C or SIGTERM arrived: the learner writes its checkpoint at the next iteration boundary
  // and calls this, which throws Interrupted with how to continue.
  [[noreturn]] void stop_interrupted(int signal, int64_t env_steps) const;

  const RunOptions& options() const { return options_; }
  const envs::EnvSpec& spec() const { return spec_; }
  std::unique_ptr<envs::Env> make_env() const;
  // The policy for this run's env, built from options().policy, seeded by options().seed.
  agents::Policy make_policy() const;

  // What evaluations also measure, once an algorithm has them: KL of the evaluated episodes to
  // the reference policy (sequence-level, nats, k1 and k3 estimators; on control over the
  // sampled-action evaluation), token entropy and the win rate against the reference on the
  // same episode starts (eval/win_rate); the learned reward's score of the same episodes
  // ("proxy reward"). A deterministic evaluation also logs eval/sampled_return_mean/std.
  void set_reference(agents::Policy reference);
  void set_reward_source(std::shared_ptr<RewardSource> source) { reward_source_ = source; }

  // After each iteration: runs an evaluation when one is due (and always at the end of the
  // budget), writes a metrics line, moves the progress bar. Returns the evaluation, if any.
  // On a secondary data-parallel rank it only checks the metrics are finite.
  std::optional<EvalStats> report(int64_t env_steps, const json& train_metrics,
                                  agents::PolicyImpl& policy);
  const std::optional<EvalStats>& last_evaluation() const { return last_eval_; }

  // Where the algorithm keeps its checkpoint ("" when the run writes no files).
  std::string checkpoint_path() const;
  // Whether this process writes it: in a data-parallel run rank 0 alone does, and the other ranks
  // resume from it too (one file: a kill can never leave the ranks' checkpoints out of step).
  bool writes_checkpoints() const;
  // A data-parallel rank other than 0: it trains, but writes no metrics and never evaluates.
  static bool secondary_rank();
  // A checkpoint to continue from: options().resume and checkpoint_path() exists.
  bool resuming() const;
  // The run continues from a checkpoint at `env_steps`, taken `wall_seconds` into the run: the
  // metrics and samples files lose their lines past it (written after the checkpoint by the
  // interrupted attempt), evaluations keep their schedule, and wall time counts on from there.
  // `gradient_steps`: the count at the checkpoint.
  void resume_at(int64_t env_steps, double wall_seconds, int64_t gradient_steps = 0);
  double wall_seconds() const;

  // Every optimizer step the run takes (the policy's, and a reward model's it trains), counted
  // by the learners and logged as charts/gradient_steps on every metrics line: the compute axis
  // beside env steps (protocol §3). Checkpoints carry the count.
  void add_gradient_steps(int64_t n) { gradient_steps_ += n; }
  int64_t gradient_steps() const { return gradient_steps_; }

 private:
  RunOptions options_;
  envs::EnvSpec spec_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<MetricsWriter> samples_;
  agents::Policy reference_;
  std::shared_ptr<RewardSource> reward_source_;
  std::chrono::steady_clock::time_point start_;
  double wall_offset_ = 0;
  int64_t next_eval_ = 0;
  int64_t gradient_steps_ = 0;
  std::optional<EvalStats> last_eval_;
  std::vector<double> reference_returns_;  // π_ref's evaluation returns, per episode (win rate)
  // The run's evaluation of `policy`, on the evaluation seeds and stream (see report).
  EvalStats evaluate(agents::PolicyImpl& policy, bool deterministic);
  // The extra evaluation metrics (set_reference, set_reward_source, distinct-2) and samples.
  json evaluation_extras(int64_t env_steps, const EvalStats& eval, agents::PolicyImpl& policy);
  double last_progress_print_ = -1;
  std::unique_ptr<InterruptHandlers> interrupts_;
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // The resolved configuration, defaults included.
  virtual json config() const = 0;
  // Trains until options().total_steps env steps, reporting through ctx.
  virtual void train(RunContext& ctx) = 0;
  virtual agents::Policy policy() const = 0;
};

using AlgorithmFactory =
    std::function<std::unique_ptr<Algorithm>(const json& config, const std::string& where)>;

struct AlgorithmRegistration {
  std::string name;
  std::string source_file;
  AlgorithmFactory factory;
};

std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const json& config,
                                          const std::string& where);
std::vector<const AlgorithmRegistration*> registered_algorithms();
bool register_algorithm(const std::string& name, const std::string& source_file,
                        AlgorithmFactory factory);

}  // namespace tandem::algorithms

#define TANDEM_ALGO_CONCAT_INNER(a, b) a##b
#define TANDEM_ALGO_CONCAT(a, b) TANDEM_ALGO_CONCAT_INNER(a, b)
#define TANDEM_REGISTER_ALGORITHM(name, Type)                                                 \
  static const bool TANDEM_ALGO_CONCAT(tandem_algorithm_registered_, __LINE__) =              \
      ::tandem::algorithms::register_algorithm(                                               \
          name, __FILE__, [](const ::tandem::json& config, const std::string& where) {        \
            return std::unique_ptr<::tandem::algorithms::Algorithm>(new Type(config, where)); \
          })
