#include "algorithms/rollout.h"

#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "envs/error.h"

namespace tandem::algorithms {

torch::Tensor clip_to_space(const torch::Tensor& actions, const envs::Space& space) {
  if (!space.is_box()) return actions;
  torch::Tensor out = actions.contiguous().clone();
  float* a = out.data_ptr<float>();
  const int64_t dim = space.flat_size(), rows = out.numel() / dim;
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < dim; ++j) {
      float& x = a[i * dim + j];
      if (std::isfinite(space.low[j]) && x < space.low[j]) x = static_cast<float>(space.low[j]);
      if (std::isfinite(space.high[j]) && x > space.high[j]) x = static_cast<float>(space.high[j]);
    }
  }
  return out;
}

RolloutCollector::RolloutCollector(envs::VectorEnv& envs, uint64_t seed)
    : envs_(envs), seed_(seed) {}

std::vector<envs::FinishedEpisode> RolloutCollector::take_finished() {
  std::vector<envs::FinishedEpisode> out;
  out.swap(finished_);
  return out;
}

agents::TrajectoryBatch RolloutCollector::collect(agents::PolicyImpl& policy, int64_t steps) {
  torch::NoGradGuard no_grad;
  const int64_t n = envs_.num_envs();
  const envs::EnvSpec& spec = envs_.spec();
  const int64_t obs_dim = spec.observation_space.flat_size();
  const int64_t act_dim = spec.action_space.flat_size();
  // whole-episode mode (no auto-reset): every call starts N fresh episodes
  const bool whole_episodes = !envs_.auto_reset();
  if (!started_ || whole_episodes) {
    raw_obs_ = envs_.reset(seed_ + static_cast<uint64_t>(rollouts_ * n));
    episode_start_ = torch::ones({n}, torch::kBool);
    state_ = policy.initial_state(n);
    started_ = true;
  }
  ++rollouts_;

  // time-major buffers: one step's write is one contiguous block
  torch::Tensor obs = torch::empty({steps, n, obs_dim});
  torch::Tensor env_obs = torch::empty({steps, n, obs_dim});
  torch::Tensor actions = torch::empty({steps, n, act_dim});
  torch::Tensor rewards = torch::empty({steps, n});
  torch::Tensor log_probs = torch::empty({steps, n});
  torch::Tensor values = torch::empty({steps, n});
  torch::Tensor truncated = torch::zeros({steps, n}, torch::kBool);
  torch::Tensor truncated_values = torch::zeros({steps, n});  // V(final obs) of truncated episodes
  torch::Tensor episode_start = torch::empty({steps, n}, torch::kBool);
  torch::Tensor episode_end = torch::empty({steps, n}, torch::kBool);
  torch::Tensor mask = torch::ones({steps, n});
  auto put = [](torch::Tensor& buffer, int64_t t, const torch::Tensor& x) {
    torch::Tensor src = x.contiguous();
    const int64_t row = buffer.numel() / buffer.size(0);
    std::memcpy(static_cast<char*>(buffer.data_ptr()) + t * row * buffer.element_size(),
                src.data_ptr(), row * buffer.element_size());
  };

  torch::Tensor obs_in = policy.preprocess(raw_obs_, /*update=*/true);
  int64_t used = steps;
  for (int64_t t = 0; t < steps; ++t) {
    int64_t live = n;
    if (whole_episodes) {
      float* m = mask.data_ptr<float>() + t * n;
      live = 0;
      for (int64_t i = 0; i < n; ++i) live += (m[i] = envs_.running(i) ? 1.0f : 0.0f) > 0;
      if (live == 0) {
        used = t;
        break;
      }
    }
    agents::ActResult a = policy.act(obs_in, state_);
    envs::VectorStep s = envs_.step(clip_to_space(a.action, spec.action_space));
    env_steps_ += live;

    put(obs, t, obs_in);
    put(env_obs, t, raw_obs_);
    put(actions, t, a.action);
    put(rewards, t, s.reward);
    put(log_probs, t, a.log_prob);
    put(values, t, a.value);
    put(episode_start, t, episode_start_);
    torch::Tensor ended = s.terminated.logical_or(s.truncated);
    put(episode_end, t, ended);

    torch::Tensor next_in = policy.preprocess(s.obs, /*update=*/true);
    state_ = a.state;
    if (!s.finished.empty()) {
      put(truncated, t, s.truncated);
      if (s.truncated.any().item<bool>()) {
        torch::Tensor final_in = policy.preprocess(s.final_obs, /*update=*/false);
        put(truncated_values, t, policy.value(final_in, state_));
      }
      if (!whole_episodes) state_ = policy.reset_state(state_, ended);
      for (const auto& e : s.finished) finished_.push_back(e);
    }
    episode_start_ = ended;
    raw_obs_ = s.obs;
    obs_in = next_in;
  }

  if (used < steps) {
    for (torch::Tensor* b : {&obs, &env_obs, &actions, &rewards, &log_probs, &values, &truncated,
                             &truncated_values, &episode_start, &episode_end, &mask})
      *b = b->slice(0, 0, used);
  }

  // V(s_{t+1}): the next step's stored value inside an episode (the value after the last step
  // for the final one); the final observation's value after truncation; 0 after termination
  torch::Tensor last_value = policy.value(obs_in, state_).unsqueeze(0);         // [1, N]
  torch::Tensor next_values = torch::cat({values.slice(0, 1), last_value}, 0);  // [T, N]
  next_values = torch::where(
      episode_end, torch::where(truncated, truncated_values, torch::zeros_like(next_values)),
      next_values);

  // [T, N, ...] -> [N, T, ...]
  agents::TrajectoryBatch b;
  b.obs = obs.transpose(0, 1).contiguous();
  b.env_obs = env_obs.transpose(0, 1).contiguous();
  b.actions = actions.transpose(0, 1).contiguous();
  b.rewards = rewards.t().contiguous();
  b.log_probs = log_probs.t().contiguous();
  b.values = values.t().contiguous();
  b.next_values = next_values.t().contiguous();
  b.episode_start = episode_start.t().contiguous();
  b.episode_end = episode_end.t().contiguous();
  b.mask = mask.t().contiguous();
  return b;
}

