// What the segment-feedback tests share: two random Gaussian policies of different initial
// weights and spreads that play the compared segments, and the logistic function of the labels.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "agents/policy_factory.h"
#include "algorithms/feedback.h"

namespace tandem::algorithms::testing {

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct TwoPolicies {
  agents::Policy a, b;
  std::vector<PolicySource> sources() { return {{"a", a.get()}, {"b", b.get()}}; }
};

inline TwoPolicies two_policies(const envs::Env& env) {
  torch::manual_seed(0);
  TwoPolicies p;
  p.a = agents::make_policy(env, {{"hidden", {16}}}, "test");
  p.b = agents::make_policy(env, {{"hidden", {16}}, {"log_std_init", -1.0}}, "test");
  return p;
}

}  // namespace tandem::algorithms::testing
