// Base of every MuJoCo env: owns the model and data (RAII), steps the simulation `frame_skip`
// times per env step, and gives subclasses the reset-noise and state helpers Gymnasium's
// MujocoEnv has. A subclass is one .cc file: its constructor reads options, and it implements
// reset_model() (noise on the initial state), observation() and step_impl().
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

#include "envs/config.h"
#include "envs/env.h"

namespace tandem::envs {

struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Loads an MJCF file, throwing tandem::Error with the file name and MuJoCo's message.
MjModelPtr load_mujoco_model(const std::string& path);
// Path of a model shipped in envs/mujoco/assets/ (TANDEM_ASSET_DIR in the environment overrides).
std::string mujoco_asset_path(const std::string& file);
// Installs MuJoCo's error/warning handlers once per process; warnings are counted (see below)
// instead of printed, so tests can turn them into failures.
void install_mujoco_handlers();
// Number of MuJoCo warnings raised in this process so far, and the last message.
int mujoco_warning_count();
std::string last_mujoco_warning();

class MujocoEnv : public Env {
 public:
  const mjModel* model() const { return model_.get(); }
  const mjData* data() const { return data_.get(); }
  int frame_skip() const { return frame_skip_; }
  // Seconds of simulated time per env step: frame_skip x the model's timestep.
  double dt() const { return model_->opt.timestep * frame_skip_; }

 protected:
  // `needs_post_constraint`: also run mj_rnePostConstraint after stepping, as Gymnasium does,
  // for envs that read cfrc_ext / cacc / cvel-derived contact forces.
  MujocoEnv(EnvSpec spec, const std::string& xml_path, int frame_skip,
            bool needs_post_constraint = false);

  mjData* mutable_data() { return data_.get(); }

  // Subclass hooks.
  virtual void reset_model() = 0;  // set the initial state (with noise)
  virtual std::vector<float> observation() const = 0;

  // ctrl <- action, then frame_skip mj_step calls.
  void simulate(const std::vector<float>& action);
  // qpos/qvel <- given, then mj_forward so derived quantities are consistent.
  void set_state(const std::vector<double>& qpos, const std::vector<double>& qvel);
  // Initial state plus U(-scale, scale) noise per coordinate (the usual reset).
  std::vector<double> init_qpos_plus_uniform(double scale);
  std::vector<double> init_qvel_plus_uniform(double scale);
  // set_state(qpos0 + U(±scale), U(±scale)), the position noise drawn first as in Gymnasium. One
  // call, because set_state(init_qpos_plus_uniform(s), init_qvel_plus_uniform(s)) leaves the
  // order of the draws to the compiler: gcc drew the velocities first and clang the positions,
  // so one seed gave two start states.
  void set_state_plus_uniform(double scale);
  // Σ a² of the action, the control cost every locomotion env charges.
  static double squared_norm(const std::vector<float>& action);
  // Action space from the actuators' ctrlrange (unlimited actuators: [-inf, inf]).
  static Space actuator_space(const mjModel* model);

  std::vector<float> reset_impl() final;
  // The whole mjData: state, warm start, contacts and every derived quantity an observation
  // reads, so a restored env steps bit for bit as the saved one would have.
  void save_state_impl(ByteWriter& out) const override;
  void load_state_impl(ByteReader& in) override;

 private:
  MjModelPtr model_;
  MjDataPtr data_;
  int frame_skip_;
  bool needs_post_constraint_;
};

}  // namespace tandem::envs
