// The cached expert on InvertedPendulum-v5 with a tiny budget: trained once, read back after;
// snapshots along its training that start_from, demonstrations and the preference mix use by
// name; a late snapshot that beats the random one.
#include "algorithms/expert.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "agents/policy_factory.h"
#include "algorithms/evaluation.h"
#include "algorithms/feedback.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "tests/text_support.h"

namespace tandem::algorithms {
namespace {
namespace fs = std::filesystem;

constexpr const char* kEnv = "InvertedPendulum-v5";
constexpr int64_t kSteps = 16384;  // 8 PPO iterations of 2048 steps

EnvFactory pendulum() {
  return [] { return envs::make_env(kEnv); };
}

const json& arch() {
  static const json a = {{"hidden", {32, 32}}};
  return a;
}

bool same_parameters(agents::PolicyImpl& a, agents::PolicyImpl& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

// One expert for the whole file, in a cache folder of its own.
class Expert : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* old = std::getenv("TANDEM_CACHE_DIR");
    saved_cache_ = old ? old : "";
    had_cache_ = old != nullptr;
    // one per process: ctest runs each test in a process of its own, in parallel
    cache_ =
        (fs::temp_directory_path() / ("tandem_expert_test_cache_" + std::to_string(::getpid())))
            .string();
    fs::remove_all(cache_);
    ::setenv("TANDEM_CACHE_DIR", cache_.c_str(), 1);
    trainings_before_ = expert_trainings();
    // the caller's random stream and thread count, around a training
    torch::set_num_threads(2);
    torch::manual_seed(7);
    run_ = new ExpertRun(cached_expert(kEnv, json::object(), arch(), kSteps, false));
    threads_after_ = torch::get_num_threads();
    draw_after_ = torch::rand({1}).item<float>();
    torch::manual_seed(7);
    draw_untouched_ = torch::rand({1}).item<float>();
    torch::set_num_threads(1);
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
    if (had_cache_) {
      ::setenv("TANDEM_CACHE_DIR", saved_cache_.c_str(), 1);
    } else {
      ::unsetenv("TANDEM_CACHE_DIR");
    }
    fs::remove_all(cache_);
  }
  static const ExpertRun& run() { return *run_; }

