#include "agents/lm_heads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

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
