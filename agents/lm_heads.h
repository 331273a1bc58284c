// Scalar heads on the transformer trunk's final hidden states (TransformerLmImpl::hidden):
//   ValueHead   — V(s_t) at every position, a Linear(C, 1) for PPO/APA critics;
//   RewardModel — a trunk of its own and a Linear(C, 1) read at the last real token (the
//                 Bradley–Terry reward model's score), or on the mean over the tokens it is
//                 told to pool (a completion's own tokens: not the prompt, not end-of-text).
// Both heads start at N(0, 0.02) weights and a zero bias, like the rest of the model.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "agents/transformer_lm.h"

namespace tandem::agents {

enum class Pooling { kLast, kMean };

// "last" / "mean" -> Pooling; anything else throws tandem::Error naming `where`.
Pooling pooling_from_string(const std::string& name, const std::string& where);

// hidden [B, T, C], real [B, T] -> [B, C]: the state at each row's last real token, or the mean
// over the tokens `pooled` [B, T] marks (undefined: the real ones); a row with none pools to
// zeros, so its score is the head's bias. Left and right padding both work.
torch::Tensor pool_hidden(const torch::Tensor& hidden, const torch::Tensor& real, Pooling pooling,
                          const torch::Tensor& pooled = {});

class ValueHeadImpl : public torch::nn::Module {
 public:
  explicit ValueHeadImpl(int64_t width);
  // hidden [..., C] -> values [...]
  torch::Tensor forward(const torch::Tensor& hidden);

 private:
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(ValueHead);

class RewardModelImpl : public torch::nn::Module {
 public:
  explicit RewardModelImpl(TransformerLmConfig config, Pooling pooling = Pooling::kLast);
  // tokens, real: [B, T] (positions from real) -> scores [B]. `pooled` [B, T]: the tokens the
  // mean pooling averages (undefined: every real token); the last-token pooling ignores it.
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& real,
                        const torch::Tensor& pooled = {});
  // The score head on hidden states [B, T, C] the caller already has -> [B].
  torch::Tensor score(const torch::Tensor& hidden, const torch::Tensor& real,
                      const torch::Tensor& pooled = {});

  // Starts the trunk from a (pretrained) language model of the same configuration.
  void load_trunk(const TransformerLmImpl& lm);
  TransformerLm trunk() const { return trunk_; }
  Pooling pooling() const { return pooling_; }

 private:
  TransformerLm trunk_{nullptr};
  torch::nn::Linear head_{nullptr};
  Pooling pooling_;
};
TORCH_MODULE(RewardModel);

}  // namespace tandem::agents
