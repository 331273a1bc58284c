#include <gtest/gtest.h>
#include <torch/torch.h>

#include "algorithms/flat_parameters.h"

namespace tandem::algorithms {
namespace {

TEST(FlatParameters, KeepsValuesAndRoutesGradientsAndUpdates) {
  torch::manual_seed(0);
  torch::nn::Linear a(3, 4), b(4, 2);
  std::vector<torch::Tensor> params = a->parameters();
  for (auto& p : b->parameters()) params.push_back(p);
  std::vector<torch::Tensor> before;
  for (auto& p : params) before.push_back(p.detach().clone());

  FlatParameters flat(params);
  EXPECT_EQ(flat.numel(), 3 * 4 + 4 + 4 * 2 + 2);
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i]));

  // gradients of the modules land in the flat gradient
  torch::Tensor x = torch::randn({5, 3});
  b->forward(torch::tanh(a->forward(x))).sum().backward();
  torch::Tensor g = flat.flat().grad();
  EXPECT_TRUE(torch::equal(g.narrow(0, 0, 12).view({4, 3}), a->weight.grad()));
  EXPECT_GT(g.abs().sum().item<double>(), 0.0);

  // a step on the flat tensor moves the modules' parameters
  torch::optim::SGD sgd(std::vector<torch::Tensor>{flat.flat()}, torch::optim::SGDOptions(0.1));
  torch::Tensor expected = (before[0] - 0.1 * a->weight.grad()).clone();
  sgd.step();
  EXPECT_TRUE(torch::allclose(a->weight, expected));

  // zero_grad clears the modules' gradients too (they are views of the flat one)
  sgd.zero_grad();
  EXPECT_EQ(a->weight.grad().abs().sum().item<double>(), 0.0);
  b->forward(torch::tanh(a->forward(x))).sum().backward();
  EXPECT_TRUE(torch::equal(flat.flat().grad().narrow(0, 0, 12).view({4, 3}), a->weight.grad()));
}

}  // namespace
}  // namespace tandem::algorithms
