// A learner that diverged stops with a diagnosis — which quantity, where, the likely knob — instead
// of finishing with rc 0 and nonsense (or `null`) in its metrics. Every gradient step goes through
// checked_gradient_norm; every metrics line through check_metrics_finite (RunContext::report).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "envs/config.h"

namespace at {
class Tensor;
}

namespace tandem::algorithms {

// Throws tandem::Error when `value` is NaN or infinite: "LEARNER: QUANTITY is VALUE at WHERE; the
// run diverged: KNOB".
void check_finite(double value, const std::string& learner, const std::string& quantity,
                  const std::string& where, const std::string& knob);

// The loss, then the gradients' total norm after backward(): both must be finite. Clips the
// gradients to max_norm when max_norm > 0. Returns the norm before clipping. In a data-parallel
// run (algorithms/data_parallel.h) it first averages the gradients and the loss over the ranks.
double checked_gradient_norm(const std::vector<at::Tensor>& parameters, double max_norm,
                             double loss, const std::string& learner, const std::string& where,
                             const std::string& knob);

// Every number of a metrics line must be finite (JSON has no NaN: it would be written as `null`).
void check_metrics_finite(const json& line, int64_t env_steps);

}  // namespace tandem::algorithms
