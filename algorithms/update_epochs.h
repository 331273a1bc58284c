// The on-policy update of one rollout (PPO, APA and AIHF's inner RL): epochs of shuffled
// minibatches, each one gradient step of policy loss + value_coef · value loss with the checked
// gradient-norm clip and Adam. Kept apart from OnPolicyAlgorithm so bench/ppo_update_bench times
// exactly the code that trains.
#pragma once

#include <functional>
#include <string>

#include "algorithms/on_policy.h"

namespace torch::optim {
class Optimizer;
}

namespace tandem::algorithms {

struct UpdateEpochs {
  const OnPolicyConfig& config;
  std::string learner;  // names the learner in errors
  std::string knob;     // what to turn when the loss or the gradients stop being finite
  // the algorithm's policy loss on a minibatch (ev: the policy's evaluation of mb)
  std::function<PolicyLoss(const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
                           const torch::Tensor& advantages)>
      policy_loss;
  // after each epoch, with its mean statistics: true stops the update (may be empty)
  std::function<bool(const json& epoch_stats)> stop_after_epoch;
};

// Runs the epochs over `batch` (a rollout with advantages and returns) and returns the mean
// losses and statistics ("losses/..."), the epochs run and the gradient steps taken.
// `flat_parameters` holds every parameter of `policy` (FlatParameters): the clip measures it.
json update_epochs(agents::PolicyImpl& policy, torch::optim::Optimizer& optimizer,
                   const torch::Tensor& flat_parameters, const agents::TrajectoryBatch& batch,
                   int64_t iteration, const UpdateEpochs& how);

}  // namespace tandem::algorithms
