#include "agents/transformer_lm.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>

#include "envs/error.h"

namespace tandem::agents {
namespace {

constexpr double kInitStd = 0.02;

// blocked[b, 0, t, s] for T queries placed at slots [past, past + T) over S = past + T keys:
// key s is visible when it is allowed (`key_ok`: [B, S] or [B, T, S]) and not in the future;
// a query always sees itself.
torch::Tensor blocked_mask(const torch::Tensor& key_ok, int64_t past, int64_t T) {
  const int64_t S = past + T;
  auto opts = torch::TensorOptions().dtype(torch::kLong);
  torch::Tensor q = torch::arange(past, S, opts).unsqueeze(1);                      // [T, 1]
  torch::Tensor k = torch::arange(S, opts).unsqueeze(0);                            // [1, S]
  torch::Tensor causal = k <= q;                                                    // [T, S]
  torch::Tensor self = k == q;                                                      // [T, S]
  torch::Tensor ok = key_ok.dim() == 2 ? key_ok.unsqueeze(1) : key_ok;              // [B, 1|T, S]
  torch::Tensor allowed = torch::logical_or(torch::logical_and(ok, causal), self);  // [B, T, S]
  return allowed.logical_not().unsqueeze(1);                                        // [B, 1, T, S]
}

torch::nn::Linear make_linear(int64_t in, int64_t out, double std) {
  torch::nn::Linear layer(in, out);
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(layer->weight, 0.0, std);
  torch::nn::init::zeros_(layer->bias);
  return layer;
}

// Restores a module's train/eval mode on scope exit.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& m) : m_(m), was_training_(m.is_training()) {
    m_.eval();
  }
  ~EvalModeGuard() { m_.train(was_training_); }

 private:
  torch::nn::Module& m_;
  bool was_training_;
};

}  // namespace

void TransformerLmConfig::validate() const {
  if (width % heads != 0) {
    throw Error("transformer_lm: width " + std::to_string(width) + " is not divisible by heads " +
                std::to_string(heads) + "; pick a width that is a multiple of heads");
  }
}

// ---------------------------------------------------------------------------------------------
// helpers on padded batches

PaddedTokens left_pad(const std::vector<std::vector<int64_t>>& sequences, int64_t pad_id) {
  const int64_t B = static_cast<int64_t>(sequences.size());
  int64_t T = 0;
  for (const auto& s : sequences) T = std::max<int64_t>(T, s.size());
  PaddedTokens p;
  p.tokens = torch::full({B, T}, pad_id, torch::kLong);  // [B, T]
  p.real = torch::zeros({B, T}, torch::kBool);           // [B, T]
  auto tok = p.tokens.accessor<int64_t, 2>();
  auto real = p.real.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = sequences[b];
    const int64_t offset = T - static_cast<int64_t>(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
      tok[b][offset + i] = s[i];
      real[b][offset + i] = true;
    }
  }
  return p;
}

torch::Tensor positions_from_mask(const torch::Tensor& real) {
  return (real.to(torch::kLong).cumsum(1) - 1).clamp_min(0);  // [B, T]
}

torch::Tensor token_log_probs(const torch::Tensor& logits, const torch::Tensor& targets) {
  torch::Tensor logp = torch::log_softmax(logits, -1);        // [..., V]
  return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);  // [...]
}

torch::Tensor last_real_index(const torch::Tensor& real) {
  const int64_t T = real.size(1);
  torch::Tensor idx = torch::arange(T, torch::kLong).unsqueeze(0);  // [1, T]
  return (idx * real.to(torch::kLong)).argmax(1);                   // [B]
}

SegmentLayout segment_layout(const torch::Tensor& starts, const torch::Tensor& real) {
  torch::Tensor is_start = starts.to(torch::kBool);  // [B, T]
  torch::Tensor is_real =
      real.defined() ? real.to(torch::kBool) : torch::ones_like(is_start);  // [B, T]
  torch::Tensor segment = is_start.to(torch::kLong).cumsum(1);              // [B, T]
  // each token's position: real tokens since the last start at or before it (the leading
  // tokens before any start form a sequence of their own)
  torch::Tensor count = is_real.to(torch::kLong).cumsum(1);  // [B, T]
  torch::Tensor before = count - is_real.to(torch::kLong);   // [B, T]
  torch::Tensor at_start = torch::where(is_start, before, torch::zeros_like(before));
  torch::Tensor base = std::get<0>(torch::cummax(at_start, 1));  // [B, T]
  SegmentLayout layout;
  layout.positions = (count - base - 1).clamp_min(0);  // [B, T]
  layout.mask = torch::logical_and(segment.unsqueeze(2) == segment.unsqueeze(1),
                                   is_real.unsqueeze(1));  // [B, T, T]
  return layout;
}

