// What is exactly true of AIHF's two losses when one of its data sources is switched off.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "agents/policy_factory.h"
#include "algorithms/feedback.h"
#include "algorithms/preference_losses.h"
#include "algorithms/reward_model.h"
#include "envs/registry.h"

namespace tandem::algorithms {
namespace {

Episode random_episode(int64_t steps, int64_t obs_dim, int64_t act_dim) {
  Episode e;
  e.env_obs = torch::randn({steps, obs_dim});
  e.actions = torch::randn({steps, act_dim});
  return e;
}

std::vector<torch::Tensor> parameters_after_one_step(
    const std::vector<const PreferencePair*>& pairs, const std::vector<int64_t>& rows,
    const torch::Tensor& demonstration, const SourceWeights& weights) {
  auto env = envs::make_env("InvertedPendulum-v5");
  agents::Policy policy = agents::make_policy(env->spec(), json::object(), "test");
  RewardTrainingSettings settings;
  settings.learning_rate = 1e-2;
  torch::manual_seed(7);  // the same initial reward model for every call
  RewardTrainer trainer(make_reward_model(*policy, env->spec(), settings), settings);
  trainer.step(pairs, rows, demonstration, weights);
  std::vector<torch::Tensor> out;
  for (const auto& p : trainer.reward()->parameters()) out.push_back(p.detach().clone());
  return out;
}

bool all_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::allclose(a[i], b[i], 1e-6, 1e-7)) return false;
  return true;
}

// aihf's reward update with w_D = 0 (and w_P = 1) is the reward_model (RLHF) update:
// demonstration pairs of weight 0 in a minibatch change nothing, and w_P times the mean over the
// preference pairs is their plain mean. (aihf does not even make them: one source.)
TEST(AihfReductions, ZeroWeightDemonstrationPairsLeaveTheRewardUpdateOfRlhf) {
  torch::manual_seed(1);
  std::vector<PreferencePair> prefs(3), demo_pairs(2);
  for (auto* set : {&prefs, &demo_pairs})
    for (auto& p : *set) {
      p.chosen = random_episode(5, 4, 1);
      p.rejected = random_episode(3, 4, 1);
    }
  std::vector<const PreferencePair*> only_prefs, union_pairs;
  for (const auto& p : prefs) only_prefs.push_back(&p), union_pairs.push_back(&p);
  for (const auto& p : demo_pairs) union_pairs.push_back(&p);

  const torch::Tensor demonstration = torch::tensor({false, false, false, true, true});
  const auto rlhf = parameters_after_one_step(only_prefs, {0, 1, 2}, {}, {});
  const auto w_d_zero =
      parameters_after_one_step(union_pairs, {0, 1, 2, 3, 4}, demonstration, {0.0, 1.0});
  const auto w_d_one =
      parameters_after_one_step(union_pairs, {0, 1, 2, 3, 4}, demonstration, {1.0, 1.0});
  EXPECT_TRUE(all_close(rlhf, w_d_zero));
  EXPECT_FALSE(all_close(rlhf, w_d_one)) << "the demonstration pairs must matter when weighted";
}

// aihf_dpo with w_P = 0 and a direct (tabular) policy at θ = π_ref: the demonstration term's
// gradient, averaged over y' ~ π, is β/2 times the SFT gradient of the demonstration:
//   E_{y'~π} ∇ −log σ(β [h(y^E) − h(y')]) = −(β/2) E_{y'}(∇log π(y^E) − ∇log π(y'))
//                                          = −(β/2) ∇log π(y^E)   (E_{y'~π} ∇log π(y') = 0).
TEST(AihfReductions, DemonstrationTermIsTheSftDirectionInExpectation) {
  const double beta = 0.1;
  torch::Tensor theta = torch::tensor({0.3f, -1.2f, 0.8f, 0.1f}).requires_grad_(true);
  const int64_t demo = 2;
  torch::Tensor log_pi = torch::log_softmax(theta, 0);
  torch::Tensor log_ref = log_pi.detach();
  torch::Tensor pi = log_ref.exp();

  torch::Tensor expected_demo_loss = torch::zeros({});
  for (int64_t y = 0; y < 4; ++y) {
    DpoLoss l = dpo_loss(log_pi[demo].unsqueeze(0), log_pi[y].unsqueeze(0),
                         log_ref[demo].unsqueeze(0), log_ref[y].unsqueeze(0), beta);
    expected_demo_loss = expected_demo_loss + pi[y] * l.loss;
  }
  torch::Tensor demo_grad = torch::autograd::grad({expected_demo_loss}, {theta})[0];

  torch::Tensor sft =
      sft_loss(torch::log_softmax(theta, 0)[demo].view({1, 1}), torch::ones({1, 1}));
  torch::Tensor sft_grad = torch::autograd::grad({sft}, {theta})[0];
  EXPECT_TRUE(torch::allclose(demo_grad, beta / 2 * sft_grad, 1e-5, 1e-7)) << demo_grad << "\nvs\n"
                                                                           << beta / 2 * sft_grad;
  // and it raises the demonstration's probability
  EXPECT_LT(demo_grad[demo].item<double>(), 0.0);
}

}  // namespace
}  // namespace tandem::algorithms
