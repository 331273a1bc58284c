#include "agents/fused_actor_critic.h"

#include <torch/torch.h>

#include <cmath>

#include "envs/error.h"

namespace tandem::agents {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log √(2π)

// The MLP's output for x [N, in]; `hidden` receives each tanh layer's output (backward needs them).
torch::Tensor mlp_forward(const torch::Tensor& x, at::TensorList params,
                          std::vector<torch::Tensor>* hidden) {
  torch::Tensor h = x;
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    h = at::addmm(params[2 * l + 1], h, params[2 * l].t());
    if (l + 1 < layers) {
      h.tanh_();
      if (hidden) hidden->push_back(h);
    }
  }
  return h;
}

// Gradients of the MLP's parameters for d_out = ∂L/∂output [N, out], written into grads[first..].
void mlp_backward(torch::Tensor d_out, const torch::Tensor& x, at::TensorList params,
                  const std::vector<torch::Tensor>& hidden, variable_list& grads, size_t first) {
  const size_t layers = params.size() / 2;
  for (size_t l = layers; l-- > 0;) {
    const torch::Tensor& input = l == 0 ? x : hidden[l - 1];
    grads[first + 2 * l] = d_out.t().mm(input);  // ∂L/∂W = d_outᵀ · input
    grads[first + 2 * l + 1] = d_out.sum(0);     // ∂L/∂b
    if (l > 0) d_out = at::tanh_backward(d_out.mm(params[2 * l]), hidden[l - 1]);
  }
}

// inputs: obs, actions, log_std, then the actor's parameters (2 × actor_layers), then the
// critic's. Outputs: log_prob [N], value [N].
struct LogProbAndValue : torch::autograd::Function<LogProbAndValue> {
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs, int64_t actor_size) {
    const torch::Tensor &obs = inputs[0], &actions = inputs[1], &log_std = inputs[2];
    const at::TensorList actor = inputs.slice(3, actor_size);
    const at::TensorList critic = inputs.slice(3 + actor_size);
    std::vector<torch::Tensor> actor_hidden, critic_hidden;
    const torch::Tensor mean = mlp_forward(obs, actor, &actor_hidden);
    const torch::Tensor inv_std = log_std.neg().exp();
    const torch::Tensor z = (actions - mean).mul_(inv_std);
    // Σ_j (−½ z_j² − log σ_j − log √(2π))
    const torch::Tensor log_prob =
        z.square().sum(-1).mul_(-0.5).sub_(log_std.sum() + kLogSqrt2Pi * log_std.numel());
    const torch::Tensor value = mlp_forward(obs, critic, &critic_hidden).squeeze(-1);

    ctx->set_materialize_grads(false);  // an unused output's gradient stays undefined: skipped
    ctx->saved_data["actor_size"] = actor_size;
    ctx->saved_data["inputs"] = inputs.vec();
    ctx->saved_data["actor_hidden"] = actor_hidden;
    ctx->saved_data["critic_hidden"] = critic_hidden;
    ctx->saved_data["z"] = z;
    ctx->saved_data["inv_std"] = inv_std;
    return {log_prob, value};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const int64_t actor_size = ctx->saved_data["actor_size"].toInt();
    const std::vector<torch::Tensor> inputs = ctx->saved_data["inputs"].toTensorVector();
    const at::TensorList all(inputs);
    const torch::Tensor& obs = inputs[0];
    variable_list grads(inputs.size() + 1);  // + the non-tensor actor_size
    const torch::Tensor &g_log_prob = grad_outputs[0], &g_value = grad_outputs[1];
    if (g_log_prob.defined()) {
      const torch::Tensor z = ctx->saved_data["z"].toTensor();
      const torch::Tensor inv_std = ctx->saved_data["inv_std"].toTensor();
      const torch::Tensor gz = g_log_prob.unsqueeze(-1) * z;  // [N, A]
      // ∂log π/∂log σ_j = z_j² − 1;  ∂log π/∂μ_j = z_j / σ_j
      grads[2] = (gz * z).sum(0).sub_(g_log_prob.sum());
      mlp_backward(gz.mul_(inv_std), obs, all.slice(3, actor_size),
                   ctx->saved_data["actor_hidden"].toTensorVector(), grads, 3);
    }
    if (g_value.defined()) {
      mlp_backward(g_value.unsqueeze(-1), obs, all.slice(3 + actor_size),
                   ctx->saved_data["critic_hidden"].toTensorVector(), grads, 3 + actor_size);
    }
    return grads;
  }
};

// y[o] = b[o] + Σ_i W[o, i] x[i] over a contiguous row, with eight partial sums so the compiler
// can vectorize without reordering one long chain of float additions
void affine(const float* w, const float* b, const float* x, int64_t in, int64_t out, float* y) {
  for (int64_t o = 0; o < out; ++o) {
    const float* row = w + o * in;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= in; i += 8)
      for (int k = 0; k < 8; ++k) acc[k] += row[i + k] * x[i + k];
    float sum = b[o];
    for (; i < in; ++i) sum += row[i] * x[i];
    y[o] = sum + ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  }
}

std::vector<float> mlp_one(const float* obs, const MlpParameters& params) {
  std::vector<float> x(obs, obs + params.front().size(1)), y;
  const size_t layers = params.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    const torch::Tensor &w = params[2 * l], &b = params[2 * l + 1];
    TANDEM_CHECK(w.is_contiguous() && w.scalar_type() == torch::kFloat32,
                 "act_one needs contiguous float weights");
    y.resize(w.size(0));
    affine(w.data_ptr<float>(), b.data_ptr<float>(), x.data(), w.size(1), w.size(0), y.data());
    if (l + 1 < layers)
      for (float& v : y) v = std::tanh(v);
    x.swap(y);
  }
  return x;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> log_prob_and_value(const torch::Tensor& obs,
                                                           const torch::Tensor& actions,
                                                           const MlpParameters& actor,
                                                           const torch::Tensor& log_std,
                                                           const MlpParameters& critic) {
  TANDEM_CHECK(!obs.requires_grad() && !actions.requires_grad(),
               "log_prob_and_value differentiates the parameters only");
  std::vector<torch::Tensor> inputs;
  inputs.reserve(3 + actor.size() + critic.size());
  inputs.push_back(obs);
  inputs.push_back(actions);
  inputs.push_back(log_std);
  inputs.insert(inputs.end(), actor.begin(), actor.end());
  inputs.insert(inputs.end(), critic.begin(), critic.end());
  variable_list out =
      LogProbAndValue::apply(at::TensorList(inputs), static_cast<int64_t>(actor.size()));
  return {out[0], out[1]};
}

ActOne act_one(const float* obs, const MlpParameters& actor, const MlpParameters& critic) {
  ActOne r;
  r.mean = mlp_one(obs, actor);
  r.value = mlp_one(obs, critic)[0];
  return r;
}

}  // namespace tandem::agents