// ---------------------------------------------------------------------------------------------
// KV cache

void KvCache::reset_rows(const torch::Tensor& rows) {
  torch::Tensor r = rows.to(torch::kBool);  // [B]
  TANDEM_CHECK(r.dim() == 1 && r.size(0) == batch(), "reset rows must be [B] for B = batch");
  valid.masked_fill_(r.unsqueeze(1), false);
  length.masked_fill_(r, 0);
}

void KvCache::compact() {
  const int64_t longest = length.numel() ? length.max().item<int64_t>() : 0;
  if (longest == filled) return;
  // a stable sort of the flags puts each row's invalid slots first and its valid ones, in
  // order, last: the last `longest` entries of `order` are the slots to keep
  torch::Tensor order =
      std::get<1>(torch::sort(valid.to(torch::kInt8), c10::optional<bool>(true), /*dim=*/1));
  torch::Tensor keep = order.narrow(1, capacity() - longest, longest);  // [B, longest]
  torch::Tensor new_valid = valid.gather(1, keep);                      // [B, longest]
  for (size_t l = 0; l < keys.size(); ++l) {
    const int64_t H = keys[l].size(1), D = keys[l].size(3);
    torch::Tensor index = keep.view({batch(), 1, longest, 1}).expand({batch(), H, longest, D});
    torch::Tensor k = keys[l].gather(2, index);    // [B, H, longest, D]
    torch::Tensor v = values[l].gather(2, index);  // [B, H, longest, D]
    keys[l].narrow(2, 0, longest).copy_(k);
    values[l].narrow(2, 0, longest).copy_(v);
  }
  valid.zero_();
  valid.narrow(1, 0, longest).copy_(new_valid);
  filled = longest;
}

void KvCache::reserve(int64_t new_capacity) {
  TANDEM_CHECK(new_capacity >= filled, "cannot shrink a KV cache below its filled slots");
  auto grow = [&](const torch::Tensor& t, int64_t dim) {
    std::vector<int64_t> shape = t.sizes().vec();
    shape[dim] = new_capacity;
    torch::Tensor bigger = torch::zeros(shape, t.options());
    bigger.narrow(dim, 0, filled).copy_(t.narrow(dim, 0, filled));
    return bigger;
  };
  for (auto& k : keys) k = grow(k, 2);
  for (auto& v : values) v = grow(v, 2);
  valid = grow(valid, 1);
}

KvCache KvCache::clone() const {
  KvCache c;
  for (const auto& k : keys) c.keys.push_back(k.clone());
  for (const auto& v : values) c.values.push_back(v.clone());
  c.valid = valid.clone();
  c.length = length.clone();
  c.filled = filled;
  return c;
}

PolicyState KvCache::to_state() const {
  PolicyState s;
  s.tensors.reserve(2 * keys.size() + 3);
  s.tensors.insert(s.tensors.end(), keys.begin(), keys.end());
  s.tensors.insert(s.tensors.end(), values.begin(), values.end());
  s.tensors.push_back(valid);
  s.tensors.push_back(length);
  s.tensors.push_back(torch::tensor(filled, torch::kLong));
  return s;
}

KvCache KvCache::from_state(const PolicyState& state) {
  const size_t n = state.tensors.size();
  TANDEM_CHECK(n >= 5 && (n - 3) % 2 == 0, "a KV cache state holds 2·layers + 3 tensors");
  const size_t L = (n - 3) / 2;
  KvCache c;
  c.keys.assign(state.tensors.begin(), state.tensors.begin() + L);
  c.values.assign(state.tensors.begin() + L, state.tensors.begin() + 2 * L);
  c.valid = state.tensors[2 * L];
  c.length = state.tensors[2 * L + 1];
  c.filled = state.tensors[2 * L + 2].item<int64_t>();
  return c;
}

// ---------------------------------------------------------------------------------------------
// modules

