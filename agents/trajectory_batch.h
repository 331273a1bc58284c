// Padded trajectories [B, T, ...] with a mask: the one container for rollouts, demonstrations
// and preference segments. A trajectory's log-likelihood is the masked sum of its per-step
// log-probs, so losses on token sequences and on control segments are the same code.
#pragma once

#include <torch/types.h>

namespace tandem::agents {

struct TrajectoryBatch {
  // always present
  torch::Tensor obs;            // [B, T, obs_dim] float, as the policy sees it (preprocessed)
  torch::Tensor actions;        // [B, T, act_dim] float (Discrete: [B, T, 1] holding indices)
  torch::Tensor mask;           // [B, T] float, 1 on valid steps
  torch::Tensor episode_start;  // [B, T] bool, a stateful policy resets its state here
  torch::Tensor env_obs;        // [B, T, obs_dim] float, as the env gave them: what reward models
                                //   read (a policy's observation normalizer keeps moving)
  // filled by rollout collection (undefined for datasets)
  torch::Tensor rewards;        // [B, T] float, the learner's reward (env's, or a reward model's)
  torch::Tensor log_probs;      // [B, T] float, log π_old(a_t|s_t) at collection time
  torch::Tensor ref_log_probs;  // [B, T] float, log π_ref(a_t|s_t) of the frozen start policy
  torch::Tensor values;         // [B, T] float, V_old(s_t)
  torch::Tensor next_values;    // [B, T] float, V_old(s_{t+1}); 0 after termination, V(final obs)
                                //   after truncation
  torch::Tensor episode_end;    // [B, T] bool, terminated or truncated at t (GAE stops here)
  // filled by advantage estimation
  torch::Tensor advantages;  // [B, T] float
  torch::Tensor returns;     // [B, T] float, advantages + values

  int64_t size() const { return obs.size(0); }
  int64_t horizon() const { return obs.size(1); }

  // Rows `index` (a 1-D long tensor) of every defined field.
  TrajectoryBatch select_rows(const torch::Tensor& index) const;
  // Rows [start, end) of every defined field, as views (no copy).
  TrajectoryBatch slice_rows(int64_t start, int64_t end) const;
  // [B, T, ...] -> [B*T, 1, ...]: every step its own length-1 trajectory. Valid only for
  // stateless policies; lets an algorithm shuffle steps rather than whole rows.
  TrajectoryBatch flatten_steps() const;
  // Masked sum over time of a [B, T] tensor: [B].
  torch::Tensor masked_sum(const torch::Tensor& per_step) const;
};

}  // namespace tandem::agents
