// AIHF's demonstration pairs, shared by both of its forms (`aihf`, `aihf_dpo`): each
// demonstration y^E is paired with an episode y' that a policy samples from the same start
// (prompt or seed), y^E ≻ y'. Pairs whose y' repeats y^E action for action are skipped: they
// carry no signal.
#pragma once

#include <optional>
#include <vector>

#include "agents/policy.h"
#include "algorithms/feedback.h"

namespace tandem::algorithms {

std::vector<PreferencePair> demonstration_pairs(agents::PolicyImpl& sampler,
                                                const EnvFactory& make_env,
                                                const std::vector<Episode>& demos);

// Minibatches over both of AIHF's sources, as rows of [preference pairs..., demonstration
// pairs...]: each source is reshuffled and walked on its own, and a minibatch of B rows takes
//   b_D = round(B |D| / (|D| + |P|)), kept within [1, B − 1],
// demonstration rows and B − b_D preference rows (B = 1: the sources take turns).
// Why (decision): the loss is a mean per source over the minibatch (source_mean), a source absent
// from it adding 0, so how the sources mix decides their weights. Over one shuffle of the union a
// small source misses most minibatches — 10 demonstrations beside 5 000 pairs in minibatches of
// 32 reach about 10 of 157 — and its mean would enter ~6 % of the steps: diluted again. With both
// in every minibatch, each step's loss estimates w_D E_D + w_P E_P without bias. A source takes
// its share of the rows, so an epoch of the union is about an epoch of each; a source smaller
// than the number of minibatches is revisited within one (b_D ≥ 1). With one source (a weight of
// 0 drops the other's data) this is ItemBatches exactly: the same shuffles and minibatches.
class SourceBatches {
 public:
  SourceBatches(int64_t preference_pairs, int64_t demonstration_pairs, int64_t batch_size,
                int64_t total, int64_t eval_interval);
  // The next minibatch's rows; false once `total` rows are processed.
  bool next(std::vector<int64_t>* rows);
  int64_t processed() const;
  double epoch() const;  // rows processed / rows of both sources
  // True once each time an evaluation interval is crossed, and after the last minibatch.
  bool report_due();
  // [rows.size()] bool, true on a demonstration pair's row; undefined without demonstration pairs.
  torch::Tensor demonstration_mask(const std::vector<int64_t>& rows) const;
  // The place in the schedule, both shuffles included (ItemBatches::state).
  json state() const;
  void restore(const json& state);

 private:
  // one source's rows, [offset, offset + items), reshuffled at each pass
  struct Stream {
    int64_t offset = 0, items = 0, position = 0;
    std::vector<int64_t> order;
    void take(int64_t count, std::vector<int64_t>* rows);
  };
  // demonstration rows in a minibatch of `size` rows
  int64_t demonstration_rows(int64_t size);

  std::optional<ItemBatches> one_source_;
  Stream preferences_, demonstrations_;
  int64_t batch_size_ = 0, total_ = 0, eval_interval_ = 0;
  int64_t processed_ = 0, next_report_ = 0, turn_ = 0;
};

}  // namespace tandem::algorithms