CausalSelfAttentionImpl::CausalSelfAttentionImpl(int64_t width, int64_t heads, double dropout)
    : heads_(heads), dropout_(dropout) {
  c_attn_ = register_module("c_attn", make_linear(width, 3 * width, kInitStd));
  c_proj_ = register_module("c_proj", make_linear(width, width, kInitStd));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& blocked,
                                               torch::Tensor* k_buffer, torch::Tensor* v_buffer,
                                               int64_t past) {
  const int64_t B = x.size(0), T = x.size(1), C = x.size(2), H = heads_, D = C / H;
  std::vector<torch::Tensor> qkv = c_attn_->forward(x).split(C, 2);  // 3 × [B, T, C]
  torch::Tensor q = qkv[0].view({B, T, H, D}).transpose(1, 2);       // [B, H, T, D]
  torch::Tensor k = qkv[1].view({B, T, H, D}).transpose(1, 2);       // [B, H, T, D]
  torch::Tensor v = qkv[2].view({B, T, H, D}).transpose(1, 2);       // [B, H, T, D]
  if (k_buffer != nullptr) {
    // write this block's keys and values after the cached ones, attend over all of them
    k_buffer->narrow(2, past, T).copy_(k);
    v_buffer->narrow(2, past, T).copy_(v);
    k = k_buffer->narrow(2, 0, past + T);  // [B, H, S, D]
    v = v_buffer->narrow(2, 0, past + T);  // [B, H, S, D]
  }
  torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(D)));
  att.masked_fill_(blocked, -std::numeric_limits<float>::infinity());  // [B, H, T, S]
  att = torch::softmax(att, -1);                                       // [B, H, T, S]
  if (dropout_ > 0) att = torch::dropout(att, dropout_, is_training());
  torch::Tensor y = torch::matmul(att, v);             // [B, H, T, D]
  y = y.transpose(1, 2).contiguous().view({B, T, C});  // [B, T, C]
  y = c_proj_->forward(y);                             // [B, T, C]
  if (dropout_ > 0) y = torch::dropout(y, dropout_, is_training());
  return y;
}

TransformerBlockImpl::TransformerBlockImpl(int64_t width, int64_t heads, int64_t mlp_ratio,
                                           double dropout)
    : dropout_(dropout) {
  ln_1_ = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  attn_ = register_module("attn", CausalSelfAttention(width, heads, dropout));
  ln_2_ = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  c_fc_ = register_module("c_fc", make_linear(width, mlp_ratio * width, kInitStd));
  c_proj_ = register_module("c_proj", make_linear(mlp_ratio * width, width, kInitStd));
}

torch::Tensor TransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& blocked,
                                            torch::Tensor* k_buffer, torch::Tensor* v_buffer,
                                            int64_t past) {
  torch::Tensor h = x + attn_->forward(ln_1_->forward(x), blocked, k_buffer, v_buffer, past);
  torch::Tensor m = c_proj_->forward(torch::gelu(c_fc_->forward(ln_2_->forward(h))));  // [B, T, C]
  if (dropout_ > 0) m = torch::dropout(m, dropout_, is_training());
  return h + m;  // [B, T, C]
}

TransformerLmImpl::TransformerLmImpl(TransformerLmConfig config) : config_(std::move(config)) {
  config_.validate();
  const int64_t C = config_.width;
  wte_ = register_module("wte", torch::nn::Embedding(config_.vocab_size, C));
  wpe_ = register_module("wpe", torch::nn::Embedding(config_.context, C));
  blocks_ = register_module("h", torch::nn::ModuleList());
  for (int64_t l = 0; l < config_.layers; ++l) {
    TransformerBlock block(C, config_.heads, config_.mlp_ratio, config_.dropout);
    blocks_->push_back(block);
    block_list_.push_back(block);
  }
  ln_f_ = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({C})));

  // GPT-2 init: embeddings N(0, 0.02); residual projections scaled by 1/√(2·layers)
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(wte_->weight, 0.0, kInitStd);
  torch::nn::init::normal_(wpe_->weight, 0.0, kInitStd);
  const double residual_std = kInitStd / std::sqrt(2.0 * config_.layers);
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    if (name.size() >= 13 && name.compare(name.size() - 13, 13, "c_proj.weight") == 0) {
      torch::nn::init::normal_(item.value(), 0.0, residual_std);
    }
  }
}

