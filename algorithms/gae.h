// Generalized advantage estimation (Schulman et al. 2016), shared by PPO, APA and AIHF:
//   δ_t = r_t + γ V(s_{t+1}) − V(s_t)     (V(s_{t+1}) = 0 after termination, V(final obs) after
//                                           truncation: batch.next_values holds it)
//   Â_t = δ_t + γ λ Â_{t+1}               (the sum stops at an episode end)
//   R_t = Â_t + V(s_t)
#pragma once

#include "agents/trajectory_batch.h"

namespace tandem::algorithms {

// Fills batch.advantages and batch.returns ([B, T]) from rewards, values, next_values,
// episode_end and mask (steps with mask 0 get 0 and do not carry the sum).
void compute_gae(agents::TrajectoryBatch& batch, double gamma, double lambda);

// (x − mean) / std over the steps where mask is 1 (steps with mask 0 come out 0).
torch::Tensor whiten(const torch::Tensor& x, const torch::Tensor& mask);

// Mean of x over the steps where mask is 1.
torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& mask);

}  // namespace tandem::algorithms
