// Where a learner's reward comes from, separate from the env: by default the env's own reward
// (RolloutCollector stores it); a learned reward model replaces it (RLHF). Gold signals are
// never a reward source unless a run asks for it.
#pragma once

#include <string>

#include "agents/trajectory_batch.h"

namespace tandem::algorithms {

class RewardSource {
 public:
  virtual ~RewardSource() = default;
  // Overwrites batch.rewards ([B, T]) for the valid steps of a freshly collected rollout.
  virtual void relabel(agents::TrajectoryBatch& batch) = 0;
  virtual std::string name() const = 0;
};

}  // namespace tandem::algorithms
