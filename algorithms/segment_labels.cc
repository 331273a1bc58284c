#include "algorithms/segment_labels.h"

#include <torch/torch.h>

#include <cmath>

#include "algorithms/checkpoint.h"
#include "algorithms/expert.h"
#include "envs/error.h"

namespace tandem::algorithms {

torch::Tensor TeacherValue::value(const torch::Tensor& env_obs) const {
  torch::NoGradGuard no_grad;
  const torch::Tensor obs = critic->preprocess(env_obs, /*update=*/false);
  return critic->value(obs, critic->initial_state(env_obs.size(0))) * scale;
}

TeacherValue load_teacher_value(const std::string& dir, const envs::Env& env) {
  TeacherValue t;
  t.critic = load_run_policy(dir, env);
  const json config = read_json_file(dir + "/config.json");
  const json algorithm = config.value("algorithm", json::object());
  if (algorithm.value("name", std::string()) != "ppo")
    throw Error(dir + "/config.json: an advantage label needs a PPO run's critic, not " +
                algorithm.value("name", std::string("?")));
  t.gamma = algorithm.value("config", json::object()).value("gamma", 0.99);
  // the critic learned scaled rewards: its values times the scale's std are in reward units
  const json counters = load_checkpoint(dir + "/checkpoint.pt", *t.critic, nullptr, false);
  if (algorithm["config"].value("normalize_reward", true)) {
    if (!counters.contains("reward_scaler"))
      throw Error(dir + "/checkpoint.pt: no reward scale (\"reward_scaler\") beside the critic");
    t.scale = std::sqrt(counters["reward_scaler"].at("var").get<double>() + 1e-8);
  }
  return t;
}

double advantage_label(const std::vector<double>& rewards, double gamma, double start_value,
                       double end_value, bool terminated) {
  double sum = 0, discount = 1;
  for (double r : rewards) {
    sum += discount * r;
    discount *= gamma;
  }
  return sum + (terminated ? 0.0 : discount * end_value) - start_value;
}

void label_advantage(Episode& e, const ReplayTail& tail, const TeacherValue& teacher) {
  const int64_t obs_dim = e.env_obs.size(1);
  torch::Tensor ends = torch::stack(
      {e.env_obs[e.segment_begin],
       torch::from_blob(const_cast<float*>(tail.last_obs.data()), {obs_dim}, torch::kFloat32)});
  const torch::Tensor v = teacher.value(ends);  // [2]: V(s_0), V(s_L)
  e.score = advantage_label(tail.rewards, teacher.gamma, v[0].item<double>(), v[1].item<double>(),
                            tail.terminated);
}

}  // namespace tandem::algorithms
