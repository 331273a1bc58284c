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
  envs::VectorEnv envs(
      [] {
        return envs::make_env("text/sort", {{"max_new_tokens", 6}});
      },
      4, 1,
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

// What config.json records under "resolved"/"policy": the architecture the env fixes (vocabulary,
// context), the given fields, and every default (init, pretrain, eot_id); building a policy from
// it gives the same model.
TEST(LmPolicy, TheResolvedConfigHoldsEveryFieldAndBuildsTheSameModel) {
  envs::EnvSpec spec;
  spec.id = "spaces only";
  spec.observation_space = envs::Space::box(21, 0, 300);
  spec.action_space = envs::Space::discrete(300);
  json given = kTinyLm;
  given["start_from"] = "results/runs/somewhere";
  const json resolved = resolved_policy_config(spec, given, "test");
  EXPECT_EQ(resolved["vocab_size"], 300) << resolved.dump();
  EXPECT_GE(resolved["context"].get<int64_t>(), 22);
  EXPECT_EQ(resolved["width"], 32);
  EXPECT_EQ(resolved["init"], "random");
  EXPECT_EQ(resolved["eot_id"], 1);
  EXPECT_TRUE(resolved["pretrain"].is_object() && !resolved["pretrain"].empty());
  EXPECT_EQ(resolved["start_from"], "results/runs/somewhere");

  json rebuilt = resolved;
  rebuilt.erase("start_from");
  Policy a = make_policy(spec, kTinyLm, "test"), b = make_policy(spec, rebuilt, "test");
  EXPECT_EQ(a->describe(), b->describe());
  EXPECT_EQ(resolved_policy_config(spec, rebuilt, "test"), [&] {
    json r = resolved;
    r.erase("start_from");
    return r;
  }());
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
