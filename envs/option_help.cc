#include "envs/option_help.h"

#include <map>

namespace tandem::envs {

std::string option_help(const std::string& key) {
  static const std::map<std::string, std::string> help = {
      {"forward_reward_weight", "weight of the forward-velocity reward"},
      {"ctrl_cost_weight", "weight of the control cost, sum of squared actions"},
      {"contact_cost_weight", "weight of the contact cost, sum of squared contact forces"},
      {"contact_cost_max", "the contact cost is clipped to this (Humanoid)"},
      {"contact_force_range", "contact forces are clipped to [low, high] (Ant)"},
      {"healthy_reward", "reward for every step while healthy"},
      {"terminate_when_unhealthy", "end the episode (terminated) once unhealthy"},
      {"healthy_z_range", "healthy while the torso's height is inside [low, high]"},
      {"healthy_angle_range", "healthy while the torso's angle is inside [low, high]"},
      {"healthy_state_range", "healthy while every other position and velocity is inside it"},
      {"reset_noise_scale", "scale of the uniform (or normal) noise added at reset"},
      {"exclude_current_positions_from_observation",
       "leave the root's x (and y) position out of the observation"},
      {"include_cfrc_ext_in_observation", "external contact forces in the observation"},
      {"include_cinert_in_observation", "bodies' inertias in the observation"},
      {"include_cvel_in_observation", "bodies' velocities in the observation"},
      {"include_qfrc_actuator_in_observation", "actuator forces in the observation"},
      {"main_body", "body whose x velocity is the forward reward (index)"},
      {"reward_dist_weight", "weight of the fingertip-to-target distance"},
      {"reward_control_weight", "weight of the control cost"},
      {"frame_skip", "simulator steps per env step"},
      {"max_episode_steps", "time limit: the episode is truncated after this many steps"},
      {"xml", "the MJCF model file"},
      {"reward", "forward: x velocity of `body` minus the control cost; zero: no reward"},
      {"body", "body whose x velocity is rewarded (default: the first after the world)"},
      {"max_new_tokens", "completion length limit in tokens (the episode's steps)"},
      {"max_prompt_tokens", "prompts are cut to this many tokens"},
      {"vocab_size", "the tokenizer's vocabulary size (trained and cached on first use)"},
  };
  auto it = help.find(key);
  return it == help.end() ? std::string() : it->second;
}

}  // namespace tandem::envs
