#include "algorithms/reward_model.h"

#include <torch/torch.h>

#include <filesystem>

#include "agents/archive_file.h"
#include "agents/module_load.h"
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/data_parallel.h"
#include "algorithms/divergence.h"
#include "algorithms/feedback.h"
#include "algorithms/offline_checkpoint.h"
#include "algorithms/preference_losses.h"
#include "envs/error.h"

namespace tandem::algorithms {
namespace fs = std::filesystem;

void LearnedRewardSource::relabel(agents::TrajectoryBatch& batch) {
  torch::NoGradGuard no_grad;
  batch.rewards = reward_->step_rewards(batch) * batch.mask;
}

agents::TrajectoryReward load_reward_model(const std::string& run_dir,
                                           const agents::PolicyImpl& policy,
                                           const envs::EnvSpec& spec) {
  const std::string info_path = run_dir + "/reward_model.json";
  const std::string weights = run_dir + "/reward_model.pt";
  if (!fs::exists(info_path) || !fs::exists(weights))
    throw Error(run_dir +
                ": no reward_model.json / reward_model.pt (is it the folder of a "
                "finished `reward_model` run?)");
  // read as a config, so a field of the wrong type (or a file that is not an object) is an error
  // naming the file and the field
  ConfigReader info(read_json_file(info_path), info_path);
  const json mlp = info.object("mlp");
  const std::string pooling = info.text("pooling", "last");
  agents::TrajectoryReward reward =
      agents::make_trajectory_reward(policy, spec.observation_space.flat_size(),
                                     spec.action_space.flat_size(), mlp, info_path, pooling);
  load_reward_model_weights(weights, reward);
  return reward;
}

agents::TrajectoryReward make_reward_model(const agents::PolicyImpl& policy,
                                           const envs::EnvSpec& spec,
                                           const RewardTrainingSettings& settings) {
  return agents::make_trajectory_reward(
      policy, spec.observation_space.flat_size(), spec.action_space.flat_size(),
      json({{"hidden", settings.hidden}}), "reward model", settings.pooling);
}

void save_reward_model_weights(const std::string& path, const agents::TrajectoryReward& reward) {
  torch::serialize::OutputArchive archive;
  reward->save(archive);
  agents::save_archive_atomic(archive, path);
}

void load_reward_model_weights(const std::string& path, const agents::TrajectoryReward& reward) {
  if (!fs::exists(path)) throw Error(path + ": no reward model weights");
  torch::serialize::InputArchive archive;
  agents::load_archive(archive, path, "");
  agents::load_module_checked(*reward, archive, path, "");
}

void save_reward_model(const std::string& dir, const agents::TrajectoryReward& reward,
                       const RewardTrainingSettings& settings, json info) {
  save_reward_model_weights(dir + "/reward_model.pt", reward);
  info["mlp"] = {{"hidden", settings.hidden}};
  info["pooling"] = settings.pooling;
  info["model"] = reward->describe();
  write_file_atomic(dir + "/reward_model.json", info.dump(2) + "\n");
}

namespace {

struct PairScores {
  torch::Tensor chosen, rejected;  // [B]
};

PairScores score(agents::TrajectoryRewardImpl& reward,
                 const std::vector<const PreferencePair*>& pairs,
                 const std::vector<int64_t>& rows) {
  std::vector<const Episode*> chosen, rejected;
  for (int64_t i : rows) {
    chosen.push_back(&pairs[i]->chosen);
    rejected.push_back(&pairs[i]->rejected);
  }
  agents::TrajectoryBatch c = episodes_batch(chosen, nullptr);
  agents::TrajectoryBatch r = episodes_batch(rejected, nullptr);
  return {c.masked_sum(reward.step_rewards(c)), r.masked_sum(reward.step_rewards(r))};
}

}  // namespace

RewardTrainer::RewardTrainer(agents::TrajectoryReward reward,
                             const RewardTrainingSettings& settings)
    : reward_(std::move(reward)), settings_(settings) {
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      reward_->parameters(),
      torch::optim::AdamWOptions(settings_.learning_rate).weight_decay(settings_.weight_decay));
}

void RewardTrainer::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive weights, optimizer;
  reward_->save(weights);
  optimizer_->save(optimizer);
  archive.write("reward", weights);
  archive.write("reward_optimizer", optimizer);
}

void RewardTrainer::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive weights, optimizer;
  archive.read("reward", weights);
  archive.read("reward_optimizer", optimizer);
  reward_->load(weights);
  optimizer_->load(optimizer);
}

RewardTrainer::Step RewardTrainer::step(const std::vector<const PreferencePair*>& pairs,
                                        const std::vector<int64_t>& rows,
                                        const torch::Tensor& demonstration,
                                        const SourceWeights& weights) {
  // data-parallel: this rank scores its share of the minibatch (data_parallel.h)
  double scale = 1;
  std::vector<int64_t> mine = rows;
  torch::Tensor demonstration_mine = demonstration;
  if (data_parallel()) {
    const std::vector<int64_t> at = local_positions(static_cast<int64_t>(rows.size()), &scale);
    mine.clear();
    for (int64_t k : at) mine.push_back(rows[k]);
    if (demonstration.defined())
      demonstration_mine = demonstration.index_select(0, torch::tensor(at, torch::kLong));
  }
  PairScores s = score(*reward_, pairs, mine);
  torch::Tensor loss = bradley_terry_loss(s.chosen, s.rejected, demonstration_mine, weights);
  if (scale != 1) loss = loss * scale;
  optimizer_->zero_grad();
  loss.backward();
  checked_gradient_norm(reward_->parameters(), settings_.max_grad_norm, loss.item<double>(),
                        "reward model", "step " + std::to_string(++steps_),
                        "lower learning_rate or clip the gradients (max_grad_norm)");
  optimizer_->step();
  int64_t right = scale == 0 ? 0 : (s.chosen > s.rejected).sum().item<int64_t>();
  if (DataParallel* dp = data_parallel()) right = dp->sum(right);  // over the whole minibatch
  return {loss.item<double>() / (scale == 0 ? 1 : scale), right};
}

