#include "algorithms/update_epochs.h"

#include <torch/torch.h>

#include <cmath>
#include <map>

#include "algorithms/data_parallel.h"
#include "algorithms/divergence.h"
#include "algorithms/gae.h"
#include "envs/error.h"

namespace tandem::algorithms {
namespace {

// An early stop is taken by every data-parallel rank or by none: on the ranks' mean statistics.
json agreed(const json& stats) {
  DataParallel* dp = data_parallel();
  if (!dp) return stats;
  std::vector<double> values;
  for (auto it = stats.begin(); it != stats.end(); ++it) values.push_back(it->get<double>());
  values = dp->mean(values);
  json out = stats;
  size_t k = 0;
  for (auto it = out.begin(); it != out.end(); ++it) *it = values[k++];
  return out;
}

}  // namespace

json update_epochs(agents::PolicyImpl& policy, torch::optim::Optimizer& optimizer,
                   const torch::Tensor& flat_parameters, const agents::TrajectoryBatch& batch,
                   int64_t iteration, const UpdateEpochs& how) {
  const OnPolicyConfig& base = how.config;
  // explained variance of the stored values, before they move, over the valid steps only
  const double explained = explained_variance(batch.values, batch.returns, batch.mask);

  const agents::TrajectoryBatch data = policy.stateless() ? batch.flatten_steps() : batch;
  const int64_t rows = data.size();
  const int64_t mb_size = std::max<int64_t>(1, rows / base.minibatches);
  const std::string where = "iteration " + std::to_string(iteration);
  std::map<std::string, double> sums;
  int64_t updates = 0, epochs_run = 0;
  for (int64_t epoch = 0; epoch < base.epochs; ++epoch) {
    ++epochs_run;
    // one gather per field and epoch, then each minibatch is a view: the same rows as
    // gathering order[start, start + mb_size) per minibatch, at a 32nd of the ops
    const agents::TrajectoryBatch shuffled = data.select_rows(torch::randperm(rows, torch::kLong));
    std::map<std::string, double> epoch_sums;
    int64_t epoch_updates = 0;
    for (int64_t start = 0; start + mb_size <= rows; start += mb_size) {
      const agents::TrajectoryBatch mb = shuffled.slice_rows(start, start + mb_size);
      agents::EvaluateResult ev = policy.evaluate(mb);
      torch::Tensor adv =
          base.advantage_whitening == "minibatch" ? whiten(mb.advantages, mb.mask) : mb.advantages;
      PolicyLoss pl = how.policy_loss(ev, mb, adv);
      torch::Tensor vl = value_loss(ev.value, mb.values, mb.returns, mb.mask, base.clip_value_loss,
                                    base.value_clip);
      torch::Tensor loss = pl.loss + base.value_coef * vl;
      const double total = loss.item<double>();
      if (!std::isfinite(total)) {
        throw Error(how.learner + ": the loss is " + std::to_string(total) + " at " + where +
                    " (policy loss " + std::to_string(pl.loss.item<double>()) + ", value loss " +
                    std::to_string(vl.item<double>()) +
                    "); lower learning_rate or check the env's observations for NaN");
      }
      optimizer.zero_grad();
      loss.backward();
      checked_gradient_norm({flat_parameters}, base.max_grad_norm, total, how.learner, where,
                            how.knob);
      optimizer.step();

      epoch_sums["losses/policy"] += pl.loss.item<double>();
      epoch_sums["losses/value"] += vl.item<double>();
      for (const auto& [key, value] : pl.stats) epoch_sums["losses/" + key] += value.item<double>();
      ++epoch_updates;
    }
    json epoch_stats = json::object();
    for (const auto& [key, value] : epoch_sums) {
      sums[key] += value;
      epoch_stats[key] = value / std::max<int64_t>(1, epoch_updates);
    }
    updates += epoch_updates;
    if (how.stop_after_epoch && how.stop_after_epoch(agreed(epoch_stats))) break;
  }
  json out = {{"losses/explained_variance", explained},
              {"losses/epochs", epochs_run},
              {"losses/updates", updates}};
  for (const auto& [key, value] : sums) out[key] = value / std::max<int64_t>(1, updates);
  return out;
}

}  // namespace tandem::algorithms
