#include "agents/lm_pretrain.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "envs/error.h"

namespace tandem::agents {
namespace {

constexpr int64_t kEot = 0;

TransformerLmConfig tiny_config() {
  TransformerLmConfig c;
  c.vocab_size = 50;
  c.context = 32;
  c.layers = 2;
  c.heads = 2;
  c.width = 32;
  return c;
}

// Counting documents: s, s+1, …, s+9 for a start s in [1, 40). After the first token each next
// token is determined, and the EOT comes after exactly ten.
std::vector<std::vector<int64_t>> counting_docs(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> start(1, 39);
  std::vector<std::vector<int64_t>> docs;
  for (int i = 0; i < n; ++i) {
    const int64_t s = start(rng);
    std::vector<int64_t> d;
    for (int64_t k = 0; k < 10; ++k) d.push_back(s + k);
    docs.push_back(d);
  }
  return docs;
}

// Entropy (nats) of the unigram distribution of the targets: document tokens and EOTs.
double unigram_entropy(const std::vector<std::vector<int64_t>>& docs) {
  std::map<int64_t, double> count;
  double total = 0;
  for (const auto& d : docs) {
    for (int64_t t : d) count[t] += 1;
    count[kEot] += 1;
    total += d.size() + 1;
  }
  double h = 0;
  for (const auto& [token, c] : count) h -= c / total * std::log(c / total);
  return h;
}

TEST(LmPretrain, DocumentLayoutRestartsAtEachEot) {
  torch::Tensor x = torch::tensor({{3, 0, 5, 6, 0, 7}, {0, 1, 2, 3, 4, 5}}, torch::kLong);
  SegmentLayout l = document_layout(x, kEot);
  EXPECT_TRUE(torch::equal(l.positions,
                           torch::tensor({{0, 0, 1, 2, 0, 1}, {0, 1, 2, 3, 4, 5}}, torch::kLong)));
  // row 0: documents {0}, {1, 2, 3}, {4, 5}
  EXPECT_TRUE(l.mask[0][3][1].item<bool>());
  EXPECT_FALSE(l.mask[0][3][0].item<bool>());
  EXPECT_FALSE(l.mask[0][5][3].item<bool>());
  EXPECT_TRUE(l.mask[1].all().item<bool>());
}

TEST(LmPretrain, LearningRateScheduleWarmsUpAndDecays) {
  PretrainConfig c;
  c.steps = 110;
  c.warmup_steps = 10;
  c.min_lr_ratio = 0.1;
  EXPECT_NEAR(lr_multiplier(c, 0), 0.1, 1e-12);
  EXPECT_NEAR(lr_multiplier(c, 9), 1.0, 1e-12);
  EXPECT_NEAR(lr_multiplier(c, 10), 1.0, 1e-12);
  EXPECT_NEAR(lr_multiplier(c, 60), 0.55, 1e-12);  // cosine midpoint
  EXPECT_NEAR(lr_multiplier(c, 110), 0.1, 1e-12);
  c.schedule = "linear";
  EXPECT_NEAR(lr_multiplier(c, 35), 1 - 0.9 * 0.25, 1e-12);
  c.schedule = "constant";
  EXPECT_NEAR(lr_multiplier(c, 100), 1.0, 1e-12);
}

TEST(LmPretrain, EvaluationScoresEveryTokenOnceAndCountsBytes) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  TransformerLm lm(tiny_config());
  // one document longer than the context (70 tokens, 71 targets) and two short ones
  std::vector<std::vector<int64_t>> docs = {std::vector<int64_t>(70, 7), {1, 2, 3}, {4}};
  LmEvaluation e = evaluate_lm(*lm, docs, /*bytes=*/200, kEot, /*batch_size=*/2);
  EXPECT_EQ(e.tokens, 71 + 4 + 2);
  EXPECT_NEAR(e.nats_per_token, e.total_nats / e.tokens, 1e-12);
  EXPECT_NEAR(e.bits_per_byte, e.total_nats / std::log(2.0) / 200, 1e-12);
  // an untrained model is near uniform over the vocabulary
  EXPECT_NEAR(e.nats_per_token, std::log(50.0), 0.5);
  // short documents are scored exactly as a single teacher-forced pass from position 0
  torch::Tensor x = torch::tensor({{kEot, int64_t(1), int64_t(2), int64_t(3)}});
  torch::Tensor y = torch::tensor({{int64_t(1), int64_t(2), int64_t(3), kEot}});
  lm->eval();
  double nats = -token_log_probs(lm->forward(x, torch::ones_like(x, torch::kBool)).logits, y)
                     .sum()
                     .item<double>();
  LmEvaluation one = evaluate_lm(*lm, {{1, 2, 3}}, 0, kEot);
  EXPECT_NEAR(one.total_nats, nats, 1e-4);
  EXPECT_TRUE(std::isnan(one.bits_per_byte));
}

TEST(LmPretrain, TinyModelLearnsTinyCorpus) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  TransformerLm lm(tiny_config());
  LmCorpus corpus;
  corpus.train = counting_docs(300, 1);
  corpus.validation = counting_docs(30, 2);
  corpus.validation_bytes = 30 * 10 * 2;  // say two bytes per token
  corpus.eot_id = kEot;
  PretrainConfig config;
  config.steps = 400;
  config.batch_size = 16;
  config.learning_rate = 3e-3;
  config.warmup_steps = 20;
  config.eval_every = 200;
  int calls = 0, evaluations = 0;
  PretrainMetrics first;
  PretrainMetrics m = pretrain_lm(*lm, corpus, config, [&](const PretrainMetrics& p) {
    if (calls++ == 0) first = p;
    evaluations += p.evaluated;
  });
  EXPECT_EQ(calls, 400);
  EXPECT_EQ(evaluations, 2);
  EXPECT_EQ(m.step, 400);
  EXPECT_EQ(m.tokens, 400 * 16 * 32);
  EXPECT_GT(m.tokens_per_second, 0);
  const double h = unigram_entropy(corpus.train);  // ≈ 3.6 nats
  const double best = std::log(39.0) / 11;         // ≈ 0.33: only the first token is random
  EXPECT_GT(first.train_loss, 0.9 * std::log(50.0));
  EXPECT_LT(m.val_loss, 0.3 * h) << "unigram entropy " << h;
  EXPECT_GT(m.val_loss, 0.9 * best);
  EXPECT_NEAR(m.val_bits_per_byte, m.val_loss * 330 / std::log(2.0) / 600, 1e-9);

