// Checkpoints of the offline learners (reward_model, dpo, sft, aihf_dpo). One is written after
// every evaluation and, when Ctrl-C or SIGTERM arrives, after the minibatch in progress; a run
// resumed from it goes on from the next minibatch with the same weights, optimizer moments,
// shuffles, partial sums and torch RNG, so it writes the metrics the uninterrupted run writes.
// The data (pairs, demonstrations) is not in the checkpoint: the resumed run reads it again from
// the feedback cache, as it did at the start (ItemBatches::restore refuses data of another size).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"

namespace tandem::algorithms {

// What every offline learner's config holds about its checkpoints and when it stops: the
// budget (--steps, in items) is a cap; with patience, training stops earlier once the held-out
// score (DPO: − held-out loss; reward model: held-out accuracy) has not improved for `patience`
// evaluations in a row (protocol §3: offline learners train until held-out data stops
// improving, not for a count of items). The policy is not rolled back to the best evaluation:
// the run's last evaluations are those of the policy it ends with, as for every learner.
struct OfflineSchedule {
  std::vector<int64_t> keep_checkpoints;
  int64_t patience = 0;

  template <class V>
  void visit(V& v) {
    v.field("keep_checkpoints", keep_checkpoints, int64_t{0}, int64_t{1} << 50,
            "also keep checkpoint-N.pt, written after the minibatch that reaches N items");
    v.field("patience", patience, int64_t{0}, int64_t{1} << 30,
            "stop once the held-out score has not improved for this many evaluations "
            "(0: train for the whole budget)");
  }
};

class OfflineCheckpoints {
 public:
  // `optimizer` may be null (reward_model trains no policy: its trainer goes in `extra`).
  OfflineCheckpoints(RunContext& ctx, std::string algorithm, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, const OfflineSchedule& settings);

  // What the learner keeps beside the policy and its optimizer (a reward model and its
  // optimizer, self-play's reference, ...), written and read in a sub-archive of its own.
  void set_extra(RunStateWriter write, RunStateReader read);

  // With --resume and a checkpoint in the run folder: restores the policy, the optimizer, torch's
  // RNG and the extra state, cuts the metrics at the checkpoint, and returns the learner's place
  // (what after_step's `place` returned when it was written). Otherwise nothing.
  std::optional<json> resume();

  // After every minibatch; `processed` items in all, `reported`: an evaluation just ran. Writes
  // the checkpoint after an evaluation, and on Ctrl-C, where it then throws Interrupted (how to
  // resume); and the snapshots of keep_checkpoints once reached. `place` is asked for only when
  // a checkpoint is written.
  void after_step(bool reported, int64_t processed, const std::function<json()>& place);

  // The budget is spent: the last checkpoint.
  void finish(int64_t processed, const json& place);

  // Early stopping, at an evaluation (before it is reported): the held-out score, higher is
  // better. True, and stopped() from then on, once `patience` evaluations in a row have not
  // beaten the best (patience 0: never); the count is in the checkpoint. Adds
  // "offline/evaluations_without_improvement" and, when it stops, "offline/stopped_early" to
  // `metrics`.
  bool should_stop(double heldout_score, json* metrics);
  bool stopped() const { return stopped_; }

 private:
  void save(const std::string& path, int64_t processed, const json& place);

  RunContext& ctx_;
  std::string algorithm_;
  agents::PolicyImpl& policy_;
  torch::optim::Optimizer* optimizer_;
  RunStateWriter write_extra_;
  RunStateReader read_extra_;
  std::vector<int64_t> keep_;  // snapshots not taken yet
  int64_t patience_ = 0, without_improvement_ = 0;
  std::optional<double> best_;
  bool stopped_ = false;
};

}  // namespace tandem::algorithms
