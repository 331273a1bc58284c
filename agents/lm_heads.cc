#include "agents/lm_heads.h"

#include <torch/torch.h>

#include "envs/error.h"

namespace tandem::agents {
namespace {

torch::nn::Linear scalar_head(int64_t width) {
  torch::nn::Linear layer(width, 1);
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(layer->weight, 0.0, 0.02);
  torch::nn::init::zeros_(layer->bias);
  return layer;
}

}  // namespace

Pooling pooling_from_string(const std::string& name, const std::string& where) {
  if (name == "last") return Pooling::kLast;
  if (name == "mean") return Pooling::kMean;
  throw Error(where + ": unknown pooling '" + name + "'; use \"last\" or \"mean\"");
}

torch::Tensor pool_hidden(const torch::Tensor& hidden, const torch::Tensor& real, Pooling pooling,
                          const torch::Tensor& pooled) {
  const int64_t B = hidden.size(0), C = hidden.size(2);
  if (pooling == Pooling::kLast) {
    torch::Tensor index = last_real_index(real).view({B, 1, 1}).expand({B, 1, C});  // [B, 1, C]
    return hidden.gather(1, index).squeeze(1);                                      // [B, C]
  }
  const torch::Tensor& over = pooled.defined() ? pooled : real;
  torch::Tensor w = over.to(hidden.scalar_type()).unsqueeze(-1);  // [B, T, 1]
  return (hidden * w).sum(1) / w.sum(1).clamp_min(1.0);           // [B, C]
}

ValueHeadImpl::ValueHeadImpl(int64_t width) {
  linear_ = register_module("linear", scalar_head(width));
}

torch::Tensor ValueHeadImpl::forward(const torch::Tensor& hidden) {
  return linear_->forward(hidden).squeeze(-1);  // [...]
}

RewardModelImpl::RewardModelImpl(TransformerLmConfig config, Pooling pooling) : pooling_(pooling) {
  trunk_ = register_module("trunk", TransformerLm(config));
  head_ = register_module("head", scalar_head(config.width));
}

torch::Tensor RewardModelImpl::score(const torch::Tensor& hidden, const torch::Tensor& real,
                                     const torch::Tensor& pooled) {
  return head_->forward(pool_hidden(hidden, real, pooling_, pooled)).squeeze(-1);  // [B]
}

torch::Tensor RewardModelImpl::forward(const torch::Tensor& tokens, const torch::Tensor& real,
                                       const torch::Tensor& pooled) {
  torch::Tensor h = trunk_->hidden(tokens, positions_from_mask(real), real);  // [B, T, C]
  return score(h, real, pooled);                                              // [B]
}

void RewardModelImpl::load_trunk(const TransformerLmImpl& lm) {
  torch::NoGradGuard no_grad;
  auto dst = trunk_->named_parameters();
  for (const auto& item : lm.named_parameters()) {
    TANDEM_CHECK(dst.contains(item.key()) && dst[item.key()].sizes() == item.value().sizes(),
                 "load_trunk needs a language model of the same configuration");
    dst[item.key()].copy_(item.value());
  }
}

}  // namespace tandem::agents
