#include "algorithms/demonstration_pairs.h"

#include <torch/torch.h>

#include <algorithm>

#include "algorithms/evaluation.h"
#include "envs/error.h"

namespace tandem::algorithms {
namespace {

bool same_actions(const Episode& a, const Episode& b) {
  return a.actions.sizes() == b.actions.sizes() && torch::equal(a.actions, b.actions);
}

}  // namespace

std::vector<PreferencePair> demonstration_pairs(agents::PolicyImpl& sampler,
                                                const EnvFactory& make_env,
                                                const std::vector<Episode>& demos) {
  std::vector<PreferencePair> out;
  for (size_t start = 0; start < demos.size(); start += 64) {
    const size_t end = std::min(demos.size(), start + 64);
    std::vector<std::unique_ptr<envs::Env>> envs;
    std::vector<std::vector<float>> first;
    for (size_t i = start; i < end; ++i) {
      envs.push_back(make_env());
      first.push_back(envs.back()->reset_to_context(demos[i].context));
    }
    EpisodeSet set = run_episodes(sampler, envs, first, /*deterministic=*/false);
    for (size_t i = start; i < end; ++i) {
      const int64_t k = static_cast<int64_t>(i - start);
      PreferencePair p;
      p.chosen = demos[i];
      p.rejected.context = set.contexts[k];
      p.rejected.env_obs = set.batch.env_obs[k].slice(0, 0, set.lengths[k]).clone();
      p.rejected.actions = set.batch.actions[k].slice(0, 0, set.lengths[k]).clone();
      p.rejected.gold_return = set.returns[k];
      if (!same_actions(p.chosen, p.rejected)) out.push_back(std::move(p));
    }
  }
  return out;
}

SourceBatches::SourceBatches(int64_t preference_pairs, int64_t demonstration_pairs,
                             int64_t batch_size, int64_t total, int64_t eval_interval)
    : batch_size_(batch_size),
      total_(total),
      eval_interval_(eval_interval),
      next_report_(eval_interval) {
  TANDEM_CHECK(preference_pairs >= 0 && demonstration_pairs >= 0, "SourceBatches: pair counts");
  preferences_.items = preference_pairs;
  demonstrations_.offset = preference_pairs;
  demonstrations_.items = demonstration_pairs;
  if (preference_pairs == 0 || demonstration_pairs == 0)
    one_source_.emplace(preference_pairs + demonstration_pairs, batch_size, total, eval_interval);
  else
    TANDEM_CHECK(batch_size > 0 && eval_interval > 0, "SourceBatches needs a batch size");
}

void SourceBatches::Stream::take(int64_t count, std::vector<int64_t>* rows) {
  for (; count > 0; --count) {
    if (position >= static_cast<int64_t>(order.size())) {
      torch::Tensor perm = torch::randperm(items, torch::kLong);
      order.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + items);
      position = 0;
    }
    rows->push_back(offset + order[position++]);
  }
}

int64_t SourceBatches::demonstration_rows(int64_t size) {
  if (size == 1) return turn_++ % 2;  // preferences, then demonstrations, ...
  const int64_t all = preferences_.items + demonstrations_.items;
  const int64_t share = (2 * size * demonstrations_.items + all) / (2 * all);  // rounded
  return std::clamp<int64_t>(share, 1, size - 1);
}

bool SourceBatches::next(std::vector<int64_t>* rows) {
  if (one_source_) return one_source_->next(rows);
  if (processed_ >= total_) return false;
  // a minibatch holds no more rows than both sources have (as ItemBatches: the whole data)
  const int64_t size =
      std::min({batch_size_, total_ - processed_, preferences_.items + demonstrations_.items});
  const int64_t demos = std::min(demonstration_rows(size), demonstrations_.items);
  const int64_t prefs = std::min(size - demos, preferences_.items);
  rows->clear();
  preferences_.take(prefs, rows);
  demonstrations_.take(demos, rows);
  processed_ += static_cast<int64_t>(rows->size());
  return true;
}

int64_t SourceBatches::processed() const {
  return one_source_ ? one_source_->processed() : processed_;
}

double SourceBatches::epoch() const {
  return one_source_
             ? one_source_->epoch()
             : static_cast<double>(processed_) / (preferences_.items + demonstrations_.items);
}

bool SourceBatches::report_due() {
  if (one_source_) return one_source_->report_due();
  if (processed_ < next_report_ && processed_ < total_) return false;
  while (next_report_ <= processed_) next_report_ += eval_interval_;
  return true;
}

json SourceBatches::state() const {
  if (one_source_) return {{"one_source", one_source_->state()}};
  auto stream = [](const Stream& s) {
    return json{{"items", s.items}, {"position", s.position}, {"order", s.order}};
  };
  return {{"preferences", stream(preferences_)},
          {"demonstrations", stream(demonstrations_)},
          {"total", total_},
          {"processed", processed_},
          {"next_report", next_report_},
          {"turn", turn_}};
}

void SourceBatches::restore(const json& state) {
  if (one_source_) {
    if (!state.contains("one_source"))
      throw Error("the checkpoint's minibatch schedule mixes two sources, this run's has one");
    one_source_->restore(state.at("one_source"));
    return;
  }
  if (!state.contains("preferences") ||
      state.at("preferences").at("items").get<int64_t>() != preferences_.items ||
      state.at("demonstrations").at("items").get<int64_t>() != demonstrations_.items ||
      state.at("total").get<int64_t>() != total_)
    throw Error("the checkpoint's minibatch schedule is over other data or another budget: " +
                std::string("the data changed since; start afresh in a new --out"));
  auto stream = [](const json& j, Stream* s) {
    s->position = j.at("position").get<int64_t>();
    s->order = j.at("order").get<std::vector<int64_t>>();
  };
  stream(state.at("preferences"), &preferences_);
  stream(state.at("demonstrations"), &demonstrations_);
  processed_ = state.at("processed").get<int64_t>();
  next_report_ = state.at("next_report").get<int64_t>();
  turn_ = state.at("turn").get<int64_t>();
}

torch::Tensor SourceBatches::demonstration_mask(const std::vector<int64_t>& rows) const {
  if (demonstrations_.items == 0) return {};
  return torch::tensor(rows, torch::kLong) >= demonstrations_.offset;
}

}  // namespace tandem::algorithms
