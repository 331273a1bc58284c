// A small GPT-style decoder-only transformer language model for CPU (nanoGPT's layout):
// token + learned position embeddings, pre-LayerNorm blocks of causal multi-head
// self-attention and a GELU MLP, a final LayerNorm, and an output projection tied to the token
// embedding. GPT-2 init: every weight N(0, 0.02), the two residual projections of each block
// N(0, 0.02 / √(2·layers)), biases 0.
//
// Batches of sequences of different lengths are LEFT padded: `real` ([B, T] bool) marks the
// row's tokens, a pad is never attended to, and positions are explicit per row (a token's
// position = its index among the row's real tokens), so the rows of a batch generate in
// lockstep and a padded row computes exactly what it computes alone.
//
// Generation carries a KV cache (KvCache): per layer, K and V buffers [B, H, capacity, D]
// preallocated to `context` slots, written in place one slot per step, so a step costs
// O(current length) and never re-concatenates. A slot's `valid` flag says whether it holds one
// of the row's real tokens; resetting a row clears its flags and its length, after which the
// row behaves exactly like a fresh, left-padded one.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "agents/policy.h"
#include "envs/config.h"

namespace tandem::agents {

// Defaults: 4 layers × 4 heads × width 192 (head dim 48), context 128, vocab 2048 (the
// tokenizer's default): 2.20M parameters, 1.78M of them in the blocks and 0.39M in the tied
// embedding. On one core of the development machine (shared, loaded) it trains at about 2.3–4k
// tokens/s and reaches 2.35 bits/byte on the fortunes validation split after 400 steps of
// 32 × 128 tokens (~8 minutes); it generates about 5–7k tokens/s with the KV cache.
struct TransformerLmConfig {
  int64_t vocab_size = 2048;
  int64_t context = 128;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t width = 192;
  int64_t mlp_ratio = 4;
  double dropout = 0.0;

  template <class V>
  void visit(V& v) {
    v.field("vocab_size", vocab_size, int64_t{2}, int64_t{1} << 20,
            "token ids 0..vocab_size-1 (the tokenizer's size)");
    v.field("context", context, int64_t{1}, int64_t{8192}, "most tokens a sequence may hold");
    v.field("layers", layers, int64_t{1}, int64_t{64}, "transformer blocks");
    v.field("heads", heads, int64_t{1}, int64_t{64}, "attention heads (must divide width)");
    v.field("width", width, int64_t{1}, int64_t{8192}, "embedding / residual stream width");
    v.field("mlp_ratio", mlp_ratio, int64_t{1}, int64_t{16}, "MLP hidden width = mlp_ratio·width");
    v.field("dropout", dropout, 0.0, 0.9, "dropout on embeddings, attention and residuals");
  }
  // Range checks across fields (heads divides width); throws tandem::Error.
  void validate() const;
};

// Output of a pass over whole sequences.
struct LmOutput {
  torch::Tensor logits;  // [B, T, V]
  torch::Tensor hidden;  // [B, T, C] final hidden states (after the final LayerNorm)
};

// Output of a cached pass: one position per row.
struct LmStepOutput {
  torch::Tensor logits;  // [B, V]
  torch::Tensor hidden;  // [B, C]
};

// Left-padded token ids for a batch of variable-length sequences.
struct PaddedTokens {
  torch::Tensor tokens;  // [B, T] int64, pad_id where not real
  torch::Tensor real;    // [B, T] bool, true on the row's own tokens
};

// Sequences -> [B, max length] left-padded; an empty sequence gives an all-pad row.
PaddedTokens left_pad(const std::vector<std::vector<int64_t>>& sequences, int64_t pad_id);

// A token's position = its index among the row's real tokens (pads get 0): [B, T] int64.
torch::Tensor positions_from_mask(const torch::Tensor& real);

// log softmax(logits)[target]: [B, T] for logits [B, T, V] and targets [B, T] (or [B] for [B, V]).
torch::Tensor token_log_probs(const torch::Tensor& logits, const torch::Tensor& targets);

// Index of each row's last real token: [B] int64 (0 for a row without one). Works for left and
// right padding alike.
torch::Tensor last_real_index(const torch::Tensor& real);

// Several sequences packed in one row ([B, T]): `starts` marks each sequence's first token (an
// episode start; an EOT that begins the next document). A token sees only earlier tokens of its
// own sequence (and, with `real`, only real ones), and positions restart at 0 at each start —
// what a KV cache computes when reset_rows() is called at those steps.
struct SegmentLayout {
  torch::Tensor mask;       // [B, T, T] bool, query t may see key s (causality is added later)
  torch::Tensor positions;  // [B, T] int64, index within the sequence
};
// starts: [B, T] bool; real: [B, T] bool or undefined (all real). Pads take no position.
SegmentLayout segment_layout(const torch::Tensor& starts, const torch::Tensor& real = {});

// The KV cache of a batch of sequences. Slots are shared by the rows (every call writes the
// same slots for every row, so one `filled` counter serves the batch); which slots a row may
// attend to is `valid`. Tensors are updated in place: a PolicyState made by to_state() shares
// them, use clone() for an independent copy.
struct KvCache {
  std::vector<torch::Tensor> keys;    // per layer [B, H, capacity, D]
  std::vector<torch::Tensor> values;  // per layer [B, H, capacity, D]
  torch::Tensor valid;                // [B, capacity] bool, slot holds one of the row's tokens
  torch::Tensor length;               // [B] int64, the row's real tokens = its next position
  int64_t filled = 0;                 // slots [0, filled) are written

