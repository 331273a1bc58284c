#include "algorithms/demonstration_pairs.h"

#include <torch/torch.h>

#include "algorithms/evaluation.h"

namespace tandem::algorithms {
namespace {

bool same_actions(const Episode& a, const Episode& b) {
  return a.actions.sizes() == b.actions.sizes() && torch::equal(a.actions, b.actions);
}

}  // namespace

std::vector<PreferencePair> demonstration_pairs(agents::PolicyImpl& sampler,
                                                const EnvFactory& make_env,
                                                const std::vector<Episode>& demos) {
  std::vector<PreferencePair> out;
  for (size_t start = 0; start < demos.size(); start += 64) {
    const size_t end = std::min(demos.size(), start + 64);
    std::vector<std::unique_ptr<envs::Env>> envs;
    std::vector<std::vector<float>> first;
    for (size_t i = start; i < end; ++i) {
      envs.push_back(make_env());
      first.push_back(envs.back()->reset_to_context(demos[i].context));
    }
    EpisodeSet set = run_episodes(sampler, envs, first, /*deterministic=*/false);
    for (size_t i = start; i < end; ++i) {
      const int64_t k = static_cast<int64_t>(i - start);
      PreferencePair p;
      p.chosen = demos[i];
      p.rejected.context = set.contexts[k];
      p.rejected.env_obs = set.batch.env_obs[k].slice(0, 0, set.lengths[k]).clone();
      p.rejected.actions = set.batch.actions[k].slice(0, 0, set.lengths[k]).clone();
      p.rejected.gold_return = set.returns[k];
      if (!same_actions(p.chosen, p.rejected)) out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace tandem::algorithms
