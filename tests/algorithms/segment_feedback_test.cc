// Christiano-style segment preferences: segments of the configured length that replay to their
// recorded return, Bradley–Terry labels (σ((g_a − g_b) / T) by hand), flipped labels, the
// version-2 file format, and batches that mask a segment's prefix.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "agents/policy_factory.h"
#include "algorithms/feedback.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "tests/algorithms/two_policies.h"

namespace tandem::algorithms {
namespace {
namespace fs = std::filesystem;

// Reacher-v5 episodes are 50 steps, always: segments are cut from the inside.
EnvFactory reacher() {
  return [] { return envs::make_env("Reacher-v5"); };
}

using testing::sigmoid;
using testing::two_policies;
using testing::TwoPolicies;

Episode with_gold(double gold) {
  Episode e;
  e.gold_return = gold;
  return e;
}

TEST(SegmentFeedback, LabelsAreBradleyTerryByHand) {
  // g_a = 3, g_b = 1, T = 2: P(a ≻ b) = σ(1) = 0.7310585786300049
  const double p = 0.7310585786300049;
  PreferencePair kept = bradley_terry_pair(with_gold(3), with_gold(1), 2.0, 0.25, 0.70, 0.5);
  EXPECT_EQ(kept.chosen.gold_return, 3);
  EXPECT_NEAR(kept.p_chosen, p, 1e-15);
  EXPECT_FALSE(kept.flipped);
  PreferencePair lost = bradley_terry_pair(with_gold(3), with_gold(1), 2.0, 0.25, 0.74, 0.5);
  EXPECT_EQ(lost.chosen.gold_return, 1) << "u = 0.74 > σ(1): the worse one is drawn";
  EXPECT_NEAR(lost.p_chosen, 1 - p, 1e-15);
  PreferencePair flipped = bradley_terry_pair(with_gold(3), with_gold(1), 2.0, 0.25, 0.70, 0.2);
  EXPECT_TRUE(flipped.flipped) << "u_flip = 0.2 < 0.25";
  EXPECT_EQ(flipped.chosen.gold_return, 1) << "a was drawn, then the label flipped";
  EXPECT_NEAR(flipped.p_chosen, p, 1e-15) << "the probability the label was drawn with";
}

TEST(SegmentFeedback, SegmentsHaveTheirLengthAndReplayToTheirReturn) {
  auto env = reacher()();
  TwoPolicies policies = two_policies(*env);
  PreferenceConfig config;
  config.pairs = 24;
  config.segment_length = 10;
  config.seed = 3;
  const auto pairs = make_segment_pairs(policies.sources(), reacher(), config, false);
  ASSERT_EQ(pairs.size(), 24u);
  std::set<int64_t> begins;
  std::map<std::string, int> sources;
  for (const PreferencePair& p : pairs) {
    for (const Episode* e : {&p.chosen, &p.rejected}) {
      // the prefix and the segment: 10 steps ending at the last action
      ASSERT_EQ(e->actions.size(0) - e->segment_begin, 10);
      ASSERT_EQ(e->env_obs.size(0), e->actions.size(0));
      EXPECT_LE(e->segment_begin, 40);
      begins.insert(e->segment_begin);
      ++sources[e->source];
      // replayed by hand: the return over the segment's steps alone, and the observations
      auto replay = envs::make_env("Reacher-v5");
      std::vector<float> obs = replay->reset_to_context(e->context);
      double gold = 0;
      for (int64_t t = 0; t < e->actions.size(0); ++t) {
        ASSERT_TRUE(torch::equal(e->env_obs[t], torch::tensor(obs))) << "step " << t;
        const torch::Tensor a = e->actions[t].contiguous();
        envs::StepResult s =
            replay->step(std::vector<float>(a.data_ptr<float>(), a.data_ptr<float>() + a.numel()));
        if (t >= e->segment_begin) gold += s.reward;
        obs = s.obs;
      }
      EXPECT_NEAR(e->gold_return, gold, 1e-12);
    }
    // the label's probability is σ(Δ / T) of the segments' returns, before any flip
    const double delta = p.chosen.gold_return - p.rejected.gold_return;
    EXPECT_NEAR(p.p_chosen, sigmoid(p.flipped ? -delta : delta), 1e-12);
  }
  EXPECT_GT(begins.size(), 5u) << "segments are cut at random places";
  EXPECT_GT(sources["a"], 0);
  EXPECT_GT(sources["b"], 0);
  EXPECT_EQ(sources["a"] + sources["b"], 48);

  // whole-episode segments (segment_length 0) begin at the start
  config.segment_length = 0;
  config.pairs = 2;
  for (const PreferencePair& p : make_segment_pairs(policies.sources(), reacher(), config, false)) {
    EXPECT_EQ(p.chosen.segment_begin, 0);
    EXPECT_EQ(p.chosen.actions.size(0), 50);
  }
}

TEST(SegmentFeedback, ShorterEpisodesAreComparedWhole) {
  // a random policy drops the pendulum within a few dozen steps: shorter than 50
  auto make = [] { return envs::make_env("InvertedPendulum-v5"); };
  torch::manual_seed(1);
  agents::Policy policy = agents::make_policy(*make(), {{"hidden", {16}}}, "test");
  PreferenceConfig config;
  config.pairs = 8;
  config.segment_length = 500;
  const auto pairs = make_segment_pairs({{"start", policy.get()}}, make, config, false);
  for (const PreferencePair& p : pairs) {
    EXPECT_EQ(p.chosen.segment_begin, 0);
    EXPECT_LT(p.chosen.actions.size(0), 500);
    // InvertedPendulum pays 1 per step but the terminal one: the whole episode's return
    EXPECT_DOUBLE_EQ(p.chosen.gold_return, static_cast<double>(p.chosen.actions.size(0) - 1));
  }
}

TEST(SegmentFeedback, LabelFrequenciesAndFlipsFollowTheConfig) {
  auto env = reacher()();
  TwoPolicies policies = two_policies(*env);
  PreferenceConfig config;
  config.pairs = 200;
  config.segment_length = 10;
  config.seed = 5;
  config.temperature = 0.5;
  // the better segment is chosen with probability σ(|Δ| / T): the count sits within 4 standard
  // deviations of the sum of those probabilities
  auto pairs = make_segment_pairs(policies.sources(), reacher(), config, false);
  double expected = 0, variance = 0, better = 0;
  for (const PreferencePair& p : pairs) {
    const double delta = p.chosen.gold_return - p.rejected.gold_return;
    const double q = sigmoid(std::abs(delta) / config.temperature);
    expected += q;
    variance += q * (1 - q);
    better += delta > 0 ? 1 : 0;
  }
  EXPECT_GT(expected, 120) << "the two policies' segments differ enough to be told apart";
  EXPECT_LT(expected, 195) << "and the temperature leaves noise to see";
  EXPECT_NEAR(better, expected, 4 * std::sqrt(variance) + 1);

  // flips: with exact labels (T → 0), 30 % of them flipped, and every flipped one is wrong
  config.temperature = 1e-6;
  config.flip_fraction = 0.3;
  pairs = make_segment_pairs(policies.sources(), reacher(), config, false);
  int flipped = 0;
  for (const PreferencePair& p : pairs) {
    flipped += p.flipped;
    if (p.chosen.gold_return == p.rejected.gold_return) continue;
    EXPECT_EQ(p.chosen.gold_return > p.rejected.gold_return, !p.flipped);
  }
  // binomial(200, 0.3): mean 60, sd 6.5
  EXPECT_NEAR(flipped, 60, 26);
  EXPECT_NEAR(preference_accuracy_ceiling(pairs, 1e-6, 0.3), 0.7, 1e-9);
}

TEST(SegmentFeedback, FilesAreVersionTwoAndValidated) {
  auto env = reacher()();
  TwoPolicies policies = two_policies(*env);
  PreferenceConfig config;
  config.pairs = 4;
  config.segment_length = 10;
  const auto pairs = make_segment_pairs(policies.sources(), reacher(), config, false);
  const std::string path = (fs::temp_directory_path() / "tandem_segment_test.jsonl").string();
  save_preferences(path, pairs);
  const auto loaded = load_preferences(path, reacher());
  ASSERT_EQ(loaded.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_TRUE(torch::equal(loaded[i].chosen.actions, pairs[i].chosen.actions));
    EXPECT_TRUE(torch::equal(loaded[i].rejected.env_obs, pairs[i].rejected.env_obs));
    EXPECT_EQ(loaded[i].chosen.segment_begin, pairs[i].chosen.segment_begin);
    EXPECT_EQ(loaded[i].rejected.source, pairs[i].rejected.source);
    EXPECT_DOUBLE_EQ(loaded[i].chosen.gold_return, pairs[i].chosen.gold_return);
  }

  std::string first;
  std::getline(std::ifstream(path), first);
  const json line = json::parse(first);
  EXPECT_EQ(line["version"], 2);
  auto refused = [&](json bad, const std::string& says) {
    std::ofstream(path) << bad.dump() << "\n";
    try {
      load_preferences(path, reacher());
      ADD_FAILURE() << "accepted: " << says;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + " line 1"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  json moved = line;  // another cut of the same steps has another return
  moved["chosen"]["segment_begin"] = line["chosen"]["segment_begin"].get<int64_t>() == 0 ? 1 : 0;
  refused(moved, "replayed gold return");
  json missing = line;
  missing["rejected"].erase("segment_begin");
  refused(missing, "segment_begin");
  json beyond = line;
  beyond["chosen"]["segment_begin"] = line["chosen"]["actions"].size();
  refused(beyond, "segment_begin");
  json old = line;  // version 1 has no segments
  old["version"] = 1;
  refused(old, "\"segment_begin\" needs \"version\": 2");
  json future = line;
  future["version"] = 3;
  refused(future, "\"version\" must be 1 or 2");
  fs::remove(path);
}

TEST(SegmentFeedback, BatchesMaskThePrefix) {
  // by hand: a 5-step episode whose segment is steps 2..4, and a whole 3-step episode
  Episode a, b;
  a.env_obs = torch::arange(10, torch::kFloat32).view({5, 2});
  a.actions = torch::ones({5, 1});
  a.segment_begin = 2;
  b.env_obs = torch::ones({3, 2});
  b.actions = torch::ones({3, 1});
  agents::TrajectoryBatch batch = episodes_batch({&a, &b}, nullptr);
  EXPECT_TRUE(torch::equal(batch.mask,
                           torch::tensor({{0.f, 0.f, 1.f, 1.f, 1.f}, {1.f, 1.f, 1.f, 0.f, 0.f}})));
  EXPECT_TRUE(batch.episode_start[0][0].item<bool>()) << "the row starts at the episode's start";
  // a per-step score summed over the segment: steps 2, 3, 4 of row 0 score 4 + 6 + 8
  torch::Tensor first_obs = batch.env_obs.select(2, 0);  // [B, T]
  EXPECT_TRUE(torch::equal(batch.masked_sum(first_obs), torch::tensor({18.f, 3.f})));

  // log π of a segment (DPO's) is the sum of its own steps' log-densities
  auto env = reacher()();
  TwoPolicies policies = two_policies(*env);
  PreferenceConfig config;
  config.pairs = 4;
  config.segment_length = 10;
  const auto pairs = make_segment_pairs(policies.sources(), reacher(), config, false);
  const Episode* cut = nullptr;  // a segment with a prefix
  for (const PreferencePair& p : pairs)
    for (const Episode* e : {&p.chosen, &p.rejected})
      if (cut == nullptr && e->segment_begin > 0) cut = e;
  ASSERT_NE(cut, nullptr);
  const Episode& e = *cut;
  agents::PolicyImpl& policy = *policies.a;
  torch::NoGradGuard no_grad;
  agents::TrajectoryBatch rows = episodes_batch({&e, &pairs[0].rejected}, &policy);
  const double segment = rows.masked_sum(policy.evaluate(rows).log_prob)[0].item<double>();
  const int64_t begin = e.segment_begin, n = e.actions.size(0);
  agents::TrajectoryBatch alone = episodes_batch({&e}, &policy);
  const torch::Tensor per_step = policy.evaluate(alone).log_prob[0];  // [T]
  EXPECT_NEAR(segment, per_step.slice(0, begin, n).sum().item<double>(), 1e-4);
  EXPECT_GT(std::abs(per_step.slice(0, 0, begin).sum().item<double>()), 0.0)
      << "the prefix has log-densities of its own, left out";
}

}  // namespace
}  // namespace tandem::algorithms
