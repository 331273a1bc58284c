// The LM as a Policy on a text env: what act() sampled with its KV cache, evaluate() scores
// the same by teacher forcing; and PPO runs on it unchanged.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "agents/policy_factory.h"
#include "algorithms/algorithm.h"
#include "algorithms/rollout.h"
#include "envs/registry.h"
#include "envs/text/tokenizer.h"
#include "envs/vector_env.h"

namespace tandem::agents {
namespace {

const json kTinyLm = {{"layers", 1}, {"heads", 2}, {"width", 32}, {"init", "random"}};

TEST(LmPolicy, EvaluateReproducesTheLogProbsOfCachedSampling) {
  std::string why;
  if (!text::sentencepiece_available(&why)) GTEST_SKIP() << why;
  torch::manual_seed(0);
  envs::VectorEnv envs([] { return envs::make_env("text/sort", {{"max_new_tokens", 6}}); }, 4, 1,
                       /*auto_reset=*/false);
  Policy policy = make_policy(envs.spec(), kTinyLm, "test");
  EXPECT_FALSE(policy->stateless());
  algorithms::RolloutCollector collector(envs, 3);
  TrajectoryBatch b = collector.collect(*policy, 100);
  EXPECT_EQ(collector.take_finished().size(), 4u);
  EXPECT_LE(b.horizon(), 6);
  EvaluateResult e = policy->evaluate(b);
  torch::Tensor diff = ((e.log_prob - b.log_probs) * b.mask).abs().max();
  EXPECT_LT(diff.item<double>(), 1e-5);
  torch::Tensor vdiff = ((e.value - b.values) * b.mask).abs().max();
  EXPECT_LT(vdiff.item<double>(), 1e-5);
  EXPECT_GT((e.entropy * b.mask).sum().item<double>(), 0.0);
}

TEST(LmPolicy, PpoRunsOnATextTaskThroughTheSameCode) {
  std::string why;
  if (!text::sentencepiece_available(&why)) GTEST_SKIP() << why;
  algorithms::RunOptions o;
  o.env_id = "text/sort";
  o.env_options = {{"max_new_tokens", 6}};
  o.policy = kTinyLm;
  o.total_steps = 64;
  o.eval_episodes = 4;
  o.eval_interval = 1 << 30;
  o.progress = false;
  algorithms::RunContext ctx(o);
  auto ppo = algorithms::make_algorithm(
      "ppo", {{"num_envs", 8}, {"steps_per_env", 8}, {"minibatches", 2}, {"epochs", 2}}, "test");
  ppo->train(ctx);
  ASSERT_TRUE(ctx.last_evaluation().has_value());
  // a gold reward in [0, 1] per episode
  EXPECT_GE(ctx.last_evaluation()->return_mean, 0.0);
  EXPECT_LE(ctx.last_evaluation()->return_mean, 1.0);
}

}  // namespace
}  // namespace tandem::agents
