#include "algorithms/divergence.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "algorithms/data_parallel.h"
#include "envs/error.h"

namespace tandem::algorithms {

void check_finite(double value, const std::string& learner, const std::string& quantity,
                  const std::string& where, const std::string& knob) {
  if (std::isfinite(value)) return;
  char number[32];
  std::snprintf(number, sizeof(number), "%g", value);
  throw Error(learner + ": " + quantity + " is " + number + " at " + where +
              "; the run diverged: " + knob);
}

double checked_gradient_norm(const std::vector<at::Tensor>& parameters, double max_norm,
                             double loss, const std::string& learner, const std::string& where,
                             const std::string& knob) {
  // data-parallel: the gradients become the mean over the ranks before the clip, and the loss
  // checked is the mean too, so every rank takes the same step or stops with the same diagnosis
  if (DataParallel* dp = data_parallel()) dp->average_gradients(parameters, &loss);
  check_finite(loss, learner, "the loss", where, knob);
  // an infinite max_norm measures without clipping (the clip coefficient stays above 1)
  const double norm = torch::nn::utils::clip_grad_norm_(
      parameters, max_norm > 0 ? max_norm : std::numeric_limits<double>::infinity());
  check_finite(norm, learner, "the gradient norm", where, knob);
  return norm;
}

void check_metrics_finite(const json& line, int64_t env_steps) {
  for (auto it = line.begin(); it != line.end(); ++it) {
    if (!it->is_number_float() || std::isfinite(it->get<double>())) continue;
    std::string knob = "lower learning_rate";
    if (it.key().rfind("eval/kl", 0) == 0)
      knob += " or anchor the policy more (kl_coef; APA: a smaller adv_coeff)";
    else if (it.key().rfind("losses/", 0) == 0 || it.key().find("loss") != std::string::npos)
      knob += " or clip the gradients (max_grad_norm)";
    check_finite(it->get<double>(), "metrics", "`" + it.key() + "`",
                 "env step " + std::to_string(env_steps), knob);
  }
}

}  // namespace tandem::algorithms
