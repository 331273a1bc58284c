#include "algorithms/offline_checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "algorithms/data_parallel.h"
#include "algorithms/interrupt.h"

namespace tandem::algorithms {

OfflineCheckpoints::OfflineCheckpoints(RunContext& ctx, std::string algorithm,
                                       agents::PolicyImpl& policy,
                                       torch::optim::Optimizer* optimizer,
                                       const OfflineSchedule& settings)
    : ctx_(ctx),
      algorithm_(std::move(algorithm)),
      policy_(policy),
      optimizer_(optimizer),
      keep_(settings.keep_checkpoints),
      patience_(settings.patience) {}

void OfflineCheckpoints::set_extra(RunStateWriter write, RunStateReader read) {
  write_extra_ = std::move(write);
  read_extra_ = std::move(read);
}

std::optional<json> OfflineCheckpoints::resume() {
  if (!ctx_.resuming()) return std::nullopt;
  json place;
  const json counters =
      load_checkpoint(ctx_.checkpoint_path(), policy_, optimizer_, /*restore_rng=*/true,
                      [&](torch::serialize::InputArchive& a) {
                        c10::IValue text;
                        a.read("place", text);
                        place = json::parse(text.toStringRef());
                        if (read_extra_) {
                          torch::serialize::InputArchive extra;
                          a.read("extra", extra);
                          read_extra_(extra);
                        }
                      });
  if (counters.value("algorithm", "") != algorithm_)
    throw Error(ctx_.checkpoint_path() + ": a checkpoint of " + counters.value("algorithm", "?") +
                ", not of " + algorithm_);
  const int64_t processed = counters.at("env_steps").get<int64_t>();
  if (counters.contains("early_stopping")) {
    const json& e = counters["early_stopping"];
    if (!e.at("best").is_null()) best_ = e.at("best").get<double>();
    without_improvement_ = e.at("without_improvement").get<int64_t>();
    stopped_ = e.at("stopped").get<bool>();
  }
  ctx_.resume_at(processed, counters.at("wall_seconds").get<double>(),
                 counters.value("gradient_steps", int64_t{0}));
  // snapshots due before the checkpoint were taken then
  keep_.erase(std::remove_if(keep_.begin(), keep_.end(), [&](int64_t n) { return n <= processed; }),
              keep_.end());
  return place;
}

void OfflineCheckpoints::save(const std::string& path, int64_t processed, const json& place) {
  if (RunContext::secondary_rank()) return;  // rank 0 writes; every rank resumes from it
  save_checkpoint(path, policy_, optimizer_,
                  {{"algorithm", algorithm_},
                   {"env_steps", processed},
                   {"wall_seconds", ctx_.wall_seconds()},
                   {"gradient_steps", ctx_.gradient_steps()},
                   {"early_stopping",
                    {{"best", best_ ? json(*best_) : json(nullptr)},
                     {"without_improvement", without_improvement_},
                     {"stopped", stopped_}}}},
                  [&](torch::serialize::OutputArchive& a) {
                    a.write("place", c10::IValue(place.dump()));
                    if (write_extra_) {
                      torch::serialize::OutputArchive extra;
                      write_extra_(extra);
                      a.write("extra", extra);
                    }
                  });
}

void OfflineCheckpoints::after_step(bool reported, int64_t processed,
                                    const std::function<json()>& place) {
  if (ctx_.checkpoint_path().empty()) {
    if (const int signal = agreed_interrupt_signal()) ctx_.stop_interrupted(signal, processed);
    return;
  }
  const std::string dir = std::filesystem::path(ctx_.checkpoint_path()).parent_path().string();
  for (auto it = keep_.begin(); it != keep_.end();) {
    if (*it > processed) {
      ++it;
      continue;
    }
    save(dir + "/checkpoint-" + std::to_string(*it) + ".pt", processed, place());
    it = keep_.erase(it);
  }
  const int signal = agreed_interrupt_signal();
  if (!reported && !signal) return;
  save(ctx_.checkpoint_path(), processed, place());
  if (signal) ctx_.stop_interrupted(signal, processed);
}

bool OfflineCheckpoints::should_stop(double heldout_score, json* metrics) {
  if (patience_ == 0) return false;
  // data-parallel ranks stop together: on their mean score (the same on all, to rounding)
  if (DataParallel* dp = data_parallel()) heldout_score = dp->mean(heldout_score);
  if (!best_ || heldout_score > *best_) {
    best_ = heldout_score;
    without_improvement_ = 0;
  } else {
    ++without_improvement_;
  }
  (*metrics)["offline/evaluations_without_improvement"] = without_improvement_;
  stopped_ = without_improvement_ >= patience_;
  if (stopped_) (*metrics)["offline/stopped_early"] = 1;
  return stopped_;
}

void OfflineCheckpoints::finish(int64_t processed, const json& place) {
  if (!ctx_.checkpoint_path().empty()) save(ctx_.checkpoint_path(), processed, place);
}

}  // namespace tandem::algorithms
