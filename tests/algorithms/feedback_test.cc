// Feedback data: Bradley–Terry labels, the accuracy ceiling, preference files that replay to
// the same episodes, episode contexts, learned rewards on trajectories, distinct-2.
#include "algorithms/feedback.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "agents/policy_factory.h"
#include "agents/trajectory_reward.h"
#include "algorithms/evaluation.h"
#include "algorithms/reward_model.h"
#include "envs/error.h"
#include "envs/registry.h"
#include "envs/text/text_env.h"
#include "tests/text_support.h"

namespace tandem::algorithms {
namespace {
namespace fs = std::filesystem;

const json kTinyLm = {{"layers", 1}, {"heads", 2}, {"width", 32}, {"init", "random"}};

EnvFactory sort_env() {
  return [] { return envs::make_env("text/sort"); };
}

Episode with_gold(double gold) {
  Episode e;
  e.gold_return = gold;
  return e;
}

TEST(Feedback, CeilingIsTheMeanOfTheLikelierLabel) {
  std::vector<PreferencePair> pairs(2);
  pairs[0].chosen = with_gold(1.0);
  pairs[0].rejected = with_gold(0.0);
  pairs[1].chosen = with_gold(0.0);
  pairs[1].rejected = with_gold(0.0);
  const double s1 = 1.0 / (1.0 + std::exp(-1.0));  // σ(1) = 0.7311
  EXPECT_NEAR(preference_accuracy_ceiling(pairs, 1.0, 0.0), (s1 + 0.5) / 2, 1e-12);
  const double flipped = s1 * 0.8 + (1 - s1) * 0.2;  // 20% of labels flipped
  EXPECT_NEAR(preference_accuracy_ceiling(pairs, 1.0, 0.2), (flipped + 0.5) / 2, 1e-12);
  // a temperature near 0 makes every unequal pair certain
  EXPECT_NEAR(preference_accuracy_ceiling(pairs, 1e-6, 0.0), 0.75, 1e-12);
}

TEST(Feedback, PreferenceFileReplaysToTheSameEpisodes) {
  TANDEM_SKIP_WITHOUT_TEXT();
  torch::manual_seed(0);
  auto env = sort_env()();
  agents::Policy policy = agents::make_policy(env->spec(), kTinyLm, "test");
  PreferenceConfig config;
  config.pairs = 6;
  config.temperature = 1e-6;  // labels follow the gold reward exactly
  const auto pairs = make_preference_pairs(*policy, sort_env(), config, false);
  ASSERT_EQ(pairs.size(), 6u);
  for (const auto& p : pairs) {
    EXPECT_GE(p.chosen.gold_return, p.rejected.gold_return);
    EXPECT_EQ(p.chosen.context, p.rejected.context) << "both episodes start from one prompt";
  }

  const std::string path = (fs::temp_directory_path() / "tandem_feedback_test.jsonl").string();
  save_preferences(path, pairs);
  const auto loaded = load_preferences(path, sort_env());
  ASSERT_EQ(loaded.size(), pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_TRUE(torch::equal(loaded[i].chosen.actions, pairs[i].chosen.actions));
    EXPECT_TRUE(torch::equal(loaded[i].chosen.env_obs, pairs[i].chosen.env_obs));
    EXPECT_TRUE(torch::equal(loaded[i].rejected.env_obs, pairs[i].rejected.env_obs));
    EXPECT_DOUBLE_EQ(loaded[i].rejected.gold_return, pairs[i].rejected.gold_return);
  }

  // a line whose gold return does not replay is refused, naming the line
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  json line = json::parse(first);
  line["chosen"]["gold_return"] = line["chosen"]["gold_return"].get<double>() + 0.5;
  std::ofstream(path) << line.dump() << "\n";
  try {
    load_preferences(path, sort_env());
    FAIL() << "a tampered gold return was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1: chosen"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

// Writes one word or ends the text at once, each with probability ½: half of its pairs tie.
class CoinPolicy : public agents::PolicyImpl {
 public:
  CoinPolicy(int64_t word, int64_t eot) : word_(word), eot_(eot) {}
  agents::PolicyState initial_state(int64_t) const override { return {}; }
  agents::ActResult act(const torch::Tensor& obs, const agents::PolicyState& state, bool) override {
    const int64_t n = obs.size(0);
    torch::Tensor heads = torch::rand({n}) < 0.5;  // [N]
    agents::ActResult r;
    r.action = torch::where(heads, torch::full({n}, static_cast<double>(word_)),
                            torch::full({n}, static_cast<double>(eot_)))
                   .unsqueeze(1);  // [N, 1]
    r.log_prob = torch::full({n}, std::log(0.5));
    r.value = torch::zeros({n});
    r.state = state;
    return r;
  }
  agents::EvaluateResult evaluate(const agents::TrajectoryBatch&) override { return {}; }
  torch::Tensor value(const torch::Tensor& obs, const agents::PolicyState&) override {
    return torch::zeros({obs.size(0)});
  }
  std::shared_ptr<PolicyImpl> clone_policy() const override {
    return std::make_shared<CoinPolicy>(word_, eot_);
  }
  std::vector<torch::Tensor> actor_parameters() const override { return {}; }
  std::vector<torch::Tensor> critic_parameters() const override { return {}; }
  std::string describe() const override { return "coin"; }

 private:
  int64_t word_, eot_;
};

TEST(Feedback, TiedPairsArePlayedAgain) {
  TANDEM_SKIP_WITHOUT_TEXT();
  // one-token completions: a lexicon word or nothing (gold 0)
  const json options = {{"vocab_size", 400},
                        {"max_new_tokens", 1},
                        {"task", {{"corpus", "synthetic"}, {"lexicon", "builtin"}}}};
  EnvFactory sentiment = [options] { return envs::make_env("text/sentiment", options); };
  auto env = sentiment();
  const auto& tokenizer = dynamic_cast<const text::TextEnv&>(*env).tokenizer();
  // a lexicon word the tokenizer spells as one token
  int64_t word = -1;
  const text::SentimentLexicon lexicon = text::SentimentLexicon::builtin_tiny();
  for (const auto& [entry, valence] : lexicon.entries()) {
    const std::vector<int> ids = tokenizer.encode(" " + entry);
    if (ids.size() == 1 && valence != 0 && word < 0) word = ids[0];
  }
  ASSERT_GE(word, 0) << "no lexicon word is one token";
  CoinPolicy policy(word, tokenizer.eot_id());
  auto ties = [](const std::vector<PreferencePair>& pairs) {
    int64_t n = 0;
    for (const auto& p : pairs) n += p.chosen.gold_return == p.rejected.gold_return ? 1 : 0;
    return n;
  };
  PreferenceConfig config;
  config.pairs = 200;
  const auto plain = make_preference_pairs(policy, sentiment, config, false);
  config.tie_redraws = 6;
  const auto redrawn = make_preference_pairs(policy, sentiment, config, false);
  ASSERT_EQ(redrawn.size(), plain.size());
  EXPECT_GE(ties(plain), 70) << "about half the pairs tie without redraws";
  EXPECT_LE(ties(redrawn), 10) << "about 1% (½ · ½⁶) tie after six redraws";
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(redrawn[i].chosen.context, redrawn[i].rejected.context) << "one start per pair";
    EXPECT_EQ(redrawn[i].chosen.context, plain[i].chosen.context) << "the same starts";
    if (redrawn[i].chosen.gold_return == redrawn[i].rejected.gold_return) {
      EXPECT_DOUBLE_EQ(redrawn[i].p_chosen, 0.5) << "a tie that remains is a coin flip";
    }
  }
}

TEST(Feedback, ContextsRestartEpisodes) {
  TANDEM_SKIP_WITHOUT_TEXT();
  auto a = envs::make_env("Hopper-v5"), b = envs::make_env("Hopper-v5");
  const std::vector<float> first = a->reset();  // a seed drawn from the env's own stream
  EXPECT_EQ(b->reset_to_context(a->context()), first);

  auto t = envs::make_env("text/sort");
  t->reset(3);
  const json context = t->context();
  ASSERT_TRUE(context.contains("prompt"));
  auto u = envs::make_env("text/sort");
  u->reset(99);
  u->reset_to_context(context);
  EXPECT_EQ(u->context(), context);
  EXPECT_THROW(u->reset_to_context({{"seed", 3}}), Error) << "text episodes start from prompts";
}

TEST(Feedback, TextRewardSitsOnTheLastStep) {
  TANDEM_SKIP_WITHOUT_TEXT();
  torch::manual_seed(0);
  auto env = sort_env()();
  agents::Policy policy = agents::make_policy(env->spec(), kTinyLm, "test");
  std::vector<std::unique_ptr<envs::Env>> envs;
  std::vector<std::vector<float>> first;
  for (int k = 0; k < 4; ++k) {
    envs.push_back(sort_env()());
    first.push_back(envs.back()->reset(k));
  }
  EpisodeSet set = run_episodes(*policy, envs, first, false);
  auto reward = agents::make_trajectory_reward(*policy, 0, 0, json::object(), "test");
  agents::TrajectoryBatch batch = set.batch;
  LearnedRewardSource(reward).relabel(batch);
  for (int k = 0; k < 4; ++k) {
    const int64_t last = set.lengths[k] - 1;
    for (int64_t t = 0; t < batch.horizon(); ++t) {
      if (t == last) {
        EXPECT_NE(batch.rewards[k][t].item<float>(), 0.0f);
      } else {
        EXPECT_EQ(batch.rewards[k][t].item<float>(), 0.0f) << "row " << k << " step " << t;
      }
    }
  }
}

TEST(Feedback, DistinctBigrams) {
  EXPECT_DOUBLE_EQ(distinct_bigrams({{1, 2, 1, 2}}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(distinct_bigrams({{1, 2}, {1, 2}, {2, 1}}), 2.0 / 3.0);
  EXPECT_TRUE(std::isnan(distinct_bigrams({{7}})));
}

}  // namespace
}  // namespace tandem::algorithms
