#include "algorithms/on_policy.h"

#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "agents/running_normalizer.h"
#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/gae.h"
#include "algorithms/interrupt.h"
#include "algorithms/reward_model.h"
#include "algorithms/rollout.h"
#include "algorithms/update_epochs.h"
#include "envs/error.h"
#include "envs/vector_env.h"

namespace tandem::algorithms {
namespace fs = std::filesystem;

double explained_variance(const torch::Tensor& values, const torch::Tensor& returns,
                          const torch::Tensor& mask) {
  const double n = mask.sum().item<double>();
  if (n < 2) return 0.0;
  auto masked_var = [&](const torch::Tensor& x) {
    const torch::Tensor mean = (x * mask).sum() / n;
    return (((x - mean) * mask).pow(2).sum() / (n - 1)).item<double>();
  };
  return 1.0 - masked_var(returns - values) / std::max(1e-8, masked_var(returns));
}

torch::Tensor value_loss(const torch::Tensor& values, const torch::Tensor& old_values,
                         const torch::Tensor& returns, const torch::Tensor& mask, bool clip,
                         double clip_range) {
  torch::Tensor error = (values - returns).pow(2);
  if (clip) {
    torch::Tensor clipped = old_values + torch::clamp(values - old_values, -clip_range, clip_range);
    error = torch::max(error, (clipped - returns).pow(2));
  }
  return 0.5 * masked_mean(error, mask);
}

namespace {

std::vector<agents::RunningNormalizerImpl*> normalizers_of(agents::PolicyImpl& policy) {
  std::vector<agents::RunningNormalizerImpl*> out;
  for (const auto& m : policy.modules())
    if (auto* n = dynamic_cast<agents::RunningNormalizerImpl*>(m.get())) out.push_back(n);
  return out;
}

// This rank's share of a rollout of num_envs × steps_per_env: whole envs when they divide among
// the ranks (text rollouts are one episode per env, so they must), else a share of each env's
// steps (control, e.g. Hopper's one env of 2048 steps: 1024 per rank on 2).
std::pair<int64_t, int64_t> rank_share(const OnPolicyConfig& base, bool stateless, int world,
                                       const std::string& name) {
  if (world == 1 || base.num_envs % world == 0) return {base.num_envs / world, base.steps_per_env};
  if (stateless && base.steps_per_env % world == 0)
    return {base.num_envs, base.steps_per_env / world};
  throw Error(name + " on " + std::to_string(world) + " data-parallel processes splits its " +
              "rollout among them: num_envs (" + std::to_string(base.num_envs) + ")" +
              (stateless ? " or steps_per_env (" + std::to_string(base.steps_per_env) + ")" : "") +
              " must be a multiple of " + std::to_string(world) + " (--set num_envs=N)");
}

}  // namespace

void OnPolicyAlgorithm::train(RunContext& ctx) {
  DataParallel* dp = data_parallel();
  const int world = dp ? dp->world() : 1, rank = dp ? dp->rank() : 0;
  policy_ = ctx.make_policy();
  const auto [num_envs, steps_per_env] = rank_share(base_, policy_->stateless(), world, name_);
  // a stateless policy's rollouts have a fixed length, num_envs × steps_per_env env steps: a
  // budget short of one would silently train a whole rollout past it (text rollouts end with
  // their episodes, so theirs is only a cap)
  const int64_t rollout = base_.num_envs * base_.steps_per_env;
  if (policy_->stateless() && ctx.options().total_steps < rollout)
    throw Error("--steps " + std::to_string(ctx.options().total_steps) +
                " is less than one rollout of " + name_ + " (num_envs " +
                std::to_string(base_.num_envs) + " × steps_per_env " +
                std::to_string(base_.steps_per_env) + " = " + std::to_string(rollout) +
                " env steps): give --steps " + std::to_string(rollout) +
                " or more, or a smaller steps_per_env (--set steps_per_env=N)");
  if (!base_.reward_model.empty()) {
    reward_source_ = std::make_shared<LearnedRewardSource>(
        load_reward_model(base_.reward_model, *policy_, ctx.spec()));
  }
  if (needs_reference() || base_.kl_coef > 0) {
    reference_ = agents::frozen_copy(*policy_);
    ctx.set_reference(reference_);
  }
  on_start(ctx);
  if (reward_source_) ctx.set_reward_source(reward_source_);
  if (dp) {
    // the ranks built the same policy from the same seed; rank 0's values make sure of it. From
    // here each samples on a stream of its own (its envs too), so their rollouts differ
    dp->broadcast(policy_->parameters());
    dp->broadcast(policy_->buffers());
    if (rank > 0) torch::manual_seed(rank_seed(ctx.options().seed, rank));
  }
  flat_ = std::make_unique<FlatParameters>(policy_->parameters());
  optimizer_ = std::make_unique<torch::optim::Adam>(
      std::vector<torch::Tensor>{flat_->flat()},
      torch::optim::AdamOptions(base_.learning_rate).eps(base_.adam_eps));
  // stateful policies (the LM) learn from whole episodes, one per row
  envs::VectorEnv envs([&] { return ctx.make_env(); }, num_envs, ctx.options().threads,
                       /*auto_reset=*/policy_->stateless());
  RolloutCollector collector(envs, rank_seed(ctx.options().seed, rank));
  // env steps of all ranks together (the budget's unit); one process: the collector's count
  int64_t env_steps = 0;
  // whole-episode rollouts (text) are scaled by the spread of their sequence scores, control
  // rollouts by that of the discounted return
  RewardScaler scaler(base_.gamma, base_.reward_clip,
                      envs.auto_reset() ? RewardScaler::Statistic::kDiscountedReturn
                                        : RewardScaler::Statistic::kEpisodeScore);

  // everything a resumed run needs (restore_state and the resume branch below read it back)
  auto save = [&](const std::string& path, int64_t iteration) {
    // data-parallel: rank 0's checkpoint is the run's, and every rank resumes from it
    if (RunContext::secondary_rank()) return;
    json counters = checkpoint_state(path);
    counters.update({{"algorithm", name_},
                     {"iteration", iteration},
                     {"env_steps", env_steps},
                     {"rollouts", collector.rollouts()},
                     {"reward_scaler", scaler.state()},
                     {"wall_seconds", ctx.wall_seconds()},
                     {"gradient_steps", ctx.gradient_steps()}});
    if (dp) counters["data_parallel_world"] = world;
    save_checkpoint(path, *policy_, optimizer_.get(), counters,
                    [&](torch::serialize::OutputArchive& a) {
                      collector.save(a);
                      torch::serialize::OutputArchive own;
                      save_tensors(own);
                      a.write("algorithm", own);
                    });
  };
  // snapshots along the way (keep_checkpoints): checkpoint-N.pt once N env steps are reached
  std::vector<int64_t> keep = base_.keep_checkpoints;
  auto keep_reached = [&](int64_t env_steps, int64_t iteration) {
    if (ctx.checkpoint_path().empty()) return;
    const std::string dir = fs::path(ctx.checkpoint_path()).parent_path().string();
    for (auto it = keep.begin(); it != keep.end();) {
      if (*it > env_steps) {
        ++it;
        continue;
      }
      save(dir + "/checkpoint-" + std::to_string(*it) + ".pt", iteration);
      it = keep.erase(it);
    }
  };

  // until the budget is spent: whole-episode rollouts (text) take fewer steps than their cap
  const int64_t total = ctx.options().total_steps;
  int64_t first_iteration = 1;
  if (ctx.resuming()) {
    // weights, observation statistics, Adam's moments, torch's RNG (minibatch order, sampling),
    // the counters, the reward scale and the episodes in flight (every env's simulator state)
    // come back: the run goes on as if it had never stopped
    const json c = load_checkpoint(ctx.checkpoint_path(), *policy_, optimizer_.get(),
                                   /*restore_rng=*/true, [&](torch::serialize::InputArchive& a) {
                                     // rank 0's episodes in flight are rank 0's: another rank
                                     // starts fresh ones (on a stream of its own, below)
                                     if (rank == 0) collector.load(a);
                                     torch::serialize::InputArchive own;
                                     a.read("algorithm", own);
                                     load_tensors(own);
                                   });
    first_iteration = c.at("iteration").get<int64_t>() + 1;
    env_steps = c.at("env_steps").get<int64_t>();
    if (rank > 0) torch::manual_seed(rank_seed(ctx.options().seed, rank) + first_iteration);
    if (c.value("data_parallel_world", 1) != world)
      throw Error(ctx.checkpoint_path() + ": the run was trained on " +
                  std::to_string(c.value("data_parallel_world", 1)) +
                  " data-parallel process(es); resume it on as many (--nproc), not " +
                  std::to_string(world));
    scaler.restore(c.at("reward_scaler"));
    restore_state(ctx.checkpoint_path(), c);
    // snapshots due before the checkpoint were taken then
    keep.erase(std::remove_if(keep.begin(), keep.end(), [&](int64_t n) { return n <= env_steps; }),
               keep.end());
    ctx.resume_at(env_steps, c.at("wall_seconds").get<double>(),
                  c.value("gradient_steps", int64_t{0}));
  } else {
    ctx.report(0, json::object(), *policy_);
    keep_reached(0, 0);
  }
  const std::vector<agents::RunningNormalizerImpl*> normalizers = normalizers_of(*policy_);
  for (int64_t iteration = first_iteration; env_steps < total; ++iteration) {
    const double frac = base_.anneal_lr ? 1.0 - static_cast<double>(env_steps) / total : 1.0;
    for (auto& group : optimizer_->param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(frac * base_.learning_rate);

    json metrics = before_iteration(ctx, env_steps);
    const double t0 = ctx.wall_seconds();
    std::vector<torch::Tensor> statistics_before;
    if (dp)
      for (auto* n : normalizers) statistics_before.push_back(n->state());
    const int64_t collected_before = collector.env_steps();
    agents::TrajectoryBatch batch = collector.collect(*policy_, steps_per_env);
    if (dp) {
      // every rank's observations join every rank's statistics; the steps count once each
      for (size_t k = 0; k < normalizers.size(); ++k)
        normalizers[k]->merge_updates(statistics_before[k],
                                      dp->gather_rows(normalizers[k]->state()));
      env_steps += dp->sum(collector.env_steps() - collected_before);
    } else {
      env_steps = collector.env_steps();
    }
    const double t1 = ctx.wall_seconds();
    metrics["charts/learning_rate"] = frac * base_.learning_rate;

    // the learner's reward: env or reward model, scaled, minus the KL penalty to π_ref
    if (reward_source_) reward_source_->relabel(batch);
    if (base_.normalize_reward) {
      scaler.apply(batch);
      metrics["charts/reward_scale_std"] = scaler.std();
    }
    if (reference_) {
      torch::NoGradGuard no_grad;
      // π_ref sees the observations through its own frozen statistics, not the learner's
      batch.ref_log_probs = agents::evaluate_own_view(*reference_, batch).log_prob;
      torch::Tensor log_ratio = (batch.log_probs - batch.ref_log_probs) * batch.mask;
      // per-step KL estimators: k1 = log ratio (can be negative), k3 = (r − 1) − log r ≥ 0
      torch::Tensor k3 = (torch::exp(-log_ratio) - 1 + log_ratio) * batch.mask;
      const double episodes = std::max(1.0, batch.episode_start.sum().item<double>());
      metrics["train/kl_ref_k1"] = log_ratio.sum().item<double>() / episodes;
      metrics["train/kl_ref_k3"] = k3.sum().item<double>() / episodes;
      if (base_.kl_coef > 0) batch.rewards = batch.rewards - base_.kl_coef * log_ratio;
    }
    compute_gae(batch, base_.gamma, base_.gae_lambda);
    if (base_.advantage_whitening == "batch")
      batch.advantages = whiten(batch.advantages, batch.mask);

    metrics.update(update(batch, iteration));
    ctx.add_gradient_steps(metrics["losses/updates"].get<int64_t>());
    metrics["charts/rollout_seconds"] = t1 - t0;
    metrics["charts/update_seconds"] = ctx.wall_seconds() - t1;
    auto finished = collector.take_finished();
    if (!finished.empty()) {
      double sum = 0, length = 0;
      for (const auto& e : finished) {
        sum += e.episode_return;
        length += e.length;
      }
      metrics["train/episode_return_mean"] = sum / finished.size();
      metrics["train/episode_length_mean"] = length / finished.size();
      metrics["train/episodes"] = finished.size();
    }
    metrics["charts/steps_per_second"] = env_steps / ctx.wall_seconds();
    ctx.report(env_steps, metrics, *policy_);
    const int signal = agreed_interrupt_signal();
    if (!ctx.checkpoint_path().empty() &&
        (iteration % base_.checkpoint_interval == 0 || env_steps >= total || signal)) {
      save(ctx.checkpoint_path(), iteration);
    }
    keep_reached(env_steps, iteration);
    if (signal && env_steps < total) ctx.stop_interrupted(signal, env_steps);
  }
}

json OnPolicyAlgorithm::update(const agents::TrajectoryBatch& batch, int64_t iteration) {
  UpdateEpochs how{
      base_, name_, divergence_knob(),
      [this](const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
             const torch::Tensor& advantages) { return policy_loss(ev, mb, advantages); },
      [this](const json& epoch_stats) { return stop_after_epoch(epoch_stats); }};
  return update_epochs(*policy_, *optimizer_, flat_->flat(), batch, iteration, how);
}

}  // namespace tandem::algorithms
