#include "agents/transformer_lm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "envs/error.h"

namespace tandem::agents {
namespace {

constexpr int64_t kVocab = 50;

TransformerLmConfig tiny_config() {
  TransformerLmConfig c;
  c.vocab_size = kVocab;
  c.context = 32;
  c.layers = 2;
  c.heads = 2;
  c.width = 32;
  return c;
}

TransformerLm tiny_lm(uint64_t seed = 0) {
  torch::set_num_threads(1);
  torch::manual_seed(seed);
  TransformerLm lm(tiny_config());
  lm->eval();
  return lm;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// prompts of different lengths, so the batch is left padded
const std::vector<std::vector<int64_t>> kPrompts = {
    {1, 2, 3}, {4, 5, 6, 7, 8, 9, 10}, {11}, {12, 13, 14, 15, 16}};

TEST(TransformerLm, ShapesAndParameterCount) {
  TransformerLm lm = tiny_lm();
  PaddedTokens p = left_pad(kPrompts, 0);
  LmOutput out = lm->forward(p.tokens, p.real);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{4, 7, kVocab}));
  EXPECT_EQ(out.hidden.sizes(), (std::vector<int64_t>{4, 7, 32}));
  // tied embedding: V·C + context·C + layers·(12C² + 13C) + 2C (final LayerNorm)
  const int64_t C = 32;
  EXPECT_EQ(lm->num_parameters(), kVocab * C + 32 * C + 2 * (12 * C * C + 13 * C) + 2 * C);
  // left padding and positions
  EXPECT_TRUE(torch::equal(p.real[2], torch::tensor({0, 0, 0, 0, 0, 0, 1}).to(torch::kBool)));
  EXPECT_TRUE(torch::equal(positions_from_mask(p.real)[0],
                           torch::tensor({0, 0, 0, 0, 0, 1, 2}, torch::kLong)));
}

TEST(TransformerLm, GptInitScalesResidualProjections) {
  torch::manual_seed(0);
  TransformerLmConfig c = tiny_config();
  c.width = 64;
  c.layers = 8;
  TransformerLm lm(c);
  auto params = lm->named_parameters();
  EXPECT_NEAR(params["wte.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(params["h.0.c_fc.weight"].std().item<double>(), 0.02, 0.002);
  EXPECT_NEAR(params["h.0.attn.c_proj.weight"].std().item<double>(), 0.02 / std::sqrt(16.0),
              0.0005);
  EXPECT_NEAR(params["h.3.c_proj.weight"].std().item<double>(), 0.02 / std::sqrt(16.0), 0.0005);
  EXPECT_EQ(params["h.0.c_fc.bias"].abs().sum().item<double>(), 0.0);
}

TEST(TransformerLm, LaterTokensDoNotChangeEarlierLogits) {
  TransformerLm lm = tiny_lm();
  torch::Tensor x = torch::randint(kVocab, {2, 12}, torch::kLong);  // [2, 12]
  torch::Tensor real = torch::ones({2, 12}, torch::kBool);
  torch::Tensor a = lm->forward(x, real).logits;  // [2, 12, V]
  torch::Tensor x2 = x.clone();
  x2.narrow(1, 7, 5).copy_((x.narrow(1, 7, 5) + 1) % kVocab);
  torch::Tensor b = lm->forward(x2, real).logits;
  EXPECT_EQ(max_abs_diff(a.narrow(1, 0, 7), b.narrow(1, 0, 7)), 0.0);
  EXPECT_GT(max_abs_diff(a.narrow(1, 7, 5), b.narrow(1, 7, 5)), 1e-4);
}

TEST(TransformerLm, LeftPaddedRowComputesWhatItComputesAlone) {
  TransformerLm lm = tiny_lm();
  PaddedTokens p = left_pad(kPrompts, 7);                      // pad id 7: any id, never attended
  torch::Tensor batch = lm->forward(p.tokens, p.real).logits;  // [4, 7, V]
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    const int64_t n = kPrompts[i].size();
    torch::Tensor alone =
        lm->forward(torch::tensor(kPrompts[i]).unsqueeze(0), torch::ones({1, n}, torch::kBool))
            .logits;  // [1, n, V]
    EXPECT_LT(max_abs_diff(batch[i].narrow(0, 7 - n, n), alone[0]), 1e-5) << "row " << i;
  }
  // segment_layout with one sequence per row is the same left-padded layout
  torch::Tensor starts = torch::zeros_like(p.real);
  starts.select(1, 0).fill_(true);
  SegmentLayout layout = segment_layout(starts, p.real);
  EXPECT_TRUE(torch::equal(layout.positions, positions_from_mask(p.real)));
  torch::Tensor segmented = lm->forward(p.tokens, layout.positions, layout.mask).logits;
  EXPECT_LT(max_abs_diff(segmented.masked_select(p.real.unsqueeze(-1)),
                         batch.masked_select(p.real.unsqueeze(-1))),
            1e-5);
}

// The core property: step-by-step generation with the KV cache and one teacher-forced pass over
// the stored sequences give the same per-token log-probs, with left-padded rows.
TEST(TransformerLm, KvCacheLogProbsEqualTeacherForcing) {
  TransformerLm lm = tiny_lm(3);
  torch::NoGradGuard no_grad;
  const int64_t N = 12;
  PaddedTokens p = left_pad(kPrompts, 0);
  const int64_t B = p.tokens.size(0), Tp = p.tokens.size(1);
  // cached: prefill, then step with sampled tokens, keeping every full log-softmax
  at::Generator gen = make_cpu_generator(11);
  SamplingOptions sampling;
  KvCache cache = lm->new_cache(B);
  torch::Tensor logits = lm->prefill(cache, p.tokens, p.real).logits;  // [B, V]
  std::vector<torch::Tensor> cached_logp, sampled;
  for (int64_t t = 0; t < N; ++t) {
    cached_logp.push_back(torch::log_softmax(logits, -1));    // [B, V]
    sampled.push_back(sample_tokens(logits, sampling, gen));  // [B]
    logits = lm->step(cache, sampled.back()).logits;
  }
  torch::Tensor generated = torch::stack(sampled, 1);   // [B, N]
  torch::Tensor cached = torch::stack(cached_logp, 1);  // [B, N, V]
  EXPECT_EQ(cache.filled, Tp + N);
  EXPECT_TRUE(torch::equal(cache.length, torch::tensor({3 + N, 7 + N, 1 + N, 5 + N})));

  // teacher forcing: the whole left-padded sequences in one pass
  torch::Tensor full = torch::cat({p.tokens, generated}, 1);                        // [B, Tp+N]
  torch::Tensor real = torch::cat({p.real, torch::ones({B, N}, torch::kBool)}, 1);  // [B, Tp+N]
  torch::Tensor forced = torch::log_softmax(lm->forward(full, real).logits, -1);    // [B, Tp+N, V]
  forced = forced.narrow(1, Tp - 1, N);                                             // [B, N, V]
  EXPECT_LE(max_abs_diff(cached, forced), 1e-5);
  // and the per-token log-probs of the sampled tokens, as evaluate() would compute them
  torch::Tensor lp_cached = cached.gather(2, generated.unsqueeze(2)).squeeze(2);  // [B, N]
  torch::Tensor lp_forced = token_log_probs(forced, generated);                   // [B, N]
  EXPECT_LE(max_abs_diff(lp_cached, lp_forced), 1e-5);

  // generate() records the same log-probs
  SamplingOptions o;
  o.max_new_tokens = N;
  GenerateResult r = generate(*lm, kPrompts, o, 5);
  torch::Tensor full_r = torch::cat({p.tokens, r.tokens}, 1);  // [B, Tp+N]
  torch::Tensor lp_r = token_log_probs(lm->forward(full_r, real).logits.narrow(1, Tp - 1, N),
                                       r.tokens);  // [B, N]
  EXPECT_LE(max_abs_diff(lp_r, r.log_probs), 1e-5);
}

TEST(TransformerLm, ExtendWithABlockEqualsSteps) {
  TransformerLm lm = tiny_lm(4);
  torch::NoGradGuard no_grad;
  PaddedTokens p = left_pad(kPrompts, 0);
  torch::Tensor more = torch::randint(kVocab, {4, 5}, torch::kLong);  // [4, 5]
  KvCache a = lm->new_cache(4), b = lm->new_cache(4);
  lm->prefill(a, p.tokens, p.real);
  lm->prefill(b, p.tokens, p.real);
  torch::Tensor block = lm->extend(a, more, torch::ones({4, 5}, torch::kBool)).logits;  // [4,5,V]
  for (int64_t t = 0; t < 5; ++t) {
    torch::Tensor step = lm->step(b, more.select(1, t)).logits;  // [4, V]
    EXPECT_LE(max_abs_diff(block.select(1, t), step), 1e-5) << "t " << t;
  }
}

TEST(TransformerLm, ResetRowsRestartsThemAsFreshSequences) {
  TransformerLm lm = tiny_lm(5);
  torch::NoGradGuard no_grad;
  PaddedTokens p = left_pad(kPrompts, 0);
  // a small capacity forces compaction and growth along the way
  KvCache cache = lm->new_cache(4, 8);
  lm->prefill(cache, p.tokens, p.real);
  torch::Tensor next = torch::tensor({20, 21, 22, 23}, torch::kLong);
  for (int i = 0; i < 4; ++i) lm->step(cache, next);
  KvCache untouched = cache.clone();  // rows 0 and 3 continue as if nothing happened
  // through a PolicyState (sharing the tensors) and back, then reset rows 1 and 2
  PolicyState state = cache.to_state();
  EXPECT_EQ(state.tensors.size(), 2u * 2 + 3);
  KvCache restored = KvCache::from_state(state);
  restored.reset_rows(torch::tensor({false, true, true, false}));
  EXPECT_TRUE(torch::equal(restored.length, torch::tensor({7, 0, 0, 9}, torch::kLong)));
  EXPECT_FALSE(restored.valid[1].any().item<bool>());
  // feed rows 1 and 2 new sequences token by token; compare with each sequence alone
  const std::vector<int64_t> fresh = {30, 31, 32, 33, 34, 35, 36, 37, 38, 39};
  KvCache alone = lm->new_cache(1);
  for (size_t t = 0; t < fresh.size(); ++t) {
    torch::Tensor tok = torch::tensor({int64_t(40), fresh[t], fresh[t], int64_t(41)});
    torch::Tensor out = lm->step(restored, tok).logits;                     // [4, V]
    torch::Tensor ref = lm->step(alone, torch::tensor({fresh[t]})).logits;  // [1, V]
    torch::Tensor ref_other = lm->step(untouched, tok).logits;              // [4, V]
    EXPECT_LE(max_abs_diff(out[1], ref[0]), 1e-5) << "t " << t;
    EXPECT_LE(max_abs_diff(out[2], ref[0]), 1e-5) << "t " << t;
    EXPECT_LE(max_abs_diff(out[0], ref_other[0]), 1e-5) << "t " << t;
    EXPECT_LE(max_abs_diff(out[3], ref_other[3]), 1e-5) << "t " << t;
  }
  EXPECT_TRUE(torch::equal(restored.length, torch::tensor({17, 10, 10, 19}, torch::kLong)));
  // compaction by hand: the longest row fills the front slots, the outputs stay the same
  KvCache compacted = restored.clone();
  compacted.compact();
  EXPECT_EQ(compacted.filled, 19);
  EXPECT_TRUE(torch::equal(compacted.valid.sum(1), compacted.length));
  torch::Tensor tok = torch::tensor({1, 2, 3, 4}, torch::kLong);
  EXPECT_LE(max_abs_diff(lm->step(compacted, tok).logits, lm->step(restored, tok).logits), 1e-5);
  // the rows share slots; holes were compacted away rather than growing without bound
  EXPECT_LE(restored.capacity(), 32);
}

// A rollout with episodes restarting mid-row (the Policy's act() resets cache rows at episode
// starts) scores the same in one pass with segment_layout() (the Policy's evaluate()).
TEST(TransformerLm, SegmentedTeacherForcingMatchesCacheWithResets) {
  TransformerLm lm = tiny_lm(9);
  torch::NoGradGuard no_grad;
  const int64_t B = 3, T = 14;
  torch::Tensor tokens = torch::randint(kVocab, {B, T}, torch::kLong);  // [B, T]
  torch::Tensor starts = torch::zeros({B, T}, torch::kBool);            // [B, T]
  starts.select(1, 0).fill_(true);
  starts[0][6] = true;
  starts[2][3] = true;
  starts[2][9] = true;
  KvCache cache = lm->new_cache(B);
  std::vector<torch::Tensor> stepped;
  for (int64_t t = 0; t < T; ++t) {
    cache.reset_rows(starts.select(1, t));
    stepped.push_back(torch::log_softmax(lm->step(cache, tokens.select(1, t)).logits, -1));
  }
  torch::Tensor cached = torch::stack(stepped, 1);  // [B, T, V]
  SegmentLayout layout = segment_layout(starts);
  EXPECT_TRUE(
      torch::equal(layout.positions[2],
                   torch::tensor({0, 1, 2, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4}, torch::kLong)));
  torch::Tensor forced =
      torch::log_softmax(lm->forward(tokens, layout.positions, layout.mask).logits, -1);
  EXPECT_LE(max_abs_diff(cached, forced), 1e-5);
}

TEST(TransformerLm, ContextAndVocabularyLimitsAreErrors) {
  TransformerLm lm = tiny_lm();
  torch::NoGradGuard no_grad;
  KvCache cache = lm->new_cache(1);
  lm->prefill(cache, torch::zeros({1, 30}, torch::kLong), torch::ones({1, 30}, torch::kBool));
  lm->step(cache, torch::tensor({1}));
  lm->step(cache, torch::tensor({1}));  // 32 tokens: full
  EXPECT_THROW(lm->step(cache, torch::tensor({1})), Error);
  EXPECT_THROW(
      lm->forward(torch::tensor({{int64_t(1), kVocab}}), torch::ones({1, 2}, torch::kBool)), Error);
  SamplingOptions o;
  o.max_new_tokens = 30;
  EXPECT_THROW(generate(*lm, {{1, 2, 3, 4}}, o, 0), Error);
  EXPECT_THROW(generate(*lm, {{1}, {}}, o, 0), Error);
  // right padding is not a valid prefill
  EXPECT_THROW(lm->prefill(cache, torch::tensor({{1, 2}}), torch::tensor({{true, false}})), Error);
  TransformerLmConfig bad = tiny_config();
  bad.heads = 3;
  EXPECT_THROW(TransformerLm{bad}, Error);
}

TEST(Sampling, TopKOneAndTinyTopPEqualGreedy) {
  TransformerLm lm = tiny_lm(6);
  SamplingOptions greedy;
  greedy.greedy = true;
  greedy.max_new_tokens = 16;
  SamplingOptions top1;
  top1.top_k = 1;
  top1.temperature = 2.0;
  top1.max_new_tokens = 16;
  SamplingOptions nucleus;
  nucleus.top_p = 1e-6;
  nucleus.max_new_tokens = 16;
  GenerateResult g = generate(*lm, kPrompts, greedy, 1);
  GenerateResult k = generate(*lm, kPrompts, top1, 2);
  GenerateResult n = generate(*lm, kPrompts, nucleus, 3);
  EXPECT_EQ(g.completions, k.completions);
  EXPECT_EQ(g.completions, n.completions);
  for (const auto& c : g.completions) EXPECT_EQ(c.size(), 16u);
}

TEST(Sampling, ShapeLogitsKeepsTopKAndNucleus) {
  torch::Tensor logits = torch::log(torch::tensor({{0.1, 0.4, 0.2, 0.3}})).to(torch::kFloat);
  SamplingOptions o;
  o.top_k = 2;
  torch::Tensor k = shape_logits(logits, o);
  EXPECT_TRUE(torch::equal(torch::isfinite(k), torch::tensor({{false, true, false, true}})));
  o.top_k = 0;
  o.top_p = 0.65;  // 0.4 + 0.3 = 0.7 >= 0.65: two tokens
  torch::Tensor p = shape_logits(logits, o);
  EXPECT_TRUE(torch::equal(torch::isfinite(p), torch::tensor({{false, true, false, true}})));
  o.top_p = 0.75;  // needs the 0.2 as well
  p = shape_logits(logits, o);
  EXPECT_TRUE(torch::equal(torch::isfinite(p), torch::tensor({{false, true, true, true}})));
  o.top_p = 1.0;
  o.temperature = 2.0;
  EXPECT_TRUE(torch::allclose(shape_logits(logits, o), logits / 2));
}

TEST(Sampling, DrawsFollowTheDistribution) {
  torch::set_num_threads(1);
  const int64_t n = 20000;
  torch::Tensor probs = torch::tensor({0.5, 0.0, 0.3, 0.2});
  torch::Tensor logits = torch::log(probs).unsqueeze(0).expand({n, 4}).to(torch::kFloat);
  at::Generator gen = make_cpu_generator(7);
  torch::Tensor draws = sample_tokens(logits, {}, gen);  // [n]
  torch::Tensor freq = torch::bincount(draws, {}, 4).to(torch::kDouble) / n;
  EXPECT_EQ(freq[1].item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(freq, probs.to(torch::kDouble), 0, 0.015)) << freq;
}

TEST(Sampling, GenerateIsDeterministicForASeedAndStopsAtEot) {
  TransformerLm lm = tiny_lm(8);
  SamplingOptions o;
  o.max_new_tokens = 20;
  o.eot_id = 0;
  o.temperature = 3.0;  // flat: each row meets the EOT within 20 tokens with p ≈ 1/3
  std::vector<std::vector<int64_t>> prompts(32, {5, 6});
  GenerateResult a = generate(*lm, prompts, o, 42);
  GenerateResult b = generate(*lm, prompts, o, 42);
  GenerateResult c = generate(*lm, prompts, o, 43);
  EXPECT_EQ(a.completions, b.completions);
  EXPECT_TRUE(torch::equal(a.tokens, b.tokens));
  EXPECT_NE(a.completions, c.completions);
  int ended = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto& comp = a.completions[i];
    // a completion never holds the EOT; the mask covers it plus the EOT when it ended
    for (int64_t t : comp) EXPECT_NE(t, 0);
    const int64_t masked = a.mask[i].sum().item<int64_t>();
    EXPECT_EQ(masked, static_cast<int64_t>(comp.size()) + (a.ended[i] ? 1 : 0));
    if (a.ended[i]) {
      EXPECT_EQ(a.tokens[i][comp.size()].item<int64_t>(), 0);
      ++ended;
    } else {
      EXPECT_EQ(comp.size(), 20u);
    }
  }
  EXPECT_GT(ended, 0);
  // the module's mode is left as it was
  lm->train();
  generate(*lm, prompts, o, 1);
  EXPECT_TRUE(lm->is_training());
}

}  // namespace
}  // namespace tandem::agents
