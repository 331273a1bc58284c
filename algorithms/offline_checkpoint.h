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

// What every offline learner's config holds about its checkpoints.
struct OfflineCheckpointSettings {
  std::vector<int64_t> keep_checkpoints;

  template <class V>
  void visit(V& v) {
    v.field("keep_checkpoints", keep_checkpoints, int64_t{0}, int64_t{1} << 50,
            "also keep checkpoint-N.pt, written after the minibatch that reaches N items");
  }
};

class OfflineCheckpoints {
 public:
  // `optimizer` may be null (reward_model trains no policy: its trainer goes in `extra`).
  OfflineCheckpoints(RunContext& ctx, std::string algorithm, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, const OfflineCheckpointSettings& settings);

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

 private:
  void save(const std::string& path, int64_t processed, const json& place);

  RunContext& ctx_;
  std::string algorithm_;
  agents::PolicyImpl& policy_;
  torch::optim::Optimizer* optimizer_;
  RunStateWriter write_extra_;
  RunStateReader read_extra_;
  std::vector<int64_t> keep_;  // snapshots not taken yet
};

}  // namespace tandem::algorithms
