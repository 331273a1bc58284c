#include "agents/gaussian_mlp.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/DistributionsHelper.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

#include "agents/fused_actor_critic.h"

namespace tandem::agents {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log √(2π)

// hidden tanh layers with orthogonal(√2) init, output layer orthogonal(out_gain), zero biases
torch::nn::Sequential make_mlp(int64_t in, const std::vector<int64_t>& hidden, int64_t out,
                               double out_gain) {
  torch::nn::Sequential net;
  int64_t width = in;
  auto linear = [&](int64_t from, int64_t to, double gain) {
    torch::nn::Linear layer(from, to);
    torch::NoGradGuard no_grad;
    torch::nn::init::orthogonal_(layer->weight, gain);
    torch::nn::init::zeros_(layer->bias);
    return layer;
  };
  for (int64_t h : hidden) {
    net->push_back(linear(width, h, std::sqrt(2.0)));
    net->push_back(torch::nn::Tanh());
    width = h;
  }
  net->push_back(linear(width, out, out_gain));
  return net;
}

}  // namespace

GaussianMlpImpl::GaussianMlpImpl(int64_t obs_dim, int64_t act_dim, GaussianMlpConfig config)
    : obs_dim_(obs_dim), act_dim_(act_dim), config_(std::move(config)) {
  // small final actor gain: initial actions near zero; critic gain 1
  actor_ = register_module("actor", make_mlp(obs_dim, config_.hidden, act_dim, 0.01));
  critic_ = register_module("critic", make_mlp(obs_dim, config_.hidden, 1, 1.0));
  log_std_ = register_parameter("log_std", torch::full({act_dim}, config_.log_std_init));
  normalizer_ = register_module("normalizer", RunningNormalizer(obs_dim, config_.obs_clip));
  // the same tensors as the modules' parameters (loading or flattening them replaces their
  // storage, not the tensors), kept so the hot paths do not walk the module tree each call
  actor_params_ = actor_->parameters();
  critic_params_ = critic_->parameters();
}

torch::Tensor GaussianMlpImpl::preprocess(const torch::Tensor& raw_obs, bool update) {
  if (!config_.normalize_obs) return raw_obs.to(torch::kFloat32);
  if (update) normalizer_->update(raw_obs.reshape({-1, obs_dim_}));
  return normalizer_->normalize(raw_obs);
}

torch::Tensor GaussianMlpImpl::log_prob(const torch::Tensor& mean,
                                        const torch::Tensor& actions) const {
  torch::Tensor z = (actions - mean) * torch::exp(-log_std_);
  return (-0.5 * z * z - log_std_ - kLogSqrt2Pi).sum(-1);
}

ActResult GaussianMlpImpl::act(const torch::Tensor& obs, const PolicyState& state,
                               bool deterministic) {
  torch::NoGradGuard no_grad;
  if (obs.size(0) == 1 && obs.scalar_type() == torch::kFloat32 && obs.is_contiguous())
    return act_single(obs, deterministic);
  ActResult r;
  torch::Tensor mean = actor_->forward(obs);  // [N, A]
  r.action = deterministic ? mean : mean + torch::exp(log_std_) * torch::randn_like(mean);
  r.log_prob = log_prob(mean, r.action);        // [N]
  r.value = critic_->forward(obs).squeeze(-1);  // [N]
  return r;
}

// One env's step (the rollout's usual batch): the same numbers as the batched path, by plain
// loops, and the noise drawn from torch's generator exactly as randn_like draws it for a tensor
// this small (one normal_distribution<double> sample per element), so the random stream is the
// same.
ActResult GaussianMlpImpl::act_single(const torch::Tensor& obs, bool deterministic) {
  const ActOne one = act_one(obs.data_ptr<float>(), actor_params_, critic_params_);
  ActResult r;
  r.action = torch::empty({1, act_dim_});
  r.log_prob = torch::empty({1});
  r.value = torch::full({1}, one.value);
  float* action = r.action.data_ptr<float>();
  const float* log_std = log_std_.data_ptr<float>();
  std::vector<float> noise(act_dim_, 0.0f);
  if (!deterministic) {
    auto* generator = at::get_generator_or_default<at::CPUGeneratorImpl>(
        c10::nullopt, at::detail::getDefaultCPUGenerator());
    std::lock_guard<std::mutex> lock(generator->mutex_);
    for (float& n : noise)
      n = static_cast<float>(at::normal_distribution<double>(0.0, 1.0)(generator));
  }
  float sum = 0;
  for (int64_t j = 0; j < act_dim_; ++j) {
    const float std = std::exp(log_std[j]);
    action[j] = one.mean[j] + std * noise[j];
    const float z = (action[j] - one.mean[j]) * std::exp(-log_std[j]);
    sum += -0.5f * z * z - log_std[j] - static_cast<float>(kLogSqrt2Pi);
  }
  r.log_prob.data_ptr<float>()[0] = sum;
  return r;
}

torch::Tensor GaussianMlpImpl::value(const torch::Tensor& obs, const PolicyState& state) {
  return critic_->forward(obs).squeeze(-1);
}

EvaluateResult GaussianMlpImpl::evaluate(const TrajectoryBatch& batch) {
  EvaluateResult r;
  const int64_t rows = batch.size(), steps = batch.horizon();
  // actor, Gaussian log-density and critic as one autograd node (fused_actor_critic.h)
  auto [log_prob, value] =
      log_prob_and_value(batch.obs.reshape({-1, obs_dim_}), batch.actions.reshape({-1, act_dim_}),
                         actor_params_, log_std_, critic_params_);
  r.log_prob = log_prob.view({rows, steps});
  r.value = value.view({rows, steps});
  // entropy of a diagonal Gaussian: Σ (log σ + ½ log 2πe), the same at every step
  torch::Tensor entropy = (log_std_ + kLogSqrt2Pi + 0.5).sum();
  r.entropy = entropy.expand({rows, steps});
  return r;
}

std::shared_ptr<PolicyImpl> GaussianMlpImpl::clone_policy() const {
  auto copy = std::make_shared<GaussianMlpImpl>(obs_dim_, act_dim_, config_);
  copy_policy_state(*this, *copy);
  return copy;
}

std::vector<torch::Tensor> GaussianMlpImpl::actor_parameters() const {
  std::vector<torch::Tensor> p = actor_->parameters();
  p.push_back(log_std_);
  return p;
}

std::vector<torch::Tensor> GaussianMlpImpl::critic_parameters() const {
  return critic_->parameters();
}

std::string GaussianMlpImpl::describe() const {
  std::ostringstream os;
  os << "gaussian_mlp(obs " << obs_dim_ << ", act " << act_dim_ << ", hidden "
     << json(config_.hidden).dump() << ", normalize_obs " << (config_.normalize_obs ? "on" : "off")
     << ")";
  return os.str();
}

}  // namespace tandem::agents
