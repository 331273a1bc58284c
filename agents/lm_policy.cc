#include "agents/lm_policy.h"

#include <sstream>

#include <torch/torch.h>

#include "envs/error.h"

namespace tandem::agents {

LmPolicyImpl::LmPolicyImpl(TransformerLmConfig config, int64_t eot_id)
    : config_(config), eot_id_(eot_id) {
  lm_ = register_module("lm", TransformerLm(config_));
  value_ = register_module("value", ValueHead(config_.width));
}

std::vector<std::vector<int64_t>> LmPolicyImpl::contexts(const torch::Tensor& obs) const {
  torch::Tensor o = obs.to(torch::kFloat32).contiguous();  // [B, 1 + L]
  const int64_t rows = o.size(0), width = o.size(1);
  const float* p = o.data_ptr<float>();
  std::vector<std::vector<int64_t>> out(rows);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t n = std::min<int64_t>(static_cast<int64_t>(p[i * width]), width - 1);
    out[i].reserve(n + 1);
    out[i].push_back(eot_id_);
    for (int64_t t = 0; t < n; ++t) out[i].push_back(static_cast<int64_t>(p[i * width + 1 + t]));
  }
  return out;
}

ActResult LmPolicyImpl::act(const torch::Tensor& obs, const PolicyState& state,
                            bool deterministic) {
  torch::NoGradGuard no_grad;
  KvCache cache;
  LmStepOutput out;
  if (state.tensors.empty()) {
    // episode start: the whole context at once
    PaddedTokens padded = left_pad(contexts(obs), eot_id_);
    cache = lm_->new_cache(obs.size(0));
    out = lm_->prefill(cache, padded.tokens, padded.real);
  } else {
    // the env appended the token we chose last step: feed just that one
    cache = KvCache::from_state(state);
    std::vector<std::vector<int64_t>> ctx = contexts(obs);
    std::vector<int64_t> last(ctx.size());
    for (size_t i = 0; i < ctx.size(); ++i) last[i] = ctx[i].back();
    out = lm_->step(cache, torch::tensor(last, torch::kLong));
  }
  torch::Tensor log_probs = torch::log_softmax(out.logits, -1);  // [B, V]
  ActResult r;
  torch::Tensor token = deterministic ? log_probs.argmax(-1)
                                      : torch::multinomial(log_probs.exp(), 1).squeeze(-1);  // [B]
  r.log_prob = log_probs.gather(-1, token.unsqueeze(-1)).squeeze(-1);                       // [B]
  r.value = value_->forward(out.hidden);                                                     // [B]
  r.action = token.to(torch::kFloat32).unsqueeze(-1);                                        // [B, 1]
  r.state = cache.to_state();
  return r;
}

torch::Tensor LmPolicyImpl::value(const torch::Tensor& obs, const PolicyState& state) {
  torch::NoGradGuard no_grad;
  PaddedTokens padded = left_pad(contexts(obs), eot_id_);
  LmOutput out = lm_->forward(padded.tokens, padded.real);  // [B, S, ...]
  torch::Tensor last = last_real_index(padded.real);         // [B]
  torch::Tensor hidden = out.hidden.gather(
      1, last.view({-1, 1, 1}).expand({-1, 1, out.hidden.size(2)})).squeeze(1);  // [B, C]
  return value_->forward(hidden);
}

