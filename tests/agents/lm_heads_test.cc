#include "agents/lm_heads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "agents/trajectory_reward.h"
#include "envs/error.h"

namespace tandem::agents {
namespace {

TransformerLmConfig tiny_config() {
  TransformerLmConfig c;
  c.vocab_size = 50;
  c.context = 32;
  c.layers = 2;
  c.heads = 2;
  c.width = 32;
  return c;
}

TEST(LmHeads, ValueHeadGivesOneValuePerPosition) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  TransformerLm lm(tiny_config());
  ValueHead head(32);
  PaddedTokens p = left_pad({{1, 2, 3}, {4, 5, 6, 7, 8}}, 0);
  torch::Tensor v = head(lm->forward(p.tokens, p.real).hidden);  // [2, 5]
  EXPECT_EQ(v.sizes(), (std::vector<int64_t>{2, 5}));
  // on a single step's hidden state [B, C] it gives [B]
  EXPECT_EQ(head(torch::randn({3, 32})).sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(head->parameters().size(), 2u);
}

TEST(LmHeads, LastTokenPoolingPicksTheLastRealToken) {
  torch::Tensor hidden = torch::randn({3, 4, 6});  // [B, T, C]
  // left padded, right padded, full
  torch::Tensor real = torch::tensor(
      {{false, false, true, true}, {true, true, true, false}, {true, true, true, true}});
  EXPECT_TRUE(torch::equal(last_real_index(real), torch::tensor({3, 2, 3}, torch::kLong)));
  torch::Tensor last = pool_hidden(hidden, real, Pooling::kLast);  // [3, 6]
  EXPECT_TRUE(torch::equal(last[0], hidden[0][3]));
  EXPECT_TRUE(torch::equal(last[1], hidden[1][2]));
  EXPECT_TRUE(torch::equal(last[2], hidden[2][3]));
  torch::Tensor mean = pool_hidden(hidden, real, Pooling::kMean);  // [3, 6]
  EXPECT_TRUE(torch::allclose(mean[0], hidden[0].narrow(0, 2, 2).mean(0)));
  EXPECT_TRUE(torch::allclose(mean[1], hidden[1].narrow(0, 0, 3).mean(0)));
  EXPECT_TRUE(torch::allclose(mean[2], hidden[2].mean(0)));
  EXPECT_EQ(pooling_from_string("mean", "x"), Pooling::kMean);
  EXPECT_THROW(pooling_from_string("max", "x"), Error);
}

TEST(LmHeads, MeanPoolingAveragesTheMarkedTokensOnly) {
  torch::Tensor hidden = torch::randn({2, 5, 3});  // [B, T, C]
  torch::Tensor real =
      torch::tensor({{false, true, true, true, true}, {true, true, true, true, true}});
  torch::Tensor pooled =
      torch::tensor({{false, false, true, true, false}, {false, false, false, false, false}});
  torch::Tensor mean = pool_hidden(hidden, real, Pooling::kMean, pooled);  // [2, 3]
  EXPECT_TRUE(torch::allclose(mean[0], hidden[0].narrow(0, 2, 2).mean(0)));
  EXPECT_TRUE(torch::equal(mean[1], torch::zeros({3}))) << "nothing to pool: zeros";
  // last-token pooling ignores the marks
  EXPECT_TRUE(torch::equal(pool_hidden(hidden, real, Pooling::kLast, pooled)[0], hidden[0][4]));
}

// One whole episode per row, as a rollout stores it: obs [n, context tokens], the next token.
agents::TrajectoryBatch episodes(const std::vector<std::vector<int64_t>>& prompts,
                                 const std::vector<std::vector<int64_t>>& actions, int64_t width) {
  const int64_t rows = static_cast<int64_t>(prompts.size());
  int64_t steps = 0;
  for (const auto& a : actions) steps = std::max<int64_t>(steps, a.size());
  TrajectoryBatch b;
  b.obs = torch::zeros({rows, steps, 1 + width});
  b.actions = torch::zeros({rows, steps, 1});
  b.mask = torch::zeros({rows, steps});
  b.episode_start = torch::zeros({rows, steps}, torch::kBool);
  for (int64_t i = 0; i < rows; ++i) {
    std::vector<int64_t> context = prompts[i];
    for (size_t t = 0; t < actions[i].size(); ++t) {
      b.obs[i][t][0] = static_cast<double>(context.size());
      for (size_t k = 0; k < context.size(); ++k) b.obs[i][t][1 + k] = context[k];
      b.actions[i][t][0] = actions[i][t];
      b.mask[i][t] = 1.0;
      context.push_back(actions[i][t]);
    }
    b.episode_start[i][0] = true;
  }
  b.env_obs = b.obs;
  return b;
}

TEST(LmHeads, TextRewardMeanPoolsTheCompletionOnly) {
  torch::set_num_threads(1);
  torch::manual_seed(3);
  const int64_t eot = 2;
  LmTrajectoryRewardImpl reward(tiny_config(), eot, Pooling::kMean);
  reward.eval();
  // row 0 ends with end-of-text, row 1 at the length limit
  const std::vector<std::vector<int64_t>> prompts = {{5, 6, 7}, {10, 11}};
  const std::vector<std::vector<int64_t>> actions = {{8, 9, eot}, {12, 13, 14, 15}};
  torch::Tensor scores = reward.step_rewards(episodes(prompts, actions, 10)).sum(1);  // [2]
  // each row alone: EOT + prompt + actions; the completion is 8 9 (not the closing EOT), and
  // 12 13 14 15
  const std::vector<std::vector<int64_t>> seqs = {{eot, 5, 6, 7, 8, 9, eot},
                                                  {eot, 10, 11, 12, 13, 14, 15}};
  const std::vector<std::pair<int64_t, int64_t>> completion = {{4, 2}, {3, 4}};  // start, count
  for (size_t i = 0; i < seqs.size(); ++i) {
    torch::Tensor x = torch::tensor(seqs[i]).unsqueeze(0);  // [1, S]
    torch::Tensor real = torch::ones_like(x, torch::kBool);
    torch::Tensor h = reward.model()->trunk()->hidden(x, positions_from_mask(real), real);
    torch::Tensor marks = torch::zeros_like(real);
    marks[0].narrow(0, completion[i].first, completion[i].second).fill_(true);
    const double expected = reward.model()->score(h, real, marks)[0].item<double>();
    const double all_tokens = reward.model()->score(h, real)[0].item<double>();
    EXPECT_NEAR(scores[i].item<double>(), expected, 1e-5) << "row " << i;
    EXPECT_GT(std::abs(expected - all_tokens), 1e-6) << "the prompt and EOT would change it";
  }
}

TEST(LmHeads, RewardModelScoresEachSequenceIgnoringPadding) {
  torch::set_num_threads(1);
  for (Pooling pooling : {Pooling::kLast, Pooling::kMean}) {
    torch::manual_seed(1);
    RewardModel rm(tiny_config(), pooling);
    rm->eval();
    const std::vector<std::vector<int64_t>> seqs = {{1, 2, 3}, {4, 5, 6, 7, 8, 9}, {10}};
    PaddedTokens p = left_pad(seqs, 0);
    torch::Tensor scores = rm(p.tokens, p.real);  // [3]
    ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{3}));
    for (size_t i = 0; i < seqs.size(); ++i) {
      torch::Tensor x = torch::tensor(seqs[i]).unsqueeze(0);
      torch::Tensor alone = rm(x, torch::ones_like(x, torch::kBool));  // [1]
      EXPECT_NEAR(scores[i].item<double>(), alone[0].item<double>(), 1e-5);
    }
    // the last-token score reads the last real token: changing it changes only that score
    if (pooling == Pooling::kLast) {
      torch::Tensor changed = p.tokens.clone();
      changed[1][5] = 20;
      torch::Tensor s2 = rm(changed, p.real);
      EXPECT_NEAR(s2[0].item<double>(), scores[0].item<double>(), 1e-6);
      EXPECT_GT(std::abs(s2[1].item<double>() - scores[1].item<double>()), 1e-7);
    }
  }
}

TEST(LmHeads, RewardModelTrunkLoadsFromALanguageModel) {
  torch::manual_seed(2);
  TransformerLm lm(tiny_config());
  RewardModel rm(tiny_config());
  rm->load_trunk(*lm);
  auto a = lm->named_parameters();
  for (const auto& item : rm->trunk()->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), a[item.key()])) << item.key();
  }
  TransformerLmConfig other = tiny_config();
  other.width = 64;
  EXPECT_THROW(RewardModel(other)->load_trunk(*lm), Error);
}

}  // namespace
}  // namespace tandem::agents