double RewardTrainer::accuracy(const std::vector<PreferencePair>& pairs) {
  if (pairs.empty()) return 0;
  torch::NoGradGuard no_grad;
  std::vector<const PreferencePair*> all;
  for (const auto& p : pairs) all.push_back(&p);
  int64_t right2 = 0;  // twice the number right
  for (size_t start = 0; start < all.size(); start += 64) {
    std::vector<int64_t> rows;
    for (size_t i = start; i < std::min(all.size(), start + 64); ++i) rows.push_back(i);
    PairScores s = score(*reward_, all, rows);
    // a tie (identical episodes score the same) is a coin flip, as in the ceiling
    right2 += 2 * (s.chosen > s.rejected).sum().item<int64_t>() +
              (s.chosen == s.rejected).sum().item<int64_t>();
  }
  return 0.5 * static_cast<double>(right2) / all.size();
}

namespace {

struct RewardModelConfig {
  PreferenceFeedbackConfig feedback;
  RewardTrainingSettings training;
  OfflineSchedule schedule;

  template <class V>
  void visit(V& v) {
    feedback.visit(v);
    training.visit(v, /*prefixed=*/false);
    schedule.visit(v);
  }
};

class RewardModelAlgorithm : public Algorithm {
 public:
  RewardModelAlgorithm(const json& config, const std::string& where)
      : config_(config_from_json<RewardModelConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    const bool progress = ctx.options().progress;
    auto make_env = [&ctx] { return ctx.make_env(); };
    const PreferenceData data =
        preference_data(ctx.options().env_id, ctx.options().env_options, ctx.options().policy,
                        *policy_, make_env, config_.feedback, progress);
    const auto& pairs = data.train;
    const auto& heldout = data.heldout;
    const double ceiling = data.heldout_ceiling;

    RewardTrainer trainer(make_reward_model(*policy_, ctx.spec(), config_.training),
                          config_.training);
    std::vector<const PreferencePair*> train_pairs;
    for (const auto& p : pairs) train_pairs.push_back(&p);

    const int64_t n = static_cast<int64_t>(pairs.size());
    json metrics = {{"rm/heldout_ceiling", ceiling},
                    {"rm/train_pairs", n},
                    {"rm/heldout_pairs", static_cast<int64_t>(heldout.size())}};
    ItemBatches batches(n, config_.training.batch_size, ctx.options().total_steps,
                        ctx.options().eval_interval);
    double loss_sum = 0, right = 0, seen = 0;  // since the last report
    // the policy is not trained: the reward and its optimizer are the checkpoint's extra state
    OfflineCheckpoints checkpoints(ctx, "reward_model", *policy_, nullptr, config_.schedule);
    checkpoints.set_extra([&](torch::serialize::OutputArchive& a) { trainer.save(a); },
                          [&](torch::serialize::InputArchive& a) { trainer.load(a); });
    auto place = [&] {
      return json{{"batches", batches.state()}, {"sums", {loss_sum, right, seen}}};
    };
    if (const std::optional<json> p = checkpoints.resume()) {
      batches.restore(p->at("batches"));
      loss_sum = p->at("sums")[0].get<double>();
      right = p->at("sums")[1].get<double>();
      seen = p->at("sums")[2].get<double>();
    } else {
      metrics["rm/heldout_accuracy"] = trainer.accuracy(heldout);
      checkpoints.should_stop(metrics["rm/heldout_accuracy"].get<double>(), &metrics);
      ctx.report(0, metrics, *policy_);
    }
    for (std::vector<int64_t> rows; !checkpoints.stopped() && batches.next(&rows);) {
      const RewardTrainer::Step step = trainer.step(train_pairs, rows);
      ctx.add_gradient_steps(1);
      loss_sum += step.loss * rows.size();
      right += step.right;
      seen += rows.size();
      const bool reported = batches.report_due();
      if (reported) {
        metrics["rm/train_loss"] = loss_sum / seen;
        metrics["rm/train_accuracy"] = right / seen;
        metrics["rm/heldout_accuracy"] = trainer.accuracy(heldout);
        metrics["rm/epoch"] = batches.epoch();
        checkpoints.should_stop(metrics["rm/heldout_accuracy"].get<double>(), &metrics);
        ctx.report(batches.processed(), metrics, *policy_);
        loss_sum = right = seen = 0;
      }
      checkpoints.after_step(reported, batches.processed(), place);
    }
    if (!ctx.checkpoint_path().empty() && !RunContext::secondary_rank()) {
      const std::string dir = fs::path(ctx.checkpoint_path()).parent_path().string();
      save_reward_model(dir, trainer.reward(), config_.training,
                        {{"heldout_accuracy", trainer.accuracy(heldout)},
                         {"heldout_ceiling", ceiling},
                         {"train_pairs", data.train_path},
                         {"heldout_pairs", data.heldout_path}});
    }
    checkpoints.finish(batches.processed(), place());
  }

 private:
  RewardModelConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("reward_model", RewardModelAlgorithm);

}  // namespace tandem::algorithms