EvaluateResult LmPolicyImpl::evaluate(const TrajectoryBatch& batch) {
  const int64_t rows = batch.size(), steps = batch.horizon();
  torch::Tensor mask = batch.mask.to(torch::kFloat32).contiguous();  // [B, T]
  std::vector<int64_t> lengths, prompt_lengths;
  std::vector<std::vector<int64_t>> sequences =
      episode_sequences(batch, eot_id_, &lengths, &prompt_lengths);
  PaddedTokens padded = left_pad(sequences, eot_id_);
  LmOutput out = lm_->forward(padded.tokens, padded.real);  // logits [B, S, V], hidden [B, S, C]
  const int64_t width = padded.tokens.size(1);

  // step t of row i is predicted at sequence position pad_i + prompt_i + t (the EOT is at 0)
  std::vector<int64_t> positions(rows * steps);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t pad = width - static_cast<int64_t>(sequences[i].size());
    for (int64_t t = 0; t < steps; ++t)
      positions[i * steps + t] = pad + prompt_lengths[i] + std::min(t, lengths[i] - 1);
  }
  torch::Tensor index = torch::tensor(positions, torch::kLong).view({rows, steps});  // [B, T]
  torch::Tensor logits = out.logits.gather(
      1, index.unsqueeze(-1).expand({rows, steps, out.logits.size(2)}));  // [B, T, V]
  torch::Tensor hidden = out.hidden.gather(
      1, index.unsqueeze(-1).expand({rows, steps, out.hidden.size(2)}));  // [B, T, C]
  torch::Tensor log_probs = torch::log_softmax(logits, -1);
  torch::Tensor taken = batch.actions.squeeze(-1).to(torch::kLong).clamp(0, logits.size(2) - 1);
  EvaluateResult r;
  r.log_prob = log_probs.gather(-1, taken.unsqueeze(-1)).squeeze(-1) * mask;  // [B, T]
  r.entropy = -(log_probs.exp() * log_probs).sum(-1) * mask;                  // [B, T]
  r.value = value_->forward(hidden.detach()) * mask;                          // [B, T]
  return r;
}

std::vector<std::vector<int64_t>> episode_sequences(const TrajectoryBatch& batch, int64_t eot_id,
                                                   std::vector<int64_t>* lengths,
                                                   std::vector<int64_t>* prompt_lengths) {
  const int64_t rows = batch.size(), steps = batch.horizon();
  TANDEM_CHECK(batch.episode_start.select(1, 0).all().item<bool>(),
               "a token sequence batch holds whole episodes, one per row");
  torch::Tensor mask = batch.mask.to(torch::kFloat32).contiguous();       // [B, T]
  torch::Tensor obs = batch.obs.to(torch::kFloat32).contiguous();         // [B, T, 1 + L]
  torch::Tensor actions = batch.actions.to(torch::kFloat32).contiguous();  // [B, T, 1]
  const int64_t width = obs.size(2);
  const float* m = mask.data_ptr<float>();
  const float* o = obs.data_ptr<float>();
  const float* a = actions.data_ptr<float>();
  std::vector<std::vector<int64_t>> out(rows);
  lengths->assign(rows, 0);
  prompt_lengths->assign(rows, 0);
  for (int64_t i = 0; i < rows; ++i) {
    int64_t n = 0;
    for (int64_t t = 0; t < steps; ++t) n += m[i * steps + t] > 0 ? 1 : 0;
    TANDEM_CHECK(n > 0, "an empty episode row");
    (*lengths)[i] = n;
    const float* last = o + (i * steps + n - 1) * width;  // the context before the last action
    const int64_t context = std::min<int64_t>(static_cast<int64_t>(last[0]), width - 1);
    (*prompt_lengths)[i] = static_cast<int64_t>(o[i * steps * width]);
    out[i].reserve(context + 2);
    out[i].push_back(eot_id);
    for (int64_t t = 0; t < context; ++t) out[i].push_back(static_cast<int64_t>(last[1 + t]));
    out[i].push_back(static_cast<int64_t>(a[(i * steps + n - 1)]));
  }
  return out;
}

PolicyState LmPolicyImpl::reset_state(const PolicyState& state, const torch::Tensor& rows) {
  if (state.tensors.empty()) return state;
  KvCache cache = KvCache::from_state(state);
  cache.reset_rows(rows);
  return cache.to_state();
}

std::shared_ptr<PolicyImpl> LmPolicyImpl::clone_policy() const {
  auto copy = std::make_shared<LmPolicyImpl>(config_, eot_id_);
  copy_policy_state(*this, *copy);
  return copy;
}

std::string LmPolicyImpl::describe() const {
  std::ostringstream os;
  os << "transformer_lm(" << config_.layers << " layers, " << config_.heads << " heads, width "
     << config_.width << ", context " << config_.context << ", vocab " << config_.vocab_size
     << ", " << lm_->num_parameters() << " parameters)";
  return os.str();
}

}  // namespace tandem::agents
