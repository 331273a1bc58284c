// Advantage labels for segment preferences (label "advantage"): a segment's gold return carries
// the value of the state it starts from, which no log-ratio of its actions can express, and
// says nothing of the state it leaves the agent in (a segment that ends in a fall scores as
// well as one that ends standing). The teacher labels instead on the segment's advantage under
// a critic V (Contrastive Preference Learning, Hejna et al. 2023, labels on regret/advantage):
//
//   A(segment) = Σ_{t<L} γ^t r_t + γ^L V(s_L) − V(s_0)      (V(s_L) = 0 when it terminated)
//
// so two segments from one state (pair_start "common") differ by their continuations alone.
// V is the cached expert's final critic (PPO on the true reward, expert.h), in reward units:
// PPO trained it on rewards divided by the running std of the discounted return, so its values
// are multiplied back by that std (kept in the expert's checkpoint); γ is the expert's own.
#pragma once

#include <string>
#include <vector>

#include "agents/policy.h"
#include "algorithms/feedback.h"

namespace tandem::algorithms {

struct TeacherValue {
  agents::Policy critic;  // reads raw env observations through its own statistics
  double scale = 1;       // reward units per unit of the critic's output
  double gamma = 0.99;
  // V(s) of raw env observations [N, obs_dim], in reward units: [N].
  torch::Tensor value(const torch::Tensor& env_obs) const;
};

// The critic of a finished PPO run folder (config.json's γ, the checkpoint's reward scale).
TeacherValue load_teacher_value(const std::string& dir, const envs::Env& env);

// Σ_{t<L} γ^t rewards[t] + (terminated ? 0 : γ^L end_value) − start_value, L = rewards.size().
double advantage_label(const std::vector<double>& rewards, double gamma, double start_value,
                       double end_value, bool terminated);

// Sets e.score to e's advantage under `teacher`, from its replay's tail (replay_actions).
void label_advantage(Episode& e, const ReplayTail& tail, const TeacherValue& teacher);

}  // namespace tandem::algorithms