  int64_t batch() const { return valid.size(0); }
  int64_t capacity() const { return valid.size(1); }

  // Rows where `rows` ([B] bool) is true forget their tokens and restart at position 0.
  void reset_rows(const torch::Tensor& rows);
  // Moves each row's valid slots, in order, to the end of [0, longest row), freeing the slots
  // after it (rows reset at different times leave holes). O(capacity); extend() calls it when
  // the buffer is full.
  void compact();
  // Reallocates every buffer to `new_capacity` slots (>= filled), keeping the contents.
  void reserve(int64_t new_capacity);
  KvCache clone() const;

  // tensors = [keys (L), values (L), valid, length, filled (0-d int64)]; shares storage.
  PolicyState to_state() const;
  static KvCache from_state(const PolicyState& state);
};

// Multi-head causal self-attention with a fused QKV projection.
class CausalSelfAttentionImpl : public torch::nn::Module {
 public:
  CausalSelfAttentionImpl(int64_t width, int64_t heads, double dropout);
  // x: [B, T, C]; blocked: [B, 1, T, S] bool, true where query t may not see key s. Without a
  // cache S = T. With one (k_buffer, v_buffer: [B, H, capacity, D]) this block's K and V are
  // written to slots [past, past + T) and the queries attend over slots [0, S = past + T).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& blocked,
                        torch::Tensor* k_buffer = nullptr, torch::Tensor* v_buffer = nullptr,
                        int64_t past = 0);

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::Linear c_attn_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(CausalSelfAttention);

// x + attn(ln_1(x)), then x + mlp(ln_2(x)).
class TransformerBlockImpl : public torch::nn::Module {
 public:
  TransformerBlockImpl(int64_t width, int64_t heads, int64_t mlp_ratio, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& blocked,
                        torch::Tensor* k_buffer = nullptr, torch::Tensor* v_buffer = nullptr,
                        int64_t past = 0);

 private:
  double dropout_;
  torch::nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  CausalSelfAttention attn_{nullptr};
  torch::nn::Linear c_fc_{nullptr}, c_proj_{nullptr};
};
TORCH_MODULE(TransformerBlock);

class TransformerLmImpl : public torch::nn::Module {
 public:
  explicit TransformerLmImpl(TransformerLmConfig config);

  // Whole sequences (training, teacher forcing, scoring). tokens, positions: [B, T] int64.
  // mask: [B, T] bool — the real tokens (key padding mask) — or [B, T, T] bool — which keys
  // each query may see (e.g. document boundaries in packed training windows). Causality is
  // always added, and every token sees itself (so a pad's row stays finite).
  LmOutput forward(const torch::Tensor& tokens, const torch::Tensor& positions,
                   const torch::Tensor& mask);
  // Same, positions from positions_from_mask(real).
  LmOutput forward(const torch::Tensor& tokens, const torch::Tensor& real);
  // The trunk alone: final hidden states [B, T, C], for heads that need no logits.
  torch::Tensor hidden(const torch::Tensor& tokens, const torch::Tensor& positions,
                       const torch::Tensor& mask);
  // Hidden states [..., C] -> logits [..., V] through the tied embedding.
  torch::Tensor logits(const torch::Tensor& hidden) const;