void TransformerLmImpl::check_tokens(const torch::Tensor& tokens) const {
  TANDEM_CHECK(tokens.scalar_type() == torch::kLong, "token ids must be int64");
  if (tokens.numel() == 0) return;
  const int64_t lo = tokens.min().item<int64_t>(), hi = tokens.max().item<int64_t>();
  if (lo < 0 || hi >= config_.vocab_size) {
    throw Error("transformer_lm: token id " + std::to_string(lo < 0 ? lo : hi) +
                " is outside the vocabulary [0, " + std::to_string(config_.vocab_size) +
                "); does vocab_size match the tokenizer?");
  }
}

torch::Tensor TransformerLmImpl::trunk(const torch::Tensor& tokens, const torch::Tensor& positions,
                                       const torch::Tensor& blocked, KvCache* cache) {
  check_tokens(tokens);
  torch::Tensor x = wte_->forward(tokens) + wpe_->forward(positions);  // [B, T, C]
  if (config_.dropout > 0) x = torch::dropout(x, config_.dropout, is_training());
  for (size_t l = 0; l < block_list_.size(); ++l) {
    if (cache == nullptr) {
      x = block_list_[l]->forward(x, blocked);
    } else {
      x = block_list_[l]->forward(x, blocked, &cache->keys[l], &cache->values[l], cache->filled);
    }
  }
  return ln_f_->forward(x);  // [B, T, C]
}

torch::Tensor TransformerLmImpl::hidden(const torch::Tensor& tokens, const torch::Tensor& positions,
                                        const torch::Tensor& mask) {
  const int64_t T = tokens.size(1);
  TANDEM_CHECK(tokens.dim() == 2 && positions.sizes() == tokens.sizes(),
               "tokens and positions must both be [B, T]");
  TANDEM_CHECK(mask.size(0) == tokens.size(0) && mask.size(-1) == T &&
                   (mask.dim() == 2 || (mask.dim() == 3 && mask.size(1) == T)),
               "mask must be [B, T] or [B, T, T]");
  if (T > config_.context) {
    throw Error("transformer_lm: " + std::to_string(T) + " tokens exceed the context of " +
                std::to_string(config_.context));
  }
  torch::Tensor blocked = blocked_mask(mask.to(torch::kBool), 0, T);  // [B, 1, T, T]
  return trunk(tokens, positions, blocked, nullptr);                  // [B, T, C]
}

torch::Tensor TransformerLmImpl::logits(const torch::Tensor& hidden) const {
  return torch::nn::functional::linear(hidden, wte_->weight);  // [..., V]
}

LmOutput TransformerLmImpl::forward(const torch::Tensor& tokens, const torch::Tensor& positions,
                                    const torch::Tensor& mask) {
  LmOutput out;
  out.hidden = hidden(tokens, positions, mask);  // [B, T, C]
  out.logits = logits(out.hidden);               // [B, T, V]
  return out;
}

LmOutput TransformerLmImpl::forward(const torch::Tensor& tokens, const torch::Tensor& real) {
  return forward(tokens, positions_from_mask(real), real);
}

KvCache TransformerLmImpl::new_cache(int64_t batch, int64_t capacity) const {
  if (capacity <= 0) capacity = config_.context;
  const int64_t H = config_.heads, D = config_.width / config_.heads;
  auto opts = wte_->weight.options().requires_grad(false);
  KvCache c;
  for (int64_t l = 0; l < config_.layers; ++l) {
    // zeros, not empty: a masked slot's V is multiplied by a zero weight, and 0·NaN is NaN
    c.keys.push_back(torch::zeros({batch, H, capacity, D}, opts));    // [B, H, cap, D]
    c.values.push_back(torch::zeros({batch, H, capacity, D}, opts));  // [B, H, cap, D]
  }
  c.valid = torch::zeros({batch, capacity}, torch::kBool);  // [B, cap]
  c.length = torch::zeros({batch}, torch::kLong);           // [B]
  c.filled = 0;
  return c;
}

