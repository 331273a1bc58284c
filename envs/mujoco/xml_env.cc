// mujoco/xml: a generic env around any MuJoCo MJCF file the user names in the options.
//
// | observation (nq+nv) | qpos (all of it) + qvel, unclipped                                    |
// | action (nu)         | one per actuator, in its ctrlrange when ctrllimited; an actuator      |
// |                     | without ctrllimited is declared [-1, 1] (MuJoCo does not clamp it)    |
// | reward "forward"    | forward_reward_weight (1) · Δx / dt of `body` (world x of its frame)  |
// |                     | − ctrl_cost_weight (0.1) · Σ a²                                       |
// | reward "zero"       | 0 every step (for learning from preferences or demonstrations only)  |
// | terminated          | only if qpos or qvel stops being finite                               |
// | truncated           | max_episode_steps (1000)                                              |
// | reset               | qpos0 + U(±reset_noise_scale) (quaternions renormalized),             |
// |                     | qvel U(±reset_noise_scale); reset_noise_scale 0.01                   |
// | dt                  | frame_skip (1) × the XML's timestep                                   |
//
// Options (JSON), all but "xml" optional:
//   xml                    path to the MJCF file (relative paths: from the current directory)
//   frame_skip             mj_step calls per env step, 1..1000                    default 1
//   reward                 "forward" or "zero"                                    default forward
//   body                   body whose x velocity is rewarded        default: the first body after
//                                                                    the world (body id 1)
//   forward_reward_weight  weight of Δx / dt                                      default 1.0
//   ctrl_cost_weight       weight of Σ a²                                         default 0.1
//   reset_noise_scale      half-width of the uniform reset noise                  default 0.01
//   max_episode_steps      time limit                                             default 1000
// A model to start from: envs/mujoco/assets/examples/point_mass.xml. MuJoCo here is 2.2.2:
// a model written for newer MuJoCo may need <compiler autolimits="true"/> (MuJoCo's own error
// says so) and must avoid features added after 2.2.2.
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

constexpr char kId[] = "mujoco/xml";

struct XmlEnvOptions {
  std::string xml;
  int64_t frame_skip = 1;
  std::string reward = "forward";
  std::string body;  // empty: body id 1
  double forward_reward_weight = 1.0;
  double ctrl_cost_weight = 0.1;
  double reset_noise_scale = 0.01;
  int64_t max_episode_steps = 1000;
  json resolved;  // every option with its default (EnvSpec::options)
};

// Reads and checks every option before the model is loaded; messages name the XML file.
XmlEnvOptions read_options(const json& options) {
  std::string where = std::string(kId) + " options";
  if (options.is_object() && options.contains("xml") && options["xml"].is_string())
    where += " (xml " + options["xml"].get<std::string>() + ")";
  ConfigReader r(options, where);

  XmlEnvOptions o;
  if (!r.has("xml")) {
    throw Error(where + ": field 'xml' is required: the path of a MuJoCo MJCF file, e.g. " +
                mujoco_asset_path("examples/point_mass.xml"));
  }
  o.xml = r.text("xml", "");
  o.frame_skip = r.integer("frame_skip", o.frame_skip, 1, 1000);
  o.reward = r.text("reward", o.reward, {"forward", "zero"});
  o.body = r.text("body", o.body);
  o.forward_reward_weight = r.number("forward_reward_weight", o.forward_reward_weight, -1e6, 1e6);
  o.ctrl_cost_weight = r.number("ctrl_cost_weight", o.ctrl_cost_weight, 0, 1e6);
  o.reset_noise_scale = r.number("reset_noise_scale", o.reset_noise_scale, 0, 10);
  o.max_episode_steps = r.integer("max_episode_steps", o.max_episode_steps, 1, 100000000);
  r.finish();
  o.resolved = r.resolved();

  if (!std::ifstream(o.xml).good()) {
    throw Error(o.xml + ": model file not found or not readable (" + kId +
                " option 'xml'; a relative path is resolved from the current directory)");
  }
  return o;
}

class XmlEnv : public MujocoEnv {
 public:
  explicit XmlEnv(const json& options) : XmlEnv(read_options(options)) {}

 private:
  static constexpr double kInf = std::numeric_limits<double>::infinity();

