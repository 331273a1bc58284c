// N copies of one env stepped together (on a thread pool). With auto-reset (the default), when an
// episode ends the env is reset at once and the returned observation is the new episode's first
// one; the last observation of the finished episode is kept in `final_obs` for bootstrapping.
// Without auto-reset, an ended env stays ended and is skipped until the next reset(): the mode
// for collecting whole episodes, one per row.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "envs/env.h"
#include "envs/thread_pool.h"

namespace tandem::envs {

struct FinishedEpisode {
  int64_t env_index = 0;
  double episode_return = 0;  // sum of the env's own rewards
  int64_t length = 0;
  bool truncated = false;
};

struct VectorStep {
  torch::Tensor obs;         // [N, obs_dim] float: next observation (after auto-reset)
  torch::Tensor reward;      // [N] float
  torch::Tensor terminated;  // [N] bool
  torch::Tensor truncated;   // [N] bool
  torch::Tensor final_obs;   // [N, obs_dim] float: the ended episode's last obs (zeros elsewhere)
  std::vector<FinishedEpisode> finished;
};

class VectorEnv {
 public:
  using Factory = std::function<std::unique_ptr<Env>()>;

  VectorEnv(const Factory& make, int64_t num_envs, int threads = 1, bool auto_reset = true);

  const EnvSpec& spec() const { return envs_.front()->spec(); }
  int64_t num_envs() const { return static_cast<int64_t>(envs_.size()); }
  Env& env(int64_t i) { return *envs_[i]; }

  // Env i is seeded with seed + i; returns [N, obs_dim].
  torch::Tensor reset(uint64_t seed);
  // actions: [N, act_dim] float (Discrete: [N, 1] holding indices), passed to the envs as given.
  // Without auto-reset, ended envs are not stepped: their rows come back zero and not ended.
  VectorStep step(const torch::Tensor& actions);
  // True while env i's episode runs (always true with auto-reset).
  bool running(int64_t i) const { return running_[i]; }
  bool auto_reset() const { return auto_reset_; }
  // Every env's state (Env::save_state) and the episode trackers (return and length so far,
  // running), as bytes: load_state() on a VectorEnv of the same env and size continues exactly.
  std::string save_state() const;
  void load_state(const std::string& state);

 private:
  std::vector<std::unique_ptr<Env>> envs_;
  ThreadPool pool_;
  std::vector<double> returns_;
  std::vector<int64_t> lengths_;
  std::vector<char> running_;
  bool auto_reset_;
};

}  // namespace tandem::envs
