// Common-state segment pairs (pair_start "common") and advantage labels (label "advantage"):
// both sides of a pair replay the same prefix to the same state at segment_begin and differ
// after it; the advantage label is Σ γ^t r_t + γ^L V(s_L) − V(s_0) by hand; the label's
// probability is drawn on it while gold_return stays the env's own return; the file keeps it;
// cache keys of the defaults stay what they were.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "agents/policy_factory.h"
#include "algorithms/feedback.h"
#include "algorithms/segment_labels.h"
#include "envs/registry.h"
#include "envs/text/hash.h"
#include "tests/algorithms/two_policies.h"

namespace tandem::algorithms {
namespace {
namespace fs = std::filesystem;

// Hopper-v5 falls: continuations of a random policy end early, some within the segment.
EnvFactory hopper() {
  return [] { return envs::make_env("Hopper-v5"); };
}

using testing::sigmoid;
using testing::two_policies;
using testing::TwoPolicies;

PreferenceConfig common_config(int64_t pairs, int64_t segment_length) {
  PreferenceConfig c;
  c.pairs = pairs;
  c.segment_length = segment_length;
  c.pair_start = "common";
  c.seed = 7;
  return c;
}

// The env's return over steps [begin, T) of an episode, replayed here by hand.
double replayed_return(const Episode& e) {
  auto env = hopper()();
  env->reset_to_context(e.context);
  double gold = 0;
  for (int64_t t = 0; t < e.actions.size(0); ++t) {
    const torch::Tensor a = e.actions[t].contiguous();
    const float* p = a.data_ptr<float>();
    const double r = env->step(std::vector<float>(p, p + a.numel())).reward;
    if (t >= e.segment_begin) gold += r;
  }
  return gold;
}

TEST(CommonStatePairs, BothSidesBranchFromTheSameState) {
  auto env = hopper()();
  TwoPolicies policies = two_policies(*env);
  const auto pairs = make_segment_pairs(policies.sources(), hopper(), common_config(16, 10), false);
  ASSERT_EQ(pairs.size(), 16u);
  std::set<int64_t> begins;
  int differing = 0;
  for (const PreferencePair& p : pairs) {
    const int64_t b = p.chosen.segment_begin;
    ASSERT_EQ(p.rejected.segment_begin, b) << "one branch step per pair";
    ASSERT_EQ(p.chosen.context, p.rejected.context) << "one episode start per pair";
    begins.insert(b);
    // the same prefix of actions, so the same observations up to and at the branch state
    EXPECT_TRUE(torch::equal(p.chosen.actions.slice(0, 0, b), p.rejected.actions.slice(0, 0, b)));
    EXPECT_TRUE(
        torch::equal(p.chosen.env_obs.slice(0, 0, b + 1), p.rejected.env_obs.slice(0, 0, b + 1)))
        << "both sides are at the identical state at segment_begin " << b;
    for (const Episode* e : {&p.chosen, &p.rejected}) {
      const int64_t steps = e->actions.size(0) - b;
      EXPECT_GE(steps, 1);
      EXPECT_LE(steps, 10) << "a continuation is segment_length steps, or ends with its episode";
      EXPECT_NEAR(e->gold_return, replayed_return(*e), 1e-9);
      EXPECT_FALSE(e->score) << "return labels keep no score";
    }
    // sampled continuations: the two sides act differently from the branch state on
    differing += !torch::equal(p.chosen.actions[b], p.rejected.actions[b]);
    const double delta = p.chosen.gold_return - p.rejected.gold_return;
    EXPECT_NEAR(p.p_chosen, sigmoid(p.flipped ? -delta : delta), 1e-12);
  }
  EXPECT_EQ(differing, 16);
  EXPECT_GT(begins.size(), 3u) << "branch steps are drawn along the prefix episode";

  // the same seed gives the same pairs
  const auto again = make_segment_pairs(policies.sources(), hopper(), common_config(16, 10), false);
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_TRUE(torch::equal(pairs[i].chosen.actions, again[i].chosen.actions));
    EXPECT_TRUE(torch::equal(pairs[i].rejected.actions, again[i].rejected.actions));
  }
}

TEST(CommonStatePairs, FilesReplayBothSides) {
  auto env = hopper()();
  TwoPolicies policies = two_policies(*env);
  const auto pairs = make_segment_pairs(policies.sources(), hopper(), common_config(6, 10), false);
  const std::string path =
      (fs::temp_directory_path() / ("tandem_common_pairs_" + std::to_string(::getpid()) + ".jsonl"))
          .string();
  save_preferences(path, pairs);
  const auto loaded = load_preferences(path, hopper());
  fs::remove(path);
  ASSERT_EQ(loaded.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(loaded[i].chosen.segment_begin, pairs[i].chosen.segment_begin);
    EXPECT_TRUE(torch::equal(loaded[i].chosen.env_obs, pairs[i].chosen.env_obs));
    EXPECT_TRUE(torch::equal(loaded[i].rejected.env_obs, pairs[i].rejected.env_obs));
  }
}

TEST(CommonStatePairs, StatefulPoliciesAreRefused) {
  // pair_start "common" branches a policy mid-episode, which a stateful policy (the LM) cannot
  // be without its history; whole-episode text pairs share their prompt already
  struct Stateful : agents::PolicyImpl {
    agents::Policy inner;
    agents::PolicyState initial_state(int64_t n) const override { return inner->initial_state(n); }
    agents::ActResult act(const torch::Tensor& o, const agents::PolicyState& s, bool d) override {
      return inner->act(o, s, d);
    }
    agents::EvaluateResult evaluate(const agents::TrajectoryBatch& b) override {
      return inner->evaluate(b);
    }
    torch::Tensor value(const torch::Tensor& o, const agents::PolicyState& s) override {
      return inner->value(o, s);
    }
    bool stateless() const override { return false; }
    std::shared_ptr<PolicyImpl> clone_policy() const override { return inner->clone_policy(); }
    std::vector<torch::Tensor> actor_parameters() const override { return {}; }
    std::vector<torch::Tensor> critic_parameters() const override { return {}; }
    std::string describe() const override { return "stateful"; }
  } stateful;
  stateful.inner = agents::make_policy(*hopper()(), {{"hidden", {8}}}, "test");
  EXPECT_THROW(make_segment_pairs({{"lm", &stateful}}, hopper(), common_config(2, 10), false),
               Error);
}

TEST(SegmentLabels, AdvantageLabelByHand) {
  // rewards 1, 2, 3, γ = 0.5: 1 + 0.5·2 + 0.25·3 = 2.75; + γ³ V(end) = 0.125 · 8 = 1; − V(start) 4
  EXPECT_DOUBLE_EQ(advantage_label({1, 2, 3}, 0.5, 4, 8, false), -0.25);
  EXPECT_DOUBLE_EQ(advantage_label({1, 2, 3}, 0.5, 4, 8, true), -1.25) << "a fall has no future";
  EXPECT_DOUBLE_EQ(advantage_label({}, 0.9, 1, 3, false), 2) << "an empty segment: V(s) − V(s)";
}

TEST(SegmentLabels, AdvantageLabelsUseTheCriticInRewardUnits) {
  auto env = hopper()();
  TwoPolicies policies = two_policies(*env);
  TeacherValue teacher;
  torch::manual_seed(3);
  teacher.critic = agents::make_policy(*env, {{"hidden", {8}}}, "test");
  teacher.scale = 2.5;
  teacher.gamma = 0.9;
  PreferenceConfig config = common_config(6, 10);
  config.label = "advantage";
  config.temperature = 3.0;
  EXPECT_THROW(make_segment_pairs(policies.sources(), hopper(), config, false), Error)
      << "an advantage label needs a critic";
  const auto pairs = make_segment_pairs(policies.sources(), hopper(), config, false, &teacher);
  int terminated = 0;
  for (const PreferencePair& p : pairs) {
    for (const Episode* e : {&p.chosen, &p.rejected}) {
      ASSERT_TRUE(e->score);
      // by hand: replay, discount the segment's rewards, the critic's values times the scale
      auto replay = hopper()();
      std::vector<float> obs = replay->reset_to_context(e->context);
      double discounted = 0, discount = 1, gold = 0;
      bool fell = false;
      std::vector<float> start_obs;
      for (int64_t t = 0; t < e->actions.size(0); ++t) {
        if (t == e->segment_begin) start_obs = obs;
        const torch::Tensor a = e->actions[t].contiguous();
        const float* ap = a.data_ptr<float>();
        envs::StepResult s = replay->step(std::vector<float>(ap, ap + a.numel()));
        if (t >= e->segment_begin) {
          discounted += discount * s.reward;
          discount *= 0.9;
          gold += s.reward;
        }
        fell = s.terminated;
        obs = s.obs;
      }
      torch::NoGradGuard no_grad;
      auto v = [&](const std::vector<float>& o) {
        torch::Tensor x = teacher.critic->preprocess(torch::tensor(o).unsqueeze(0), false);
        return 2.5 * teacher.critic->value(x, teacher.critic->initial_state(1)).item<double>();
      };
      const double expected = discounted + (fell ? 0.0 : discount * v(obs)) - v(start_obs);
      EXPECT_NEAR(*e->score, expected, 1e-4 * std::max(1.0, std::abs(expected)));
      EXPECT_NEAR(e->gold_return, gold, 1e-9) << "gold_return stays the env's own return";
      terminated += fell;
    }
    // the label is drawn on the scores, not on the returns
    const double delta = *p.chosen.score - *p.rejected.score;
    EXPECT_NEAR(p.p_chosen, sigmoid((p.flipped ? -delta : delta) / 3.0), 1e-12);
  }
  EXPECT_GT(terminated, 0) << "some continuations fall: the V(s_L) = 0 branch is checked too";
  EXPECT_LT(terminated, 12) << "and some stand: the γ^L V(s_L) branch as well";
  // scores survive the file
  const std::string path =
      (fs::temp_directory_path() / ("tandem_adv_pairs_" + std::to_string(::getpid()) + ".jsonl"))
          .string();
  save_preferences(path, pairs);
  const auto loaded = load_preferences(path, hopper());
  fs::remove(path);
  for (size_t i = 0; i < pairs.size(); ++i)
    EXPECT_DOUBLE_EQ(*loaded[i].chosen.score, *pairs[i].chosen.score);
  // the ceiling reads the scores as well
  double ceiling = 0;
  for (const PreferencePair& p : pairs) {
    const double q = sigmoid((*p.chosen.score - *p.rejected.score) / 3.0);
    ceiling += std::max(q, 1 - q) / pairs.size();
  }
  EXPECT_NEAR(preference_accuracy_ceiling(pairs, 3.0, 0.0), ceiling, 1e-12);
}

// The cache keys of the defaults are the keys the files always had: the new fields enter a key
// only when they differ from their defaults.
TEST(CommonStatePairs, DefaultsKeepTheirCacheKeys) {
  const char* old = std::getenv("TANDEM_CACHE_DIR");
  const std::string saved = old ? old : "";
  const fs::path cache =
      fs::temp_directory_path() / ("tandem_common_keys_" + std::to_string(::getpid()));
  ::setenv("TANDEM_CACHE_DIR", cache.c_str(), 1);
  auto env = hopper()();
  TwoPolicies policies = two_policies(*env);
  PreferenceConfig config;
  config.pairs = 2;
  config.segment_length = 5;
  auto expected = [&](const std::string& settings) {
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx",
                  static_cast<unsigned long long>(
                      text::fnv1a64("preferences v1|k|" + json::parse(settings).dump())));
    return (cache / "feedback" / ("Hopper-v5-preferences-" + std::string(hex) + ".jsonl")).string();
  };
  // the settings as they were before pair_start and label existed
  EXPECT_EQ(cached_preferences("k", policies.sources(), hopper(), config, false),
            expected(R"({"flip_fraction":0.0,"pairs":2,"prompts":"train","seed":0,)"
                     R"("segment_length":5,"temperature":1.0})"));
  config.pair_start = "common";
  EXPECT_EQ(cached_preferences("k", policies.sources(), hopper(), config, false),
            expected(R"({"flip_fraction":0.0,"pair_start":"common","pairs":2,"prompts":"train",)"
                     R"("seed":0,"segment_length":5,"temperature":1.0})"));
  TeacherValue teacher;
  teacher.critic = policies.a;
  config.label = "advantage";
  EXPECT_EQ(cached_preferences("k", policies.sources(), hopper(), config, false, &teacher),
            expected(R"({"flip_fraction":0.0,"label":"advantage","pair_start":"common",)"
                     R"("pairs":2,"prompts":"train","seed":0,"segment_length":5,)"
                     R"("temperature":1.0})"));
  if (old)
    ::setenv("TANDEM_CACHE_DIR", saved.c_str(), 1);
  else
    ::unsetenv("TANDEM_CACHE_DIR");
  fs::remove_all(cache);
}

}  // namespace
}  // namespace tandem::algorithms
