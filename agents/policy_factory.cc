#include "agents/policy_factory.h"

#include "agents/gaussian_mlp.h"
#include "envs/error.h"

namespace tandem::agents {

Policy make_policy(const envs::EnvSpec& spec, const json& config, const std::string& where) {
  if (spec.action_space.is_box() && spec.observation_space.is_box()) {
    return std::make_shared<GaussianMlpImpl>(spec.observation_space.flat_size(),
                                             spec.action_space.flat_size(),
                                             config_from_json<GaussianMlpConfig>(config, where));
  }
  throw Error(where + ": no policy for env " + spec.id + " with observations " +
              spec.observation_space.describe() + " and actions " + spec.action_space.describe());
}

}  // namespace tandem::agents
