#include "algorithms/evaluation.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "algorithms/rollout.h"
#include "envs/thread_pool.h"

namespace tandem::algorithms {

double distinct_bigrams(const std::vector<std::vector<int64_t>>& sequences) {
  std::set<std::pair<int64_t, int64_t>> distinct;
  int64_t total = 0;
  for (const auto& seq : sequences) {
    for (size_t t = 1; t < seq.size(); ++t) {
      distinct.emplace(seq[t - 1], seq[t]);
      ++total;
    }
  }
  return total == 0 ? std::numeric_limits<double>::quiet_NaN()
                    : static_cast<double>(distinct.size()) / total;
}

EpisodeSet run_episodes(agents::PolicyImpl& policy, std::vector<std::unique_ptr<envs::Env>>& envs,
                        const std::vector<std::vector<float>>& first_obs, bool deterministic,
                        int threads) {
  torch::NoGradGuard no_grad;
  ThreadPool pool(static_cast<int>(std::min<int64_t>(threads, envs.size())));
  const int64_t episodes = static_cast<int64_t>(envs.size());
  const envs::EnvSpec& spec = envs.front()->spec();
  const int64_t dim = spec.observation_space.flat_size();
  const int64_t act_dim = spec.action_space.flat_size();

  EpisodeSet out;
  out.returns.assign(episodes, 0.0);
  out.lengths.assign(episodes, 0);
  out.summaries.resize(episodes);
  torch::Tensor obs = torch::zeros({episodes, dim});
  auto set_row = [&](int64_t k, const std::vector<float>& o) {
    std::memcpy(obs.data_ptr<float>() + k * dim, o.data(), dim * sizeof(float));
  };
  for (int64_t k = 0; k < episodes; ++k) {
    set_row(k, first_obs[k]);
    out.contexts.push_back(envs[k]->context());
  }

  std::vector<bool> running(episodes, true);
  std::vector<torch::Tensor> step_obs, step_env_obs, step_actions, step_mask;
  agents::PolicyState state = policy.initial_state(episodes);
  for (int64_t live = episodes; live > 0;) {
    torch::Tensor policy_obs = policy.preprocess(obs, /*update=*/false);
    agents::ActResult a = policy.act(policy_obs, state, deterministic);
    state = a.state;
    torch::Tensor alive = torch::empty({episodes});
    for (int64_t k = 0; k < episodes; ++k) alive.data_ptr<float>()[k] = running[k] ? 1.0f : 0.0f;
    step_obs.push_back(policy_obs.clone());
    step_env_obs.push_back(obs.clone());
    torch::Tensor act = clip_to_space(a.action, spec.action_space).contiguous();
    step_actions.push_back(act.to(torch::kFloat32).reshape({episodes, act_dim}).clone());
    step_mask.push_back(alive);
    const float* as = act.data_ptr<float>();
    std::vector<char> ended(episodes, 0);
    pool.parallel_for(episodes, [&](int64_t k) {
      if (!running[k]) return;
      envs::StepResult r =
          envs[k]->step(std::vector<float>(as + k * act_dim, as + (k + 1) * act_dim));
      out.returns[k] += r.reward;
      out.lengths[k] += 1;
      set_row(k, r.obs);
      if (r.terminated || r.truncated) {
        out.summaries[k] = envs[k]->describe_episode();
        ended[k] = 1;
      }
    });
    for (int64_t k = 0; k < episodes; ++k) {
      if (!ended[k]) continue;
      running[k] = false;
      --live;
    }
  }
  agents::TrajectoryBatch& b = out.batch;
  b.obs = torch::stack(step_obs, 1);          // [E, T, obs_dim]
  b.env_obs = torch::stack(step_env_obs, 1);  // [E, T, obs_dim]
  b.actions = torch::stack(step_actions, 1);  // [E, T, act_dim]
  b.mask = torch::stack(step_mask, 1);        // [E, T]
  b.episode_start = torch::zeros_like(b.mask, torch::kBool);
  b.episode_start.select(1, 0).fill_(true);
  return out;
}

EvalStats evaluate_policy(agents::PolicyImpl& policy,
                          const std::function<std::unique_ptr<envs::Env>()>& make_env,
                          int64_t episodes, uint64_t seed, bool deterministic, int threads) {
  std::vector<std::unique_ptr<envs::Env>> envs;
  std::vector<std::vector<float>> first_obs;
  for (int64_t k = 0; k < episodes; ++k) {
    envs.push_back(make_env());
    first_obs.push_back(envs.back()->reset(seed + k));
  }
  EpisodeSet set = run_episodes(policy, envs, first_obs, deterministic, threads);

  EvalStats s;
  const std::vector<double>& returns = set.returns;
  s.returns = returns;
  s.return_min = s.return_max = returns[0];
  for (int64_t k = 0; k < episodes; ++k) {
    s.return_mean += returns[k] / episodes;
    s.length_mean += static_cast<double>(set.lengths[k]) / episodes;
    s.return_min = std::min(s.return_min, returns[k]);
    s.return_max = std::max(s.return_max, returns[k]);
  }
  for (double r : returns) s.return_std += (r - s.return_mean) * (r - s.return_mean) / episodes;
  s.return_std = std::sqrt(s.return_std);
  s.distinct_2 = std::numeric_limits<double>::quiet_NaN();
  if (envs.front()->spec().action_space.is_discrete()) {
    std::vector<std::vector<int64_t>> sequences(episodes);
    torch::Tensor actions = set.batch.actions.contiguous();
    for (int64_t k = 0; k < episodes; ++k)
      for (int64_t t = 0; t < set.lengths[k]; ++t)
        sequences[k].push_back(static_cast<int64_t>(actions[k][t][0].item<float>()));
    s.distinct_2 = distinct_bigrams(sequences);
  }
  s.episodes = std::move(set.batch);
  s.summaries = std::move(set.summaries);
  return s;
}

}  // namespace tandem::algorithms
