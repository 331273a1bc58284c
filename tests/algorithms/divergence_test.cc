// A run that diverges stops with a diagnosis (algorithms/divergence.h). Before: APA with a huge
// adv_coeff finished rc 0 with `eval/kl_ref_k3` written as `null`; DPO, SFT and the reward model
// had no finite check at all.
#include "algorithms/divergence.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>

#include "algorithms/algorithm.h"
#include "envs/error.h"
#include "tests/error_of.h"

namespace tandem::algorithms {
namespace {

using tandem::testing::error_of;

TEST(Divergence, TheGradientNormIsMeasuredClippedAndChecked) {
  // ½|w|² at w = (3, 4): the gradient is w, its norm 5; clipped to norm 1: (0.6, 0.8)
  torch::Tensor w = torch::tensor({3.0f, 4.0f}).requires_grad_();
  (w * w / 2).sum().backward();
  EXPECT_NEAR(checked_gradient_norm({w}, 1.0, 12.5, "test", "step 1", "knob"), 5.0, 1e-6);
  EXPECT_NEAR(w.grad()[0].item<double>(), 0.6, 1e-5);
  EXPECT_NEAR(w.grad()[1].item<double>(), 0.8, 1e-5);
  // max_norm 0: measured, not clipped
  w.grad().copy_(torch::tensor({3.0f, 4.0f}));
  EXPECT_NEAR(checked_gradient_norm({w}, 0.0, 12.5, "test", "step 2", "knob"), 5.0, 1e-6);
  EXPECT_NEAR(w.grad()[1].item<double>(), 4.0, 1e-6);

  w.grad().copy_(torch::tensor({std::numeric_limits<float>::infinity(), 0.0f}));
  std::string message = error_of(
      [&] { checked_gradient_norm({w}, 1.0, 1.0, "dpo", "gradient step 7", "lower beta"); });
  EXPECT_EQ(message,
            "dpo: the gradient norm is inf at gradient step 7; the run diverged: lower beta");

  message = error_of([&] { checked_gradient_norm({w}, 1.0, NAN, "sft", "gradient step 3", "k"); });
  EXPECT_EQ(message, "sft: the loss is nan at gradient step 3; the run diverged: k");
}

TEST(Divergence, AMetricThatIsNotFiniteStopsTheRunAndIsNeverWrittenAsNull) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "divergence_metrics";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  RunOptions o;
  o.env_id = "InvertedPendulum-v5";
  o.total_steps = 100;
  o.eval_interval = 1000;
  o.eval_episodes = 1;
  o.progress = false;
  o.out_dir = dir.string();
  RunContext ctx(o);
  agents::Policy policy = ctx.make_policy();
  ctx.report(0, {{"losses/policy", 0.5}}, *policy);  // the evaluation at the start
  const std::string message = error_of([&] {
    ctx.report(50, {{"losses/policy", 0.5}, {"eval/kl_ref_k3", INFINITY}}, *policy);
  });
  EXPECT_EQ(message.rfind("metrics: `eval/kl_ref_k3` is inf at env step 50; the run diverged: ", 0),
            0u)
      << message;
  EXPECT_NE(message.find("kl_coef"), std::string::npos) << message;

  std::ifstream in(dir / "metrics.jsonl");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("null"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "only the start's line\n" << text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tandem::algorithms