void RewardScaler::observe(double x) {
  const double total = count_ + 1, delta = x - mean_;
  mean_ += delta / total;
  var_ = (var_ * count_ + delta * delta * count_ / total) / total;
  count_ = total;
}

void RewardScaler::apply(agents::TrajectoryBatch& batch) {
  const int64_t n = batch.size(), steps = batch.horizon();
  if (static_cast<int64_t>(running_return_.size()) != n) running_return_.assign(n, 0.0);
  torch::Tensor r = batch.rewards.contiguous();
  torch::Tensor ends = batch.episode_end.contiguous();
  torch::Tensor mask = batch.mask.contiguous();
  float* rs = r.data_ptr<float>();
  const bool* end = ends.data_ptr<bool>();
  const float* valid = mask.data_ptr<float>();
  // the running statistics see the returns in time order, as an online wrapper would; the whole
  // rollout is then scaled with the statistics at its end (one scale per batch)
  const bool scores = statistic_ == Statistic::kEpisodeScore;
  for (int64_t t = 0; t < steps; ++t) {
    for (int64_t i = 0; i < n; ++i) {
      if (valid[i * steps + t] == 0) continue;
      double& g = running_return_[i];
      g = scores ? g + rs[i * steps + t] : g * gamma_ + rs[i * steps + t];
      const bool last =
          end[i * steps + t] || (t + 1 == steps) || (scores && valid[i * steps + t + 1] == 0);
      if (!scores)
        observe(g);
      else if (last)
        observe(g);  // one sample per episode: its score
      if (end[i * steps + t] || (scores && last)) g = 0;
    }
  }
  const double scale = 1.0 / std();
  for (int64_t k = 0; k < n * steps; ++k) {
    rs[k] = static_cast<float>(std::clamp(rs[k] * scale, -clip_, clip_));
  }
  batch.rewards = r;
}

double RewardScaler::std() const { return std::sqrt(var_ + 1e-8); }

json RewardScaler::state() const {
  return {{"mean", mean_}, {"var", var_}, {"count", count_}, {"running_return", running_return_}};
}

void RewardScaler::restore(const json& state) {
  mean_ = state.at("mean");
  var_ = state.at("var");
  count_ = state.at("count");
  running_return_ = state.value("running_return", std::vector<double>{});
}

void RolloutCollector::save(torch::serialize::OutputArchive& archive) const {
  archive.write("rollouts", c10::IValue(rollouts_));
  archive.write("env_steps", c10::IValue(env_steps_));
  // whole-episode collection starts every rollout afresh: only the counters matter
  const bool in_flight = started_ && envs_.auto_reset();
  archive.write("in_flight", c10::IValue(in_flight));
  if (!in_flight) return;
  const std::string envs = envs_.save_state();
  archive.write("envs", torch::from_blob(const_cast<char*>(envs.data()),
                                         {static_cast<int64_t>(envs.size())}, torch::kUInt8)
                            .clone());
  archive.write("raw_obs", raw_obs_);
  archive.write("episode_start", episode_start_);
  archive.write("policy_state_size", c10::IValue(static_cast<int64_t>(state_.tensors.size())));
  for (size_t k = 0; k < state_.tensors.size(); ++k)
    archive.write("policy_state_" + std::to_string(k), state_.tensors[k]);
}

void RolloutCollector::load(torch::serialize::InputArchive& archive) {
  c10::IValue v;
  archive.read("rollouts", v);
  rollouts_ = v.toInt();
  archive.read("env_steps", v);
  env_steps_ = v.toInt();
  archive.read("in_flight", v);
  started_ = v.toBool();
  finished_.clear();
  if (!started_) return;
  TANDEM_CHECK(envs_.auto_reset(), "episodes in flight resume into an auto-resetting VectorEnv");
  torch::Tensor envs;
  archive.read("envs", envs);
  envs = envs.contiguous();
  envs_.load_state(std::string(static_cast<const char*>(envs.data_ptr()), envs.numel()));
  archive.read("raw_obs", raw_obs_);
  archive.read("episode_start", episode_start_);
  archive.read("policy_state_size", v);
  state_.tensors.assign(v.toInt(), torch::Tensor());
  for (size_t k = 0; k < state_.tensors.size(); ++k)
    archive.read("policy_state_" + std::to_string(k), state_.tensors[k]);
}

}  // namespace tandem::algorithms
