#include "envs/mujoco/mujoco_env.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <mutex>

#include "envs/byte_stream.h"
#include "envs/error.h"

namespace tandem::envs {
namespace {

std::atomic<int> g_warning_count{0};
std::mutex g_warning_mutex;
std::string g_last_warning;

void on_mujoco_warning(const char* msg) {
  ++g_warning_count;
  std::lock_guard<std::mutex> lock(g_warning_mutex);
  g_last_warning = msg;
}

// MuJoCo's internal errors are unrecoverable and we must not throw through its C frames.
void on_mujoco_error(const char* msg) {
  std::fprintf(stderr, "tandem: MuJoCo internal error: %s\n", msg);
  std::abort();
}

}  // namespace

void install_mujoco_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = on_mujoco_warning;
    mju_user_error = on_mujoco_error;
  });
}

int mujoco_warning_count() { return g_warning_count.load(); }

std::string last_mujoco_warning() {
  std::lock_guard<std::mutex> lock(g_warning_mutex);
  return g_last_warning;
}

std::string mujoco_asset_path(const std::string& file) {
  const char* override_dir = std::getenv("TANDEM_ASSET_DIR");
  std::string dir = override_dir ? override_dir : TANDEM_ASSET_DIR;
  return dir + "/" + file;
}

MjModelPtr load_mujoco_model(const std::string& path) {
  install_mujoco_handlers();
  if (!std::ifstream(path).good())
    throw Error(path + ": model file not found (set TANDEM_ASSET_DIR if assets moved)");
  char error[1024] = "";
  mjModel* m = mj_loadXML(path.c_str(), nullptr, error, sizeof(error));
  if (!m) throw Error(path + ": MuJoCo could not load the model: " + std::string(error));
  return MjModelPtr(m);
}

MujocoEnv::MujocoEnv(EnvSpec spec, const std::string& xml_path, int frame_skip,
                     bool needs_post_constraint)
    : Env(std::move(spec)),
      model_(load_mujoco_model(xml_path)),
      data_(mj_makeData(model_.get())),
      frame_skip_(frame_skip),
      needs_post_constraint_(needs_post_constraint) {
  if (frame_skip_ < 1) throw Error(xml_path + ": frame_skip must be >= 1");
  // feedback on control (algorithms/feedback.h, algorithms/expert.h): preferences between
  // 50-step segments played by the cached expert's snapshots (Christiano et al. 2017),
  // demonstrations by the expert itself, trained for 1M steps unless the env says otherwise
  // ("expert_training" beside EnvSpec::recommended's usual keys)
  mutable_spec().recommended = {
      {"algorithm",
       {{"*", {{"segment_length", 50}, {"policy_mix", "expert"}, {"expert", "auto"}}}}},
      {"expert_training", {{"steps", 1000000}}}};
}

std::vector<float> MujocoEnv::reset_impl() {
  mj_resetData(model_.get(), data_.get());
  reset_model();
  return observation();
}

void MujocoEnv::save_state_impl(ByteWriter& out) const {
  const mjData* d = data_.get();
  out.pod(model_->nq);
  out.pod(d->nbuffer);
  out.bytes(d->buffer, d->nbuffer);
  out.pod(d->ne);
  out.pod(d->nf);
  out.pod(d->nefc);
  out.pod(d->ncon);
  out.pod(d->time);
  out.bytes(d->energy, sizeof(d->energy));
}

void MujocoEnv::load_state_impl(ByteReader& in) {
  mjData* d = data_.get();
  if (in.pod<int>() != model_->nq || in.pod<int>() != d->nbuffer)
    throw Error(spec().id + ": the saved simulator state belongs to another model");
  in.bytes(d->buffer, d->nbuffer);
  d->ne = in.pod<int>();
  d->nf = in.pod<int>();
  d->nefc = in.pod<int>();
  d->ncon = in.pod<int>();
  d->time = in.pod<mjtNum>();
  in.bytes(d->energy, sizeof(d->energy));
}

void MujocoEnv::simulate(const std::vector<float>& action) {
  mjData* d = data_.get();
  for (int i = 0; i < model_->nu; ++i) d->ctrl[i] = action[i];
  for (int i = 0; i < frame_skip_; ++i) mj_step(model_.get(), d);
  if (needs_post_constraint_) mj_rnePostConstraint(model_.get(), d);
}

void MujocoEnv::set_state(const std::vector<double>& qpos, const std::vector<double>& qvel) {
  TANDEM_CHECK(static_cast<int>(qpos.size()) == model_->nq, "qpos size");
  TANDEM_CHECK(static_cast<int>(qvel.size()) == model_->nv, "qvel size");
  mjData* d = data_.get();
  for (int i = 0; i < model_->nq; ++i) d->qpos[i] = qpos[i];
  for (int i = 0; i < model_->nv; ++i) d->qvel[i] = qvel[i];
  if (model_->na == 0) d->time = 0;
  mj_forward(model_.get(), d);
}

std::vector<double> MujocoEnv::init_qpos_plus_uniform(double scale) {
  std::vector<double> q(model_->qpos0, model_->qpos0 + model_->nq);
  for (double& x : q) x += uniform(-scale, scale);
  return q;
}

void MujocoEnv::set_state_plus_uniform(double scale) {
  const std::vector<double> qpos = init_qpos_plus_uniform(scale);
  const std::vector<double> qvel = init_qvel_plus_uniform(scale);
  set_state(qpos, qvel);
}

std::vector<double> MujocoEnv::init_qvel_plus_uniform(double scale) {
  std::vector<double> v(model_->nv, 0.0);
  for (double& x : v) x += uniform(-scale, scale);
  return v;
}

double MujocoEnv::squared_norm(const std::vector<float>& action) {
  double s = 0;
  for (float a : action) s += static_cast<double>(a) * a;
  return s;
}

Space MujocoEnv::actuator_space(const mjModel* m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> low(m->nu, -inf), high(m->nu, inf);
  for (int i = 0; i < m->nu; ++i) {
    if (m->actuator_ctrllimited[i]) {
      low[i] = m->actuator_ctrlrange[2 * i];
      high[i] = m->actuator_ctrlrange[2 * i + 1];
    }
  }
  return Space::box(low, high);
}

}  // namespace tandem::envs
