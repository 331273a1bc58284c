// Puts a set of parameters (and their gradients) into one contiguous buffer each, so the
// optimizer step, the gradient-norm clip and zero_grad are one tensor op apiece instead of one
// per parameter. For the small MLPs of control tasks that per-op overhead is most of the update.
//
// The parameters become views of the flat buffer (their storage is replaced, values kept);
// autograd accumulates into their gradients in place, which are views of the flat gradient.
// Loading a module state afterwards (Module::load) replaces storages again: flatten after it.
#pragma once

#include <vector>

#include <torch/types.h>

namespace tandem::algorithms {

class FlatParameters {
 public:
  explicit FlatParameters(const std::vector<torch::Tensor>& params);

  // The one tensor to hand to an optimizer: its .grad() is the flat gradient.
  const torch::Tensor& flat() const { return flat_; }
  int64_t numel() const { return flat_.numel(); }

 private:
  torch::Tensor flat_;
};

}  // namespace tandem::algorithms