  // it counts: greedy continuations of [EOT, s] are s+1 … s+9, then the EOT
  SamplingOptions greedy;
  greedy.greedy = true;
  greedy.max_new_tokens = 12;
  greedy.eot_id = kEot;
  GenerateResult r = generate(*lm, {{kEot, 5}, {kEot, 20}, {kEot, 33}}, greedy, 0);
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t s = std::vector<int64_t>{5, 20, 33}[i];
    std::vector<int64_t> expected;
    for (int64_t k = 1; k < 10; ++k) expected.push_back(s + k);
    EXPECT_EQ(r.completions[i], expected) << "start " << s;
    EXPECT_TRUE(r.ended[i]);
  }
}

TEST(LmPretrain, SameSeedSameRunAndShortStreamIsAnError) {
  torch::set_num_threads(1);
  LmCorpus corpus;
  corpus.train = counting_docs(20, 3);
  corpus.validation = counting_docs(3, 4);
  PretrainConfig config;
  config.steps = 5;
  config.batch_size = 4;
  double loss[2];
  for (int run = 0; run < 2; ++run) {
    torch::manual_seed(9);
    TransformerLm lm(tiny_config());
    loss[run] = pretrain_lm(*lm, corpus, config).val_loss;
  }
  EXPECT_EQ(loss[0], loss[1]);
  corpus.train = {{1, 2, 3}};
  torch::manual_seed(9);
  TransformerLm lm(tiny_config());
  EXPECT_THROW(pretrain_lm(*lm, corpus, config), Error);
}

}  // namespace
}  // namespace tandem::agents
