#include "agents/fused_actor_critic.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "agents/gaussian_mlp.h"

namespace tandem::agents {
namespace {

// The reference: the same MLPs and log-density through autograd, op by op.
torch::Tensor reference_mlp(const torch::Tensor& x, const MlpParameters& p) {
  torch::Tensor h = x;
  for (size_t l = 0; l < p.size() / 2; ++l) {
    h = torch::nn::functional::linear(h, p[2 * l], p[2 * l + 1]);
    if (l + 1 < p.size() / 2) h = torch::tanh(h);
  }
  return h;
}

MlpParameters random_mlp(std::vector<int64_t> widths) {
  MlpParameters p;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    p.push_back((torch::randn({widths[l + 1], widths[l]}) * 0.5).requires_grad_());
    p.push_back((torch::randn({widths[l + 1]}) * 0.1).requires_grad_());
  }
  return p;
}

std::vector<torch::Tensor> grads_of(const torch::Tensor& loss, const MlpParameters& params) {
  return torch::autograd::grad({loss}, params, {}, /*retain_graph=*/false,
                               /*create_graph=*/false, /*allow_unused=*/true);
}

TEST(FusedActorCritic, ValuesAndEveryGradientMatchAutogradOpByOp) {
  torch::manual_seed(3);
  const int64_t n = 7, obs_dim = 5, act_dim = 2;
  const MlpParameters actor = random_mlp({obs_dim, 8, 6, act_dim});
  const MlpParameters critic = random_mlp({obs_dim, 8, 6, 1});
  const torch::Tensor log_std = torch::tensor({-0.3f, 0.2f}).requires_grad_();
  const torch::Tensor obs = torch::randn({n, obs_dim}), actions = torch::randn({n, act_dim});
  // an arbitrary loss that weighs every step of both outputs differently
  const torch::Tensor w_lp = torch::randn({n}), w_v = torch::randn({n});

  auto [log_prob, value] = log_prob_and_value(obs, actions, actor, log_std, critic);
  MlpParameters all = actor;
  all.push_back(log_std);
  all.insert(all.end(), critic.begin(), critic.end());
  const auto fused = grads_of((w_lp * log_prob).sum() + (w_v * value).sum(), all);

  const torch::Tensor z = (actions - reference_mlp(obs, actor)) * torch::exp(-log_std);
  const torch::Tensor ref_lp = (-0.5 * z * z - log_std - 0.5 * std::log(2 * M_PI)).sum(-1);
  const torch::Tensor ref_v = reference_mlp(obs, critic).squeeze(-1);
  EXPECT_TRUE(torch::allclose(log_prob, ref_lp, 1e-5, 1e-5)) << log_prob << ref_lp;
  EXPECT_TRUE(torch::allclose(value, ref_v, 1e-5, 1e-5));
  const auto expected = grads_of((w_lp * ref_lp).sum() + (w_v * ref_v).sum(), all);
  ASSERT_EQ(fused.size(), expected.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    ASSERT_TRUE(fused[i].defined()) << "parameter " << i;
    EXPECT_TRUE(torch::allclose(fused[i], expected[i], 1e-4, 1e-5)) << "parameter " << i << "\n"
                                                                    << fused[i] << "\n"
                                                                    << expected[i];
  }
}

TEST(FusedActorCritic, AnOutputTheLossDoesNotUseSendsNoGradient) {
  torch::manual_seed(4);
  const MlpParameters actor = random_mlp({3, 4, 2}), critic = random_mlp({3, 4, 1});
  const torch::Tensor log_std = torch::zeros({2}).requires_grad_();
  auto [log_prob, value] =
      log_prob_and_value(torch::randn({5, 3}), torch::randn({5, 2}), actor, log_std, critic);
  const auto g = grads_of(log_prob.sum(), critic);  // the critic does not reach log π
  for (const auto& t : g) EXPECT_TRUE(!t.defined() || t.abs().max().item<double>() == 0);
  const auto a = grads_of(value.sum(), actor);
  for (const auto& t : a) EXPECT_TRUE(!t.defined() || t.abs().max().item<double>() == 0);
}

std::shared_ptr<GaussianMlpImpl> pendulum_sized_policy(double log_std) {
  GaussianMlpConfig c;
  c.log_std_init = log_std;
  torch::manual_seed(0);
  return std::make_shared<GaussianMlpImpl>(11, 3, c);
}

// The rollout's batch-of-one path is plain loops: it must give what the batched path gives and
// draw its noise from torch's stream exactly as randn_like did, so seeds keep their meaning.
TEST(FusedActorCritic, ActingOnOneObservationMatchesTheBatchedPathAndDrawsTheSameNoise) {
  auto p = pendulum_sized_policy(-0.4);
  const torch::Tensor obs = torch::randn({1, 11});
  const torch::Tensor batched_mean = p->action_mean(obs.repeat({2, 1}))[0];
  ActResult det = p->act(obs, {}, /*deterministic=*/true);
  EXPECT_TRUE(torch::allclose(det.action[0], batched_mean, 1e-5, 1e-6));

  torch::manual_seed(11);
  ActResult sampled = p->act(obs, {});
  torch::manual_seed(11);
  const torch::Tensor noise = torch::randn({1, 3});
  EXPECT_TRUE(torch::allclose(sampled.action, det.action + std::exp(-0.4) * noise, 1e-5, 1e-6))
      << sampled.action << det.action + std::exp(-0.4) * noise;

  TrajectoryBatch b;
  b.obs = obs.unsqueeze(1);
  b.actions = sampled.action.unsqueeze(1);
  b.mask = torch::ones({1, 1});
  b.episode_start = torch::ones({1, 1}, torch::kBool);
  EvaluateResult e = p->evaluate(b);
  EXPECT_NEAR(e.log_prob.item<double>(), sampled.log_prob.item<double>(), 1e-5);
  EXPECT_NEAR(e.value.item<double>(), sampled.value.item<double>(), 1e-5);
}

}  // namespace
}  // namespace tandem::agents
