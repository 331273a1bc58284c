// The DPO training loop, shared by `dpo` and `aihf_dpo` (which feeds it demonstration pairs
// beside the preference pairs). Per minibatch, ℓ_i = − log σ(β [h(y_w,i) − h(y_l,i)]),
// h(y) = log π_θ(y|x) − log π_ref(y|x), and
//   L = w_D · mean_{demonstration pairs} ℓ + w_P · mean_{preference pairs} ℓ
// (source_mean; SourceBatches puts both sources in every minibatch). Without demonstration pairs
// and with w_P = 1 it is DPO's − mean log σ(·), exactly. With bc_coef > 0 the loss adds
//   bc_coef · (− Σ log π(a_t|s_t) / Σ 1) over every step of the minibatch's chosen segments
// (both sources): DPO's loss only moves the log-ratio of chosen to rejected, and on control both
// can fall together (the policy drifts off the data); a BC term on the chosen sides holds their
// likelihood up (Hejna et al. 2023 add one to their contrastive loss for the same reason).
// log π(y|x) is the masked sum of Policy::evaluate's per-step log-probs: tokens and torques alike.
#pragma once

#include <torch/optim/adam.h>

#include <memory>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/feedback.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/preference_losses.h"

namespace tandem::algorithms {

struct DpoSettings {
  double beta = 0.1;
  int64_t batch_size = 16;
  double learning_rate = 5e-5;
  double max_grad_norm = 1.0;
  double bc_coef = 0.0;

  template <class V>
  void visit(V& v) {
    v.field("beta", beta, 1e-6, 1e6, "β: the implicit reward is β (log π − log π_ref)");
    v.field("batch_size", batch_size, int64_t{1}, int64_t{65536}, "pairs per gradient step");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
    v.field("bc_coef", bc_coef, 0.0, 1e6,
            "adds bc_coef · (− mean log π per step of the chosen sides' segments): a behaviour-"
            "cloning anchor on what was preferred (0: DPO's loss alone)");
  }
};

class OfflineCheckpoints;

// Where a DpoTrainer::train call takes its checkpoints: `outer` is the caller's place (AIHF-DPO's
// round), kept in every checkpoint beside the trainer's; `resumed`, the place a resumed run
// restored (its minibatch schedule and partial sums go on from there).
struct DpoCheckpointing {
  OfflineCheckpoints* checkpoints = nullptr;
  json outer = json::object();
  const json* resumed = nullptr;
};

class DpoTrainer {
 public:
  // Trains `policy` (its actor parameters) against `reference`, which it does not own.
  DpoTrainer(agents::Policy policy, const DpoSettings& settings);

  // π_ref (frozen by the caller); resets the cached reference log-likelihoods.
  void set_reference(agents::Policy reference) { reference_ = std::move(reference); }
  // Held-out pairs, never trained on: "dpo/heldout_*" metrics (loss, margin, accuracy, both
  // implicit rewards). No pairs: no metric (training pairs are never reported as held out).
  void heldout_metrics(const std::vector<PreferencePair>& heldout, json* metrics);
  // Trains on the preference pairs and the demonstration pairs (none: DPO) under `weights` until
  // `items` more pairs are processed, reporting through ctx at its evaluation interval, with the
  // held-out metrics of `heldout` (empty: none); `done` counts the pairs processed before (the
  // step axis of the reports). Returns the pairs processed after this call. Checkpoints (when
  // given) are written after every evaluation and on Ctrl-C, with "done", "batches" and "sums".
  int64_t train(RunContext& ctx, const std::vector<const PreferencePair*>& preference_pairs,
                const std::vector<const PreferencePair*>& demonstration_pairs,
                const SourceWeights& weights, const std::vector<PreferencePair>& heldout,
                int64_t items, int64_t done, json* metrics,
                const DpoCheckpointing& checkpointing = {});
  torch::optim::Adam& optimizer() { return *optimizer_; }

  // One minibatch's loss, with gradients: dpo_loss of the policy's and the given reference
  // log-likelihoods [P] (`parts` gets its terms), plus the BC term when bc_coef > 0 (`bc_nll`
  // gets the chosen steps' mean negative log-likelihood then).
  torch::Tensor minibatch_loss(const std::vector<const PreferencePair*>& batch,
                               const torch::Tensor& ref_chosen, const torch::Tensor& ref_rejected,
                               const torch::Tensor& demonstration, const SourceWeights& weights,
                               DpoLoss* parts, torch::Tensor* bc_nll = nullptr);

 private:
  agents::Policy policy_, reference_;
  DpoSettings settings_;
  std::unique_ptr<FlatParameters> flat_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace tandem::algorithms
