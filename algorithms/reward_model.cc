#include "algorithms/reward_model.h"

#include <filesystem>

#include <torch/torch.h>

#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"
#include "algorithms/feedback.h"
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
    throw Error(run_dir + ": no reward_model.json / reward_model.pt (is it the folder of a "
                          "finished `reward_model` run?)");
  const json info = read_json_file(info_path);
  agents::TrajectoryReward reward = agents::make_trajectory_reward(
      policy, spec.observation_space.flat_size(), spec.action_space.flat_size(),
      info.value("mlp", json::object()), info_path, info.value("pooling", std::string("last")));
  torch::serialize::InputArchive archive;
  archive.load_from(weights);
  reward->load(archive);
  return reward;
}

namespace {

struct RewardModelConfig {
  PreferenceFeedbackConfig feedback;
  int64_t batch_size = 32;
  double learning_rate = 1e-4;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  std::vector<int64_t> hidden = {64, 64};
  std::string pooling = "last";

  template <class V>
  void visit(V& v) {
    feedback.visit(v);
    v.field("pooling", pooling, {"last", "mean"},
            "text: score the last token's hidden state, or the mean over all tokens");
    v.field("batch_size", batch_size, int64_t{1}, int64_t{65536}, "pairs per gradient step");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "AdamW step size");
    v.field("weight_decay", weight_decay, 0.0, 10.0, "AdamW weight decay");
    v.field("max_grad_norm", max_grad_norm, 0.0, 1e9, "global gradient-norm clip (0: off)");
    v.field("hidden", hidden, int64_t{1}, int64_t{65536}, "control: hidden widths of r(s, a)");
  }
};

struct PairScores {
  torch::Tensor chosen, rejected;  // [B]
};

PairScores score(agents::TrajectoryRewardImpl& reward, const std::vector<PreferencePair>& pairs,
                 const std::vector<int64_t>& rows) {
  std::vector<const Episode*> chosen, rejected;
  for (int64_t i : rows) {
    chosen.push_back(&pairs[i].chosen);
    rejected.push_back(&pairs[i].rejected);
  }
  agents::TrajectoryBatch c = episodes_batch(chosen, nullptr);
  agents::TrajectoryBatch r = episodes_batch(rejected, nullptr);
  return {c.masked_sum(reward.step_rewards(c)), r.masked_sum(reward.step_rewards(r))};
}

double accuracy(agents::TrajectoryRewardImpl& reward, const std::vector<PreferencePair>& pairs) {
  torch::NoGradGuard no_grad;
  int64_t right2 = 0;  // twice the number right
  for (size_t start = 0; start < pairs.size(); start += 64) {
    std::vector<int64_t> rows;
    for (size_t i = start; i < std::min(pairs.size(), start + 64); ++i) rows.push_back(i);
    PairScores s = score(reward, pairs, rows);
    // a tie (identical episodes score the same) is a coin flip, as in the ceiling
    right2 += 2 * (s.chosen > s.rejected).sum().item<int64_t>() +
              (s.chosen == s.rejected).sum().item<int64_t>();
  }
  return 0.5 * static_cast<double>(right2) / pairs.size();
}

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

    const json mlp = {{"hidden", config_.hidden}};
    reward_ = agents::make_trajectory_reward(*policy_, ctx.spec().observation_space.flat_size(),
                                             ctx.spec().action_space.flat_size(), mlp,
                                             "reward_model config", config_.pooling);
    torch::optim::AdamW optimizer(
        reward_->parameters(),
        torch::optim::AdamWOptions(config_.learning_rate).weight_decay(config_.weight_decay));

    const int64_t n = static_cast<int64_t>(pairs.size());
    json metrics = {{"rm/heldout_ceiling", ceiling},
                    {"rm/train_pairs", n},
                    {"rm/heldout_pairs", static_cast<int64_t>(heldout.size())},
                    {"rm/heldout_accuracy", accuracy(*reward_, heldout)}};
    ctx.report(0, metrics, *policy_);
    ItemBatches batches(n, config_.batch_size, ctx.options().total_steps,
                        ctx.options().eval_interval);
    double loss_sum = 0, right = 0, seen = 0;  // since the last report
    for (std::vector<int64_t> rows; batches.next(&rows);) {
      PairScores s = score(*reward_, pairs, rows);
      torch::Tensor loss = bradley_terry_loss(s.chosen, s.rejected);
      optimizer.zero_grad();
      loss.backward();
      if (config_.max_grad_norm > 0)
        torch::nn::utils::clip_grad_norm_(reward_->parameters(), config_.max_grad_norm);
      optimizer.step();
      loss_sum += loss.item<double>() * rows.size();
      right += (s.chosen > s.rejected).sum().item<double>();
      seen += rows.size();
      if (batches.report_due()) {
        metrics["rm/train_loss"] = loss_sum / seen;
        metrics["rm/train_accuracy"] = right / seen;
        metrics["rm/heldout_accuracy"] = accuracy(*reward_, heldout);
        metrics["rm/epoch"] = batches.epoch();
        ctx.report(batches.processed(), metrics, *policy_);
        loss_sum = right = seen = 0;
      }
    }
    final_accuracy_ = metrics["rm/heldout_accuracy"];
    if (!ctx.checkpoint_path().empty()) {
      const std::string dir = fs::path(ctx.checkpoint_path()).parent_path().string();
      torch::serialize::OutputArchive archive;
      reward_->save(archive);
      archive.save_to(dir + "/reward_model.pt.tmp");
      fs::rename(dir + "/reward_model.pt.tmp", dir + "/reward_model.pt");
      write_file_atomic(dir + "/reward_model.json",
                        json({{"mlp", mlp},
                              {"pooling", config_.pooling},
                              {"model", reward_->describe()},
                              {"heldout_accuracy", final_accuracy_},
                              {"heldout_ceiling", ceiling},
                              {"train_pairs", data.train_path},
                              {"heldout_pairs", data.heldout_path}})
                                .dump(2) + "\n");
      save_checkpoint(ctx.checkpoint_path(), *policy_, nullptr,
                      {{"algorithm", "reward_model"}, {"env_steps", batches.processed()}});
    }
  }

 private:
  RewardModelConfig config_;
  agents::Policy policy_;
  agents::TrajectoryReward reward_;
  double final_accuracy_ = 0;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("reward_model", RewardModelAlgorithm);

}  // namespace tandem::algorithms
