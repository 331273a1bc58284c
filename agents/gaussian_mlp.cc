#include "agents/gaussian_mlp.h"

#include <cmath>
#include <sstream>

#include <torch/torch.h>

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
  ActResult r;
  torch::Tensor mean = actor_->forward(obs);  // [N, A]
  r.action = deterministic ? mean : mean + torch::exp(log_std_) * torch::randn_like(mean);
  r.log_prob = log_prob(mean, r.action);             // [N]
  r.value = critic_->forward(obs).squeeze(-1);       // [N]
  return r;
}

torch::Tensor GaussianMlpImpl::value(const torch::Tensor& obs, const PolicyState& state) {
  return critic_->forward(obs).squeeze(-1);
}

EvaluateResult GaussianMlpImpl::evaluate(const TrajectoryBatch& batch) {
  EvaluateResult r;
  torch::Tensor mean = actor_->forward(batch.obs);                  // [B, T, A]
  r.log_prob = log_prob(mean, batch.actions);                       // [B, T]
  // entropy of a diagonal Gaussian: Σ (log σ + ½ log 2πe), the same at every step
  torch::Tensor entropy = (log_std_ + kLogSqrt2Pi + 0.5).sum();
  r.entropy = entropy.expand({batch.size(), batch.horizon()});
  r.value = critic_->forward(batch.obs).squeeze(-1);                // [B, T]
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
  os << "gaussian_mlp(obs " << obs_dim_ << ", act " << act_dim_ << ", hidden " << json(config_.hidden).dump()
    
     << ", normalize_obs " << (config_.normalize_obs ? "on" : "off") << ")";
  return os.str();
}

}  // namespace tandem::agents