torch::Tensor TransformerLmImpl::extend_trunk(KvCache& cache, const torch::Tensor& tokens,
                                              const torch::Tensor& real) {
  const int64_t B = tokens.size(0), T = tokens.size(1);
  TANDEM_CHECK(tokens.dim() == 2 && real.sizes() == tokens.sizes(), "tokens and real: [B, T]");
  TANDEM_CHECK(B == cache.batch() && cache.keys.size() == block_list_.size(),
               "the cache was made for another batch size or model");
  torch::Tensor is_real = real.to(torch::kBool);           // [B, T]
  torch::Tensor count = is_real.to(torch::kLong);          // [B, T]
  torch::Tensor new_length = cache.length + count.sum(1);  // [B]
  const int64_t longest = new_length.max().item<int64_t>();
  if (longest > config_.context) {
    throw Error("transformer_lm: a row would hold " + std::to_string(longest) +
                " tokens, more than the context of " + std::to_string(config_.context) +
                "; reset finished rows or raise context");
  }
  if (cache.filled + T > cache.capacity()) cache.compact();
  if (cache.filled + T > cache.capacity()) {
    cache.reserve(std::max(cache.filled + T, 2 * cache.capacity()));
  }
  // positions continue each row's count; the new slots are valid where the tokens are real
  torch::Tensor positions = (cache.length.unsqueeze(1) + count.cumsum(1) - 1).clamp_min(0);
  cache.valid.narrow(1, cache.filled, T).copy_(is_real);
  const int64_t S = cache.filled + T;
  torch::Tensor blocked = blocked_mask(cache.valid.narrow(1, 0, S), cache.filled, T);  // [B,1,T,S]
  torch::Tensor h = trunk(tokens, positions, blocked, &cache);                         // [B, T, C]
  cache.filled = S;
  cache.length = new_length;
  return h;
}

LmOutput TransformerLmImpl::extend(KvCache& cache, const torch::Tensor& tokens,
                                   const torch::Tensor& real) {
  LmOutput out;
  out.hidden = extend_trunk(cache, tokens, real);  // [B, T, C]
  out.logits = logits(out.hidden);                 // [B, T, V]
  return out;
}

LmStepOutput TransformerLmImpl::prefill(KvCache& cache, const torch::Tensor& tokens,
                                        const torch::Tensor& real) {
  const int64_t B = tokens.size(0), T = tokens.size(1);
  if (T == 0 || !real.select(1, T - 1).to(torch::kBool).all().item<bool>()) {
    throw Error("transformer_lm: prefill needs left-padded, non-empty prompts (see left_pad())");
  }
  if (!cache.valid.defined() || cache.batch() != B || cache.keys.size() != block_list_.size()) {
    cache = new_cache(B, std::max(T, config_.context));
  } else {
    cache.reset_rows(torch::ones({B}, torch::kBool));
    cache.filled = 0;
  }
  // only the last position's logits are needed: skip the V-wide projection of the others
  LmStepOutput out;
  out.hidden = extend_trunk(cache, tokens, real).select(1, T - 1);  // [B, C]
  out.logits = logits(out.hidden);                                  // [B, V]
  return out;
}

LmStepOutput TransformerLmImpl::step(KvCache& cache, const torch::Tensor& next_tokens) {
  torch::Tensor tokens = next_tokens.view({-1, 1});  // [B, 1]
  LmOutput out = extend(cache, tokens, torch::ones_like(tokens, torch::kBool));
  return {out.logits.select(1, 0), out.hidden.select(1, 0)};  // [B, V], [B, C]
}

int64_t TransformerLmImpl::num_parameters() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::shared_ptr<TransformerLmImpl> TransformerLmImpl::clone_lm() const {
  auto copy = std::make_shared<TransformerLmImpl>(config_);
  torch::NoGradGuard no_grad;
  auto dst = copy->named_parameters();
  for (const auto& item : named_parameters()) dst[item.key()].copy_(item.value());
  auto dst_b = copy->named_buffers();
  for (const auto& item : named_buffers()) dst_b[item.key()].copy_(item.value());
  copy->train(is_training());
  return copy;
}

// ---------------------------------------------------------------------------------------------
// sampling

at::Generator make_cpu_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