  explicit XmlEnv(XmlEnvOptions o)
      : MujocoEnv({kId, Space::box(0, -kInf, kInf), Space::box(0, -1, 1), o.max_episode_steps},
                  o.xml, static_cast<int>(o.frame_skip)),
        o_(std::move(o)) {
    const mjModel* m = model();
    if (m->nu == 0) {
      throw Error(o_.xml + ": the model has no actuators, so " + kId +
                  " has nothing to act with; add an <actuator> section, e.g. "
                  "<motor joint=\"...\" ctrllimited=\"true\" ctrlrange=\"-1 1\"/>");
    }
    body_ = resolve_body(m);

    // spaces: qpos + qvel; actuators in their ctrlrange, [-1, 1] where unlimited
    EnvSpec& spec = mutable_spec();
    spec.observation_space = Space::box(m->nq + m->nv, -kInf, kInf);
    std::vector<double> low(m->nu, -1.0), high(m->nu, 1.0);
    for (int i = 0; i < m->nu; ++i) {
      if (m->actuator_ctrllimited[i]) {
        low[i] = m->actuator_ctrlrange[2 * i];
        high[i] = m->actuator_ctrlrange[2 * i + 1];
      }
    }
    spec.action_space = Space::box(low, high);
    spec.options = o_.resolved;
  }

  // The rewarded body: by name, or body 1 when no name is given.
  int resolve_body(const mjModel* m) const {
    if (m->nbody < 2 && o_.reward == "forward") {
      throw Error(o_.xml + ": the model has no body besides the world, so reward 'forward' " +
                  "has nothing to track; add a <body> or use \"reward\": \"zero\"");
    }
    if (o_.body.empty()) return m->nbody < 2 ? 0 : 1;
    const int id = mj_name2id(m, mjOBJ_BODY, o_.body.c_str());
    if (id > 0) return id;
    std::string names;
    for (int b = 1; b < m->nbody; ++b) {
      const char* name = mj_id2name(m, mjOBJ_BODY, b);
      names += (names.empty() ? "" : ", ") +
               (name ? std::string(name) : "#" + std::to_string(b) + " (unnamed)");
    }
    const std::string problem =
        id == 0 ? "is the world body, which never moves" : "is not a body of this model";
    throw Error(o_.xml + ": option 'body' = '" + o_.body + "' " + problem +
                "; valid bodies: " + (names.empty() ? "(none)" : names));
  }

  double body_x() const { return data()->xpos[3 * body_]; }

  bool state_finite() const {
    const mjData* d = data();
    for (int i = 0; i < model()->nq; ++i)
      if (!std::isfinite(d->qpos[i])) return false;
    for (int i = 0; i < model()->nv; ++i)
      if (!std::isfinite(d->qvel[i])) return false;
    return true;
  }

  void reset_model() override {
    std::vector<double> qpos = init_qpos_plus_uniform(o_.reset_noise_scale);
    mj_normalizeQuat(model(), qpos.data());  // free and ball joints stay unit quaternions
    set_state(qpos, init_qvel_plus_uniform(o_.reset_noise_scale));
  }

  std::vector<float> observation() const override {
    const mjData* d = data();
    std::vector<float> obs;
    obs.reserve(model()->nq + model()->nv);
    for (int i = 0; i < model()->nq; ++i) obs.push_back(static_cast<float>(d->qpos[i]));
    for (int i = 0; i < model()->nv; ++i) obs.push_back(static_cast<float>(d->qvel[i]));
    return obs;
  }

  StepResult step_impl(const std::vector<float>& action) override {
    // xpos is current here: set_state ran mj_forward, the previous step ran mj_kinematics
    const double x_before = body_x();
    simulate(action);
    // mj_step leaves xpos from the start of its last substep; bring it up to the final qpos
    mj_kinematics(model(), mutable_data());
    const double x_velocity = (body_x() - x_before) / dt();

    double forward = 0, ctrl = 0;
    if (o_.reward == "forward") {
      forward = o_.forward_reward_weight * x_velocity;
      ctrl = o_.ctrl_cost_weight * squared_norm(action);
    }

    StepResult r;
    r.obs = observation();
    r.reward = forward - ctrl;
    r.terminated = !state_finite();
    r.info = {{"x_position", body_x()},
              {"x_velocity", x_velocity},
              {"reward_forward", forward},
              {"reward_ctrl", -ctrl}};
    return r;
  }

  XmlEnvOptions o_;
  int body_ = 0;
};

}  // namespace

TANDEM_REGISTER_ENV("mujoco/xml", XmlEnv);

}  // namespace tandem::envs
