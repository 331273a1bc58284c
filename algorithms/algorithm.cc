#include "algorithms/algorithm.h"

#include <dlfcn.h>
#include <signal.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "agents/policy_factory.h"
#include "agents/torch_seed.h"
#include "algorithms/data_parallel.h"
#include "algorithms/divergence.h"
#include "algorithms/interrupt.h"
#include "algorithms/reward_source.h"
#include "envs/error.h"
#include "envs/human_format.h"
#include "envs/registry.h"

namespace tandem::algorithms {
namespace {

std::map<std::string, AlgorithmRegistration>& table() {
  static std::map<std::string, AlgorithmRegistration> algorithms;
  return algorithms;
}

}  // namespace

bool register_algorithm(const std::string& name, const std::string& source_file,
                        AlgorithmFactory factory) {
  auto [it, inserted] =
      table().emplace(name, AlgorithmRegistration{name, source_file, std::move(factory)});
  if (!inserted) {
    std::fprintf(stderr, "tandem: algorithm '%s' is registered twice: in %s and in %s\n",
                 name.c_str(), it->second.source_file.c_str(), source_file.c_str());
    std::abort();
  }
  return true;
}

std::unique_ptr<Algorithm> make_algorithm(const std::string& name, const json& config,
                                          const std::string& where) {
  auto it = table().find(name);
  if (it == table().end()) {
    std::string list;
    for (const auto& [n, reg] : table()) list += (list.empty() ? "" : ", ") + n;
    throw Error("unknown algorithm '" + name + "' (registered: " + list +
                "; see `tandem list algorithms`)");
  }
  return it->second.factory(config, where);
}

std::vector<const AlgorithmRegistration*> registered_algorithms() {
  std::vector<const AlgorithmRegistration*> out;
  for (const auto& [n, reg] : table()) out.push_back(&reg);
  return out;
}

RunContext::RunContext(RunOptions options)
    : options_(std::move(options)), start_(std::chrono::steady_clock::now()) {
  if (options_.total_steps < 1) throw Error("the step budget must be at least 1 env step");
  if (options_.eval_episodes < 1) throw Error("evaluation needs at least 1 episode");
  if (options_.eval_interval < 1) throw Error("the evaluation interval must be at least 1 step");
  spec_ = make_env()->spec();
  torch::manual_seed(options_.seed);
  torch::set_num_threads(std::max(1, options_.threads));
  // Debian's LibTorch multiplies matrices in OpenBLAS, whose own thread pool ignores torch's
  // setting and spins against it (measured: 3-4x slower LM training on 2 cores)
  using SetThreads = void (*)(int);
  if (auto set_blas_threads =
          reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set_blas_threads(std::max(1, options_.threads));
  // in a data-parallel run rank 0 alone writes the run's files (each rank its own checkpoint)
  if (!options_.out_dir.empty() && !secondary_rank()) {
    metrics_ = std::make_unique<MetricsWriter>(options_.out_dir + "/metrics.jsonl");
    // samples only where an episode is worth reading (text): a control episode is numbers
    if (spec_.action_space.is_discrete())
      samples_ = std::make_unique<MetricsWriter>(options_.out_dir + "/samples.jsonl");
  }
  interrupts_ = std::make_unique<InterruptHandlers>();
}

RunContext::~RunContext() = default;

void RunContext::stop_interrupted(int signal, int64_t env_steps) const {
  const char* name = signal == SIGINT    ? "Ctrl-C (SIGINT)"
                     : signal == SIGTERM ? "SIGTERM"
                                         : "a signal";
  std::string message =
      "interrupted by " + std::string(name) + " at " + std::to_string(env_steps) + " env steps";
  if (options_.out_dir.empty()) throw Interrupted(signal, message + " (the run writes no files)");
  throw Interrupted(signal, message + "; the checkpoint is in " + checkpoint_path() +
                                ": run the same command with --resume to continue from there");
}

std::unique_ptr<envs::Env> RunContext::make_env() const {
  return envs::make_env(options_.env_id, options_.env_options);
}

agents::Policy RunContext::make_policy() const {
  return agents::make_policy(*make_env(), options_.policy, "policy config", options_.progress);
}

EvalStats RunContext::evaluate(agents::PolicyImpl& policy, bool deterministic) {
  const uint64_t seed = options_.seed * 1000003ull + 1000000007ull;
  // evaluation seeds live far from training's (seed, seed + 1, ... per env), and its sampling
  // runs on a random stream of its own, the same at every evaluation: evaluating does not shift
  // training's random numbers, and two policies (the learner and π_ref) are compared on the
  // same episode starts and the same sampling noise
  agents::TorchSeedScope scope(seed);
  return evaluate_policy(
      policy,
      [this] {
        auto env = make_env();
        env->set_evaluation(true);
        return env;
      },
      options_.eval_episodes, seed, deterministic, options_.threads);
}

void RunContext::set_reference(agents::Policy reference) {
  reference_ = std::move(reference);
  reference_returns_.clear();
}

json RunContext::evaluation_extras(int64_t env_steps, const EvalStats& eval,
                                   agents::PolicyImpl& policy) {
  json out = json::object();
  if (std::isfinite(eval.distinct_2)) out["eval/distinct_2"] = eval.distinct_2;
  torch::NoGradGuard no_grad;
  // A deterministic evaluation (control: the mean action) is joined by one that samples: a
  // preference learner may change the action distribution more than its mean. KL to π_ref is
  // measured on the sampled episodes then — the learner's own states and actions.
  std::optional<EvalStats> sampled;
  if (options_.eval_deterministic && !std::isfinite(eval.distinct_2)) {
    sampled = evaluate(policy, /*deterministic=*/false);
    out["eval/sampled_return_mean"] = sampled->return_mean;
    out["eval/sampled_return_std"] = sampled->return_std;
  }
  const agents::TrajectoryBatch& episodes = sampled ? sampled->episodes : eval.episodes;
  if (reference_) {
    // win rate against π_ref on the same episode starts (and sampling noise): 1 per episode
    // where the learner's return is higher, ½ per tie (protocol §5); π_ref's episodes are
    // evaluated once and kept (the same every time: the evaluation's stream is fixed)
    if (reference_returns_.empty())
      reference_returns_ = evaluate(*reference_, options_.eval_deterministic).returns;
    double wins = 0;
    for (size_t k = 0; k < eval.returns.size(); ++k)
      wins += eval.returns[k] > reference_returns_[k]    ? 1.0
              : eval.returns[k] == reference_returns_[k] ? 0.5
                                                         : 0.0;
    out["eval/win_rate"] = wins / static_cast<double>(eval.returns.size());
    agents::EvaluateResult now = policy.evaluate(episodes);
    agents::EvaluateResult ref = agents::evaluate_own_view(*reference_, episodes);
    torch::Tensor log_ratio = (now.log_prob - ref.log_prob) * episodes.mask;  // [E, T]
    torch::Tensor k3 = (torch::exp(-log_ratio) - 1 + log_ratio) * episodes.mask;
    out["eval/kl_ref"] = log_ratio.sum(1).mean().item<double>();
    out["eval/kl_ref_k3"] = k3.sum(1).mean().item<double>();
    out["eval/entropy"] =
        ((now.entropy * episodes.mask).sum() / episodes.mask.sum()).item<double>();
  }
  if (reward_source_) {
    agents::TrajectoryBatch scored = episodes;
    scored.rewards = torch::zeros_like(episodes.mask);
    reward_source_->relabel(scored);
    out["eval/proxy_reward"] = scored.masked_sum(scored.rewards).mean().item<double>();
  }
  if (samples_) {
    // a few episodes per evaluation, always the same evaluation seeds: progress reads across lines
    for (size_t k = 0; k < std::min<size_t>(4, eval.summaries.size()); ++k) {
      json line = {{"env_steps", env_steps}, {"return", eval.returns[k]}};
      if (eval.summaries[k].is_object()) line.update(eval.summaries[k]);
      samples_->write(line);
    }
  }
  return out;
}

std::string RunContext::checkpoint_path() const {
  return options_.out_dir.empty() ? "" : options_.out_dir + "/checkpoint.pt";
}

bool RunContext::writes_checkpoints() const {
  return !checkpoint_path().empty() && !secondary_rank();
}

bool RunContext::secondary_rank() {
  const DataParallel* dp = data_parallel();
  return dp && dp->rank() > 0;
}

double RunContext::wall_seconds() const {
  return wall_offset_ +
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

bool RunContext::resuming() const {
  return options_.resume && !checkpoint_path().empty() &&
         std::filesystem::exists(checkpoint_path());
}

namespace {

// Keeps the complete lines of a metrics-like file whose env_steps is at most `env_steps`.
void truncate_after(const std::string& path, int64_t env_steps) {
  if (!std::filesystem::exists(path)) return;
  std::string kept;
  for (const json& line : read_metrics(path))
    if (line.value("env_steps", int64_t{0}) <= env_steps)
      kept += line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  write_file_atomic(path, kept);
}

}  // namespace

void RunContext::resume_at(int64_t env_steps, double wall_seconds, int64_t gradient_steps) {
  gradient_steps_ = gradient_steps;
  if (metrics_) {
    truncate_after(options_.out_dir + "/metrics.jsonl", env_steps);
    metrics_ = std::make_unique<MetricsWriter>(options_.out_dir + "/metrics.jsonl");
  }
  if (samples_) {
    truncate_after(options_.out_dir + "/samples.jsonl", env_steps);
    samples_ = std::make_unique<MetricsWriter>(options_.out_dir + "/samples.jsonl");
  }
  while (next_eval_ <= env_steps) next_eval_ += options_.eval_interval;
  wall_offset_ = wall_seconds;
  start_ = std::chrono::steady_clock::now();
}

std::optional<EvalStats> RunContext::report(int64_t env_steps, const json& train_metrics,
                                            agents::PolicyImpl& policy) {
  const bool last = env_steps >= options_.total_steps;
  check_metrics_finite(train_metrics, env_steps);  // also between evaluations
  if (secondary_rank()) return std::nullopt;       // rank 0 evaluates, writes and shows progress
  std::optional<EvalStats> eval;
  if (env_steps >= next_eval_ || last) {
    eval = evaluate(policy, options_.eval_deterministic);
    last_eval_ = eval;
    while (next_eval_ <= env_steps) next_eval_ += options_.eval_interval;
  }
  const double wall = wall_seconds();
  if (metrics_ && eval) {
    json line = {{"env_steps", env_steps}, {"wall_seconds", wall}};
    line["eval/return_mean"] = eval->return_mean;
    line["eval/return_std"] = eval->return_std;
    line["eval/return_min"] = eval->return_min;
    line["eval/return_max"] = eval->return_max;
    line["eval/length_mean"] = eval->length_mean;
    line["eval/episodes"] = options_.eval_episodes;
    line["charts/gradient_steps"] = gradient_steps_;
    line.update(evaluation_extras(env_steps, *eval, policy));
    for (auto it = train_metrics.begin(); it != train_metrics.end(); ++it) line[it.key()] = *it;
    check_metrics_finite(line, env_steps);
    metrics_->write(line);
  }

  // progress: redrawn in place on a terminal, a line every ~10% otherwise
  if (options_.progress) {
    const double frac = std::min(1.0, static_cast<double>(env_steps) / options_.total_steps);
    const bool tty = ::isatty(STDERR_FILENO);
    if (tty || last || frac - last_progress_print_ >= 0.1) {
      last_progress_print_ = frac;
      const int width = 30, filled = static_cast<int>(frac * width);
      const double rate = env_steps / std::max(wall, 1e-9);
      const double eta = (options_.total_steps - env_steps) / std::max(rate, 1e-9);
      std::string bar(filled, '#');
      bar += std::string(width - filled, '.');
      // %.4g: control returns in the thousands and text gold rewards in [0, 1] both read well
      char eval_text[64] = "";
      if (last_eval_)
        std::snprintf(eval_text, sizeof(eval_text), " | eval return %.4g", last_eval_->return_mean);
      std::fprintf(stderr, "%s[%s] %s/%s steps | %.0f steps/s | ETA %s%s%s", tty ? "\r" : "",
                   bar.c_str(), human_count(env_steps).c_str(),
                   human_count(options_.total_steps).c_str(), rate, human_seconds(eta).c_str(),
                   eval_text, tty && !last ? "   " : "\n");
      std::fflush(stderr);
    }
  }
  return eval;
}

}  // namespace tandem::algorithms
