#include "algorithms/flat_parameters.h"

#include <torch/torch.h>

#include "envs/error.h"

namespace tandem::algorithms {

FlatParameters::FlatParameters(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  TANDEM_CHECK(total > 0, "no parameters to flatten");
  torch::Tensor data = torch::empty({total}, params.front().options());
  torch::Tensor grad = torch::zeros({total}, params.front().options());
  int64_t offset = 0;
  for (auto p : params) {
    const int64_t n = p.numel();
    data.narrow(0, offset, n).copy_(p.detach().reshape({-1}));
    p.set_data(data.narrow(0, offset, n).view(p.sizes()));
    p.mutable_grad() = grad.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  flat_ = data.detach().requires_grad_(true);
  flat_.mutable_grad() = grad;
}

}  // namespace tandem::algorithms
