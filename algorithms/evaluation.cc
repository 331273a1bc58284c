#include "algorithms/evaluation.h"

#include <cmath>
#include <cstring>

#include <torch/torch.h>

#include "algorithms/rollout.h"

namespace tandem::algorithms {

EvalStats evaluate_policy(agents::PolicyImpl& policy,
                          const std::function<std::unique_ptr<envs::Env>()>& make_env,
                          int64_t episodes, uint64_t seed, bool deterministic) {
  torch::NoGradGuard no_grad;
  std::vector<std::unique_ptr<envs::Env>> envs;
  for (int64_t k = 0; k < episodes; ++k) envs.push_back(make_env());
  const envs::EnvSpec& spec = envs.front()->spec();
  const int64_t dim = spec.observation_space.flat_size();
  const int64_t act_dim = spec.action_space.flat_size();

  torch::Tensor obs = torch::zeros({episodes, dim});
  auto set_row = [&](int64_t k, const std::vector<float>& o) {
    std::memcpy(obs.data_ptr<float>() + k * dim, o.data(), dim * sizeof(float));
  };
  for (int64_t k = 0; k < episodes; ++k) set_row(k, envs[k]->reset(seed + k));

  std::vector<double> returns(episodes, 0.0), lengths(episodes, 0.0);
  std::vector<bool> running(episodes, true);
  agents::PolicyState state = policy.initial_state(episodes);
  for (int64_t live = episodes; live > 0;) {
    agents::ActResult a = policy.act(policy.preprocess(obs, /*update=*/false), state, deterministic);
    state = a.state;
    torch::Tensor act = clip_to_space(a.action, spec.action_space).contiguous();
    const float* as = act.data_ptr<float>();
    for (int64_t k = 0; k < episodes; ++k) {
      if (!running[k]) continue;
      envs::StepResult r = envs[k]->step(std::vector<float>(as + k * act_dim, as + (k + 1) * act_dim));
      returns[k] += r.reward;
      lengths[k] += 1;
      set_row(k, r.obs);
      if (r.terminated || r.truncated) {
        running[k] = false;
        --live;
      }
    }
  }

  EvalStats s;
  s.returns = returns;
  s.return_min = s.return_max = returns[0];
  for (int64_t k = 0; k < episodes; ++k) {
    s.return_mean += returns[k] / episodes;
    s.length_mean += lengths[k] / episodes;
    s.return_min = std::min(s.return_min, returns[k]);
    s.return_max = std::max(s.return_max, returns[k]);
  }
  for (double r : returns) s.return_std += (r - s.return_mean) * (r - s.return_mean) / episodes;
  s.return_std = std::sqrt(s.return_std);
  return s;
}

}  // namespace tandem::algorithms