  // An empty cache for `batch` rows with `capacity` slots (0: context).
  KvCache new_cache(int64_t batch, int64_t capacity = 0) const;
  // (Re)starts `cache` on left-padded prompts (tokens, real: [B, T], every row's last token
  // real; a cache of another batch size is replaced by a new one) and returns each row's
  // last-position output.
  LmStepOutput prefill(KvCache& cache, const torch::Tensor& tokens, const torch::Tensor& real);
  // Appends one real token per row (next_tokens: [B] int64); output at that token.
  LmStepOutput step(KvCache& cache, const torch::Tensor& next_tokens);
  // The general append: a left-padded block (tokens, real: [B, T]) after what the cache holds;
  // outputs at every new slot. Compacts or grows the cache when it is full; throws
  // tandem::Error when a row would exceed `context` tokens.
  LmOutput extend(KvCache& cache, const torch::Tensor& tokens, const torch::Tensor& real);

  const TransformerLmConfig& config() const { return config_; }
  int64_t num_parameters() const;
  std::shared_ptr<TransformerLmImpl> clone_lm() const;

 private:
  // Token + position embeddings, the blocks, the final LayerNorm: [B, T, C].
  torch::Tensor trunk(const torch::Tensor& tokens, const torch::Tensor& positions,
                      const torch::Tensor& blocked, KvCache* cache);
  // extend() without the output projection: [B, T, C].
  torch::Tensor extend_trunk(KvCache& cache, const torch::Tensor& tokens,
                             const torch::Tensor& real);
  void check_tokens(const torch::Tensor& tokens) const;

  TransformerLmConfig config_;
  torch::nn::Embedding wte_{nullptr}, wpe_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  std::vector<TransformerBlock> block_list_;
  torch::nn::LayerNorm ln_f_{nullptr};
};
TORCH_MODULE(TransformerLm);

// ---------------------------------------------------------------------------------------------
// Sampling

struct SamplingOptions {
  bool greedy = false;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  int64_t max_new_tokens = 64;
  int64_t eot_id = -1;

  template <class V>
  void visit(V& v) {
    v.field("greedy", greedy, "take the most likely token (ignores the fields below)");
    v.field("temperature", temperature, 1e-3, 100.0, "logits are divided by this");
    v.field("top_k", top_k, int64_t{0}, int64_t{1} << 20, "keep the k likeliest tokens; 0: all");
    v.field("top_p", top_p, 1e-6, 1.0, "keep the smallest set of tokens with this much mass");
    v.field("max_new_tokens", max_new_tokens, int64_t{1}, int64_t{8192}, "generated per prompt");
    v.field("eot_id", eot_id, int64_t{-1}, int64_t{1} << 20,
            "end-of-text id that ends a completion; -1: none");
  }
};

// Temperature, then top-k, then top-p; removed tokens get -inf: [B, V].
torch::Tensor shape_logits(const torch::Tensor& logits, const SamplingOptions& options);
// One token per row from logits [B, V]: argmax when greedy, else a draw from
// softmax(shape_logits(...)) by inverse CDF with one uniform per row from `generator`: [B] int64.
torch::Tensor sample_tokens(const torch::Tensor& logits, const SamplingOptions& options,
                            at::Generator& generator);

struct GenerateResult {
  std::vector<std::vector<int64_t>> completions;  // new tokens, cut before the EOT
  std::vector<bool> ended;                        // the row produced the EOT
  torch::Tensor tokens;     // [B, N] every generated token (eot_id, or 0, after the end)
  torch::Tensor log_probs;  // [B, N] log π(token) under the model's own softmax (no temperature)
  torch::Tensor mask;       // [B, N] bool, generated tokens up to and including the EOT
};

// Samples completions for a batch of prompts (each non-empty, shorter than the context) in
// lockstep with the KV cache, in eval mode (restored afterwards), without gradients. The same
// seed gives the same completions.
GenerateResult generate(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& prompts,
                        const SamplingOptions& options, uint64_t seed);
GenerateResult generate(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& prompts,
                        const SamplingOptions& options, at::Generator& generator);

// A CPU generator seeded with `seed`.
at::Generator make_cpu_generator(uint64_t seed);

}  // namespace tandem::agents
