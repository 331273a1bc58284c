#include "envs/vector_env.h"

#include <cstring>

#include "envs/byte_stream.h"
#include "envs/error.h"

namespace tandem::envs {

VectorEnv::VectorEnv(const Factory& make, int64_t num_envs, int threads, bool auto_reset)
    : pool_(static_cast<int>(std::min<int64_t>(threads, num_envs))), auto_reset_(auto_reset) {
  if (num_envs < 1)
    throw Error("a VectorEnv needs at least one env, got " + std::to_string(num_envs));
  for (int64_t i = 0; i < num_envs; ++i) envs_.push_back(make());
  returns_.assign(num_envs, 0.0);
  lengths_.assign(num_envs, 0);
  running_.assign(num_envs, 1);  // Env::step itself refuses a step before reset()
}

torch::Tensor VectorEnv::reset(uint64_t seed) {
  const int64_t n = num_envs(), dim = spec().observation_space.flat_size();
  torch::Tensor obs = torch::empty({n, dim}, torch::kFloat32);
  float* out = obs.data_ptr<float>();
  pool_.parallel_for(n, [&](int64_t i) {
    std::vector<float> o = envs_[i]->reset(seed + static_cast<uint64_t>(i));
    std::memcpy(out + i * dim, o.data(), dim * sizeof(float));
  });
  std::fill(returns_.begin(), returns_.end(), 0.0);
  std::fill(lengths_.begin(), lengths_.end(), 0);
  std::fill(running_.begin(), running_.end(), 1);
  return obs;
}

VectorStep VectorEnv::step(const torch::Tensor& actions) {
  const int64_t n = num_envs(), dim = spec().observation_space.flat_size();
  const int64_t act_dim = spec().action_space.flat_size();
  torch::Tensor act = actions.to(torch::kFloat32).contiguous();
  TANDEM_CHECK(act.dim() == 2 && act.size(0) == n && act.size(1) == act_dim,
               "actions must be [num_envs, act_dim]");
  VectorStep s;
  s.obs = torch::zeros({n, dim}, torch::kFloat32);
  s.final_obs = torch::zeros({n, dim}, torch::kFloat32);
  s.reward = torch::zeros({n}, torch::kFloat32);
  s.terminated = torch::zeros({n}, torch::kBool);
  s.truncated = torch::zeros({n}, torch::kBool);
  const float* a = act.data_ptr<float>();
  float* obs = s.obs.data_ptr<float>();
  float* final_obs = s.final_obs.data_ptr<float>();
  float* reward = s.reward.data_ptr<float>();
  bool* terminated = s.terminated.data_ptr<bool>();
  bool* truncated = s.truncated.data_ptr<bool>();
  std::vector<char> ended(n, 0);

  pool_.parallel_for(n, [&](int64_t i) {
    if (!running_[i]) return;
    StepResult r = envs_[i]->step(std::vector<float>(a + i * act_dim, a + (i + 1) * act_dim));
    reward[i] = static_cast<float>(r.reward);
    terminated[i] = r.terminated;
    truncated[i] = r.truncated;
    returns_[i] += r.reward;
    lengths_[i] += 1;
    if (r.terminated || r.truncated) {
      ended[i] = 1;
      std::memcpy(final_obs + i * dim, r.obs.data(), dim * sizeof(float));
      if (auto_reset_) {
        r.obs = envs_[i]->reset();
      } else {
        running_[i] = 0;
      }
    }
    std::memcpy(obs + i * dim, r.obs.data(), dim * sizeof(float));
  });

  for (int64_t i = 0; i < n; ++i) {
    if (!ended[i]) continue;
    s.finished.push_back({i, returns_[i], lengths_[i], static_cast<bool>(truncated[i])});
    returns_[i] = 0;
    lengths_[i] = 0;
  }
  return s;
}

std::string VectorEnv::save_state() const {
  ByteWriter out;
  out.pod(num_envs());
  for (int64_t i = 0; i < num_envs(); ++i) {
    out.text(envs_[i]->save_state());
    out.pod(returns_[i]);
    out.pod(lengths_[i]);
    out.pod(running_[i]);
  }
  return out.str();
}

void VectorEnv::load_state(const std::string& state) {
  ByteReader in(state, spec().id + " (vector env)");
  const int64_t n = in.pod<int64_t>();
  if (n != num_envs())
    throw Error(spec().id + ": the saved state has " + std::to_string(n) + " envs, this run " +
                std::to_string(num_envs()) + " (num_envs changed?)");
  for (int64_t i = 0; i < n; ++i) {
    envs_[i]->load_state(in.text());
    returns_[i] = in.pod<double>();
    lengths_[i] = in.pod<int64_t>();
    running_[i] = in.pod<char>();
  }
}

}  // namespace tandem::envs
