#include "agents/gaussian_mlp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "algorithms/checkpoint.h"

namespace tandem::agents {
namespace {

std::shared_ptr<GaussianMlpImpl> make(double log_std = -0.5, bool normalize = true) {
  GaussianMlpConfig c;
  c.hidden = {16, 16};
  c.log_std_init = log_std;
  c.normalize_obs = normalize;
  torch::manual_seed(0);
  return std::make_shared<GaussianMlpImpl>(3, 2, c);
}

TEST(GaussianMlp, LogProbIsTheDiagonalGaussianDensity) {
  auto p = make(-0.5);
  torch::Tensor mean = torch::tensor({{0.1f, -0.2f}});
  torch::Tensor a = torch::tensor({{0.4f, 0.3f}});
  const double s = std::exp(-0.5);
  double expected = 0;
  for (double z : {(0.4 - 0.1) / s, (0.3 + 0.2) / s})
    expected += -0.5 * z * z - std::log(s) - 0.5 * std::log(2 * M_PI);
  EXPECT_NEAR(p->log_prob(mean, a).item<double>(), expected, 1e-5);
}

TEST(GaussianMlp, EvaluateReproducesActLogProbsAndValues) {
  auto p = make();
  torch::Tensor obs = torch::randn({5, 3});
  ActResult r = p->act(obs, p->initial_state(5));
  TrajectoryBatch b;
  b.obs = obs.unsqueeze(1);           // [5, 1, 3]
  b.actions = r.action.unsqueeze(1);  // [5, 1, 2]
  b.mask = torch::ones({5, 1});
  b.episode_start = torch::ones({5, 1}, torch::kBool);
  EvaluateResult e = p->evaluate(b);
  EXPECT_TRUE(torch::allclose(e.log_prob.squeeze(1), r.log_prob, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(e.value.squeeze(1), r.value, 1e-5, 1e-6));
  // entropy of N(μ, σ²I) in 2 dims with log σ = −0.5
  EXPECT_NEAR(e.entropy[0][0].item<double>(), 2 * (-0.5 + 0.5 * std::log(2 * M_PI * M_E)), 1e-5);
}

TEST(GaussianMlp, DeterministicActionIsTheMeanAndSamplesSpreadByStd) {
  auto p = make(std::log(0.3));
  torch::Tensor obs = torch::zeros({4000, 3});
  ActResult det = p->act(obs, {}, /*deterministic=*/true);
  ActResult sto = p->act(obs, {}, false);
  EXPECT_TRUE(torch::allclose(det.action, p->action_mean(obs)));
  torch::Tensor std = (sto.action - det.action).std(0);
  EXPECT_NEAR(std[0].item<double>(), 0.3, 0.02);
  EXPECT_NEAR(std[1].item<double>(), 0.3, 0.02);
}

TEST(GaussianMlp, NormalizerTracksMeanAndVariance) {
  auto p = make();
  torch::Tensor data = torch::randn({1000, 3}) * torch::tensor({1.f, 2.f, 3.f}) + 5;
  for (int i = 0; i < 1000; i += 100) p->preprocess(data.slice(0, i, i + 100), /*update=*/true);
  torch::Tensor out = p->preprocess(data, /*update=*/false);
  EXPECT_TRUE(torch::allclose(out.mean(0), torch::zeros({3}), 1e-3, 1e-3)) << out.mean(0);
  EXPECT_TRUE(torch::allclose(out.std(0), torch::ones({3}), 1e-2, 1e-2)) << out.std(0);
  // without normalization, preprocessing is the identity
  auto raw = make(0.0, /*normalize=*/false);
  EXPECT_TRUE(torch::equal(raw->preprocess(data, true), data));
}

TEST(GaussianMlp, CloneAndCheckpointCarryParametersAndStatistics) {
  auto p = make();
  p->preprocess(torch::randn({50, 3}) * 4 + 1, true);
  {
    torch::NoGradGuard g;
    for (auto& t : p->parameters()) t.add_(0.1);
  }
  auto c = p->clone_policy();
  torch::Tensor obs = torch::randn({3, 3});
  auto same = [&](PolicyImpl& q) {
    return torch::equal(q.preprocess(obs, false), p->preprocess(obs, false)) &&
           torch::equal(q.act(obs, {}, true).action, p->act(obs, {}, true).action);
  };
  EXPECT_TRUE(same(*c));

  const std::string path =
      (std::filesystem::temp_directory_path() / "tandem_gaussian_mlp_test.pt").string();
  algorithms::save_checkpoint(path, *p, nullptr, {{"env_steps", 42}});
  auto fresh = make(0.0);
  EXPECT_FALSE(same(*fresh));
  json counters = algorithms::load_checkpoint(path, *fresh, nullptr, false);
  EXPECT_EQ(counters["env_steps"], 42);
  EXPECT_TRUE(same(*fresh));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tandem::agents

namespace tandem::agents {
namespace {

// π_ref is a frozen copy of the start policy; the learner's observation statistics move on.
// The reference must judge the learner's steps by the env's observations through its own frozen
// statistics (what the start policy would do in that state), not by the learner's normalized
// observations.
TEST(EvaluateOwnView, AFrozenReferenceReadsTheEnvObservationsThroughItsOwnStatistics) {
  torch::manual_seed(5);
  auto learner = std::make_shared<GaussianMlpImpl>(3, 2, GaussianMlpConfig{});
  learner->preprocess(torch::randn({64, 3}) * 2 + 1, /*update=*/true);
  auto reference = frozen_copy(*learner);
  // the learner's statistics move away (a rollout's update)
  learner->preprocess(torch::randn({256, 3}) * 5 - 3, /*update=*/true);

  TrajectoryBatch b;
  b.env_obs = torch::randn({2, 4, 3});
  b.obs = learner->preprocess(b.env_obs.reshape({8, 3}), false).reshape({2, 4, 3});
  b.actions = torch::randn({2, 4, 2});
  b.mask = torch::ones({2, 4});
  b.episode_start = torch::zeros({2, 4}, torch::kBool);

  TrajectoryBatch own = b;
  own.obs = reference->preprocess(b.env_obs.reshape({8, 3}), false).reshape({2, 4, 3});
  const torch::Tensor expected = reference->evaluate(own).log_prob;
  const torch::Tensor got = evaluate_own_view(*reference, b).log_prob;
  EXPECT_TRUE(torch::allclose(got, expected));
  EXPECT_FALSE(torch::allclose(reference->evaluate(b).log_prob, expected))
      << "the learner's normalized observations give another answer";
  // the learner reading its own view gets what it got from the stored observations
  EXPECT_TRUE(
      torch::allclose(evaluate_own_view(*learner, b).log_prob, learner->evaluate(b).log_prob));
}

}  // namespace
}  // namespace tandem::agents