  static std::string cache_, saved_cache_;
  static bool had_cache_;
  static int64_t trainings_before_;
  static ExpertRun* run_;
  static int threads_after_;
  static float draw_after_, draw_untouched_;
};
std::string Expert::cache_, Expert::saved_cache_;
bool Expert::had_cache_ = false;
int64_t Expert::trainings_before_ = 0;
ExpertRun* Expert::run_ = nullptr;
int Expert::threads_after_ = 0;
float Expert::draw_after_ = 0, Expert::draw_untouched_ = 0;

TEST_F(Expert, TrainsOnceAndIsReadBackAfter) {
  EXPECT_EQ(expert_trainings(), trainings_before_ + 1);
  // training (1 thread, its own seed) gave the caller its random stream and threads back
  EXPECT_EQ(draw_after_, draw_untouched_);
  EXPECT_EQ(threads_after_, 2);
  EXPECT_EQ(fs::path(run().dir).parent_path(), fs::path(cache_) / "experts");
  const auto written = fs::last_write_time(run().dir + "/expert.json");
  const ExpertRun again = cached_expert(kEnv, json::object(), arch(), kSteps, false);
  EXPECT_EQ(expert_trainings(), trainings_before_ + 1) << "the second call trained again";
  EXPECT_EQ(fs::last_write_time(run().dir + "/expert.json"), written);
  EXPECT_EQ(again.dir, run().dir);
  EXPECT_EQ(again.snapshot("late").return_mean, run().snapshot("late").return_mean);
  // a start_from in the policy config is not part of the expert's architecture
  json started = arch();
  started["start_from"] = "/somewhere/else";
  EXPECT_EQ(cached_expert(kEnv, json::object(), started, kSteps, false).dir, run().dir);
  EXPECT_EQ(expert_trainings(), trainings_before_ + 1);
}

TEST_F(Expert, SnapshotsSitAlongTheTraining) {
  ASSERT_EQ(run().snapshots.size(), 4u);
  // the first PPO iteration (2048 steps) at or past 0 %, 10 %, 30 % and 100 % of 16384 steps
  const std::map<std::string, int64_t> steps = {
      {"random", 0}, {"early", 2048}, {"mid", 6144}, {"late", 16384}};
  for (const ExpertSnapshot& s : run().snapshots) {
    EXPECT_EQ(s.env_steps, steps.at(s.name)) << s.name;
    EXPECT_TRUE(fs::exists(s.dir + "/checkpoint.pt")) << s.dir;
    EXPECT_TRUE(fs::exists(s.dir + "/config.json")) << s.dir;
  }
  EXPECT_THROW(run().snapshot("final"), Error);
  // measured: random 25.1, early 28.7, mid 49.7, late 88.9 (a tiny budget, but learning)
  const double random = run().snapshot("random").return_mean;
  const double late = run().snapshot("late").return_mean;
  EXPECT_GT(late, random + 30) << "random " << random << ", late " << late;

  // the recorded return is the snapshot's own: evaluated again from its folder
  agents::Policy policy = load_run_policy(run().snapshot("late").dir, *pendulum()());
  const EvalStats eval = evaluate_policy(*policy, pendulum(), 10, 1 * 1000003ull + 1000000007ull);
  EXPECT_DOUBLE_EQ(eval.return_mean, late);
}

TEST_F(Expert, NamesResolveToSnapshots) {
  TANDEM_SKIP_WITHOUT_TEXT();
  // budgets: the env's recommended one (1M where it recommends none)
  EXPECT_EQ(recommended_expert_steps(envs::make_env("Hopper-v5")->spec()), 300000);
  EXPECT_EQ(recommended_expert_steps(envs::make_env("text/sort")->spec()), 1000000);
  const std::string early = run().snapshot("early").dir;
  EXPECT_EQ(resolve_expert_name("expert:early", kEnv, json::object(), arch(), kSteps, false, "t"),
            early);
  EXPECT_EQ(resolve_expert_name("expert:early@16384", kEnv, json::object(), arch(), 5, false, "t"),
            early);
  for (const std::string bad : {"expert:final", "expert:early@", "expert:early@-5", "early"})
    EXPECT_THROW(resolve_expert_name(bad, kEnv, json::object(), arch(), kSteps, false, "t"), Error)
        << bad;
  // the expert is trained with the env's default options: other options are refused
  EXPECT_THROW(resolve_expert_name("expert:early", kEnv, {{"reset_noise_scale", 0.1}}, arch(),
                                   kSteps, false, "t"),
               Error);

  // policy.start_from names go through agents' resolver: the snapshot's weights
  auto env = pendulum()();
  json config = arch();
  config["start_from"] = "expert:mid@16384";
  agents::Policy started = agents::make_policy(*env, config, "test");
  agents::Policy mid = load_run_policy(run().snapshot("mid").dir, *env);
  agents::Policy late = load_run_policy(run().snapshot("late").dir, *env);
  EXPECT_TRUE(same_parameters(*started, *mid));
  EXPECT_FALSE(same_parameters(*started, *late));
  EXPECT_EQ(expert_trainings(), trainings_before_ + 1);
  EXPECT_THROW(
      agents::make_policy(*envs::make_env(kEnv, {{"max_episode_steps", 50}}), config, "test"),
      Error)
      << "another time limit is other env options";
}

TEST_F(Expert, TheMixHasEverySnapshotAndDemonstrationsTheLateOne) {
  auto env = pendulum()();
  agents::Policy start = agents::make_policy(*env, arch(), "test");
  PreferenceFeedbackConfig prefs;
  prefs.pairs = 40;
  prefs.heldout_pairs = 8;
  prefs.segment_length = 50;
  prefs.policy_mix = "expert";
  prefs.expert_steps = kSteps;
  const PreferenceData data =
      preference_data(kEnv, json::object(), arch(), *start, pendulum(), prefs, false);
  ASSERT_EQ(data.train.size(), 40u);
  ASSERT_EQ(data.heldout.size(), 8u);
  std::map<std::string, int> sources;
  for (const PreferencePair& p : data.train) {
    for (const Episode* e : {&p.chosen, &p.rejected}) {
      ++sources[e->source];
      EXPECT_LE(e->actions.size(0) - e->segment_begin, 50);
    }
  }
  for (const auto& [name, fraction] : expert_snapshots())
    EXPECT_GT(sources[name], 0) << "no segment of the " << name << " snapshot";
  EXPECT_EQ(sources.size(), 4u);
  // the late snapshot balances longer: its segments return more than the random one's
  std::map<std::string, double> gold;
  for (const PreferencePair& p : data.train)
    for (const Episode* e : {&p.chosen, &p.rejected}) gold[e->source] += e->gold_return;
  EXPECT_GT(gold["late"] / sources["late"], gold["random"] / sources["random"] + 10);
  // the start policy does not play: another start gives the same data
  json other = arch();
  other["start_from"] = run().snapshot("early").dir;
  EXPECT_EQ(
      preference_data(kEnv, json::object(), other, *start, pendulum(), prefs, false).train_path,
      data.train_path);

  // demonstrations of "auto": the late snapshot's deterministic episodes
  DemonstrationConfig demos;
  demos.demonstrations = 3;
  demos.expert = "auto";
  demos.expert_steps = kSteps;
  const DemonstrationData d =
      demonstration_data(kEnv, json::object(), arch(), *start, pendulum(), demos, false);
  ASSERT_EQ(d.episodes.size(), 3u);
  agents::Policy late = load_run_policy(run().snapshot("late").dir, *env);
  std::vector<std::unique_ptr<envs::Env>> envs;
  std::vector<std::vector<float>> first;
  for (const Episode& e : d.episodes) {
    envs.push_back(pendulum()());
    first.push_back(envs.back()->reset_to_context(e.context));
  }
  const EpisodeSet again = run_episodes(*late, envs, first, /*deterministic=*/true);
  for (size_t k = 0; k < d.episodes.size(); ++k)
    EXPECT_EQ(again.returns[k], d.episodes[k].gold_return) << "demonstration " << k;
  EXPECT_EQ(expert_trainings(), trainings_before_ + 1);
}

}  // namespace
}  // namespace tandem::algorithms