torch::Tensor shape_logits(const torch::Tensor& logits, const SamplingOptions& options) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  torch::Tensor z = logits / options.temperature;  // [B, V]
  const int64_t V = z.size(-1);
  if (options.top_k > 0 && options.top_k < V) {
    // keep exactly the k indices topk returns (ties do not widen the set)
    torch::Tensor idx = std::get<1>(z.topk(options.top_k, -1));  // [B, k]
    torch::Tensor keep = torch::zeros_like(z, torch::kBool).scatter_(-1, idx, true);
    z = z.masked_fill(keep.logical_not(), kNegInf);
  }
  if (options.top_p < 1.0) {
    auto sorted = z.sort(-1, /*descending=*/true);
    torch::Tensor probs = torch::softmax(std::get<0>(sorted), -1);  // [B, V] sorted
    // drop a token when the mass before it already reaches top_p (the first always stays)
    torch::Tensor drop_sorted = (probs.cumsum(-1) - probs) >= options.top_p;  // [B, V]
    torch::Tensor drop =
        torch::zeros_like(drop_sorted).scatter_(-1, std::get<1>(sorted), drop_sorted);
    z = z.masked_fill(drop, kNegInf);
  }
  return z;  // [B, V]
}

torch::Tensor sample_tokens(const torch::Tensor& logits, const SamplingOptions& options,
                            at::Generator& generator) {
  if (options.greedy) return logits.argmax(-1);  // [B]
  torch::Tensor probs = torch::softmax(shape_logits(logits, options).to(torch::kDouble), -1);
  torch::Tensor cdf = probs.cumsum(-1);                                         // [B, V]
  torch::Tensor u = torch::rand({probs.size(0), 1}, generator, cdf.options());  // [B, 1]
  u = u * cdf.narrow(-1, cdf.size(-1) - 1, 1);
  // the first token whose cumulative mass exceeds u (right=true skips zero-probability tokens)
  torch::Tensor idx = torch::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/true);
  return idx.squeeze(-1).clamp_max(probs.size(-1) - 1);  // [B]
}

GenerateResult generate(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& prompts,
                        const SamplingOptions& options, uint64_t seed) {
  at::Generator generator = make_cpu_generator(seed);
  return generate(lm, prompts, options, generator);
}

GenerateResult generate(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& prompts,
                        const SamplingOptions& options, at::Generator& generator) {
  const int64_t B = static_cast<int64_t>(prompts.size());
  const int64_t N = options.max_new_tokens, context = lm.config().context;
  int64_t longest = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const int64_t n = static_cast<int64_t>(prompts[i].size());
    if (n == 0) {
      throw Error("generate: prompt " + std::to_string(i) +
                  " is empty; start every prompt with at least one token (e.g. the EOT id)");
    }
    if (n + N - 1 > context) {
      throw Error("generate: prompt " + std::to_string(i) + " has " + std::to_string(n) +
                  " tokens; with max_new_tokens " + std::to_string(N) +
                  " it would exceed the context of " + std::to_string(context));
    }
    longest = std::max(longest, n);
  }
  torch::NoGradGuard no_grad;
  EvalModeGuard eval(lm);
  const int64_t filler = options.eot_id >= 0 ? options.eot_id : 0;

  GenerateResult r;
  r.tokens = torch::full({B, N}, filler, torch::kLong);  // [B, N]
  r.log_probs = torch::zeros({B, N});                    // [B, N]
  r.mask = torch::zeros({B, N}, torch::kBool);           // [B, N]
  r.completions.assign(B, {});
  r.ended.assign(B, false);
  if (B == 0) return r;

  PaddedTokens p = left_pad(prompts, filler);
  KvCache cache = lm.new_cache(B, longest + N);
  torch::Tensor logits = lm.prefill(cache, p.tokens, p.real).logits;  // [B, V]
  torch::Tensor alive = torch::ones({B}, torch::kBool);               // [B]
  for (int64_t t = 0; t < N; ++t) {
    torch::Tensor next = sample_tokens(logits, options, generator);    // [B]
    next = torch::where(alive, next, torch::full_like(next, filler));  // [B]
    r.tokens.select(1, t).copy_(next);
    r.log_probs.select(1, t).copy_(token_log_probs(logits, next));
    r.mask.select(1, t).copy_(alive);
    if (options.eot_id >= 0) alive = alive.logical_and(next != options.eot_id);
    if (t + 1 == N || !alive.any().item<bool>()) break;
    logits = lm.step(cache, next).logits;  // [B, V]
  }
  // completions: the masked tokens, without the EOT
  auto tok = r.tokens.accessor<int64_t, 2>();
  auto mask = r.mask.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < N && mask[b][t]; ++t) {
      if (options.eot_id >= 0 && tok[b][t] == options.eot_id) {
        r.ended[b] = true;
        break;
      }
      r.completions[b].push_back(tok[b][t]);
    }
  }
  return r;
}

}  // namespace tandem::agents
