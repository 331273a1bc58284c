// The transformer LM as a Policy, for token-generation envs (envs/text/text_env.cc):
// observation [n, t_0 .. t_{L-1}] (the context so far), action the next token.
//   act()      — first call of an episode: prefill the KV cache with EOT + the context; later
//                calls feed only the token the env appended. O(current length) per token.
//   evaluate() — each row one whole episode: the full sequence (EOT + prompt + actions) in one
//                teacher-forced pass; log-probs equal act()'s (tested).
// The value head reads the trunk's hidden state through a stop-gradient, so the value loss
// never moves the policy (the APA decision: a critic separate from the policy).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agents/lm_heads.h"
#include "agents/policy.h"
#include "agents/transformer_lm.h"

namespace tandem::agents {

class LmPolicyImpl : public PolicyImpl {
 public:
  // `eot_id` starts every sequence (the pretraining convention) and is never fed otherwise.
  LmPolicyImpl(TransformerLmConfig config, int64_t eot_id);

  PolicyState initial_state(int64_t batch) const override { return {}; }
  ActResult act(const torch::Tensor& obs, const PolicyState& state,
                bool deterministic = false) override;
  EvaluateResult evaluate(const TrajectoryBatch& batch) override;
  torch::Tensor value(const torch::Tensor& obs, const PolicyState& state) override;
  PolicyState reset_state(const PolicyState& state, const torch::Tensor& rows) override;
  bool stateless() const override { return false; }
  std::shared_ptr<PolicyImpl> clone_policy() const override;
  std::vector<torch::Tensor> actor_parameters() const override { return lm_->parameters(); }
  std::vector<torch::Tensor> critic_parameters() const override { return value_->parameters(); }
  std::string describe() const override;

  TransformerLm lm() const { return lm_; }
  const TransformerLmConfig& config() const { return config_; }
  int64_t eot_id() const { return eot_id_; }

 private:
  // EOT + the context of each observation row: [B] token lists.
  std::vector<std::vector<int64_t>> contexts(const torch::Tensor& obs) const;

  TransformerLmConfig config_;
  int64_t eot_id_;
  TransformerLm lm_{nullptr};
  ValueHead value_{nullptr};
};

// Each row of a whole-episode batch (obs [n, tokens…], Discrete actions) as one token
// sequence: EOT + the context at the row's last valid step + that step's action. lengths[i]:
// the row's valid steps; prompt_lengths[i]: the context length at its first step.
std::vector<std::vector<int64_t>> episode_sequences(const TrajectoryBatch& batch, int64_t eot_id,
                                                   std::vector<int64_t>* lengths,
                                                   std::vector<int64_t>* prompt_lengths);

}  // namespace tandem::agents
