// Runs a block under a fixed torch seed and gives the global random stream back afterwards, so
// a cached artefact (a base model, a feedback dataset) is the same whichever run builds it, and
// building it does not shift the run's own random numbers.
#pragma once

#include <cstdint>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>

namespace tandem::agents {

class TorchSeedScope {
 public:
  explicit TorchSeedScope(uint64_t seed)
      : state_(at::detail::getDefaultCPUGenerator().get_state()) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_current_seed(seed);
  }
  ~TorchSeedScope() {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(state_);
  }
  TorchSeedScope(const TorchSeedScope&) = delete;
  TorchSeedScope& operator=(const TorchSeedScope&) = delete;

 private:
  at::Tensor state_;
};

}  // namespace tandem::agents
