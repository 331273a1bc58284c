#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "envs/error.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"

namespace tandem::envs {
namespace {

namespace fs = std::filesystem;

const MujocoEnv& mj(const Env& env) { return dynamic_cast<const MujocoEnv&>(env); }

std::string example_path() { return mujoco_asset_path("examples/point_mass.xml"); }

// The message of the tandem::Error that make_env("mujoco/xml", options) throws ("" if none).
std::string error_of(const json& options) {
  try {
    make_env("mujoco/xml", options);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Bad model files are written into a fresh temporary folder, removed afterwards.
class XmlEnvFiles : public testing::Test {
 protected:
  void SetUp() override {
    const std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() /
           ("tandem_xml_env_test_" + std::to_string(::getpid()) + "_" + name);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
};

TEST(XmlEnv, LoadsTheExampleModel) {
  auto env = make_env("mujoco/xml", {{"xml", example_path()}});
  const mjModel* m = mj(*env).model();
  EXPECT_EQ(env->spec().id, "mujoco/xml");
  EXPECT_EQ(env->spec().observation_space.flat_size(), m->nq + m->nv);
  EXPECT_EQ(env->spec().observation_space.flat_size(), 4);
  EXPECT_EQ(env->spec().action_space.low, std::vector<double>(2, -1.0));
  EXPECT_EQ(env->spec().action_space.high, std::vector<double>(2, 1.0));
  EXPECT_EQ(env->spec().max_episode_steps, 1000);
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.01);
}

TEST(XmlEnv, SameSeedSameResetObservation) {
  auto a = make_env("mujoco/xml", {{"xml", example_path()}});
  auto b = make_env("mujoco/xml", {{"xml", example_path()}});
  EXPECT_EQ(a->reset(7), b->reset(7));
  EXPECT_NE(a->reset(7), a->reset(8));
  for (float x : a->reset(3)) EXPECT_LE(std::abs(x), 0.01 + 1e-7);
}

TEST(XmlEnv, ForwardRewardIsBodyVelocityMinusControlCost) {
  auto env = make_env("mujoco/xml", {{"xml", example_path()}, {"frame_skip", 3}});
  EXPECT_DOUBLE_EQ(mj(*env).dt(), 0.03);
  env->reset(1);
  const mjData* d = mj(*env).data();
  const std::vector<float> action = {0.8f, -0.3f};
  for (int t = 0; t < 20; ++t) {
    // the example's body "mass" sits on slide_x at the origin: its world x is qpos[0]
    const double x_before = d->qpos[0];
    StepResult r = env->step(action);
    const double vx = (d->qpos[0] - x_before) / 0.03;
    const double ctrl = double(action[0]) * action[0] + double(action[1]) * action[1];
    EXPECT_NEAR(r.reward, vx - 0.1 * ctrl, 1e-9) << "step " << t;
    EXPECT_FALSE(r.terminated);
    for (int i = 0; i < 2; ++i) {
      EXPECT_FLOAT_EQ(r.obs[i], d->qpos[i]);
      EXPECT_FLOAT_EQ(r.obs[2 + i], d->qvel[i]);
    }
  }
  EXPECT_GT(d->qpos[0], 0.0) << "a positive x force moves the mass forward";
}

TEST(XmlEnv, ZeroRewardAndTimeLimit) {
  auto env = make_env("mujoco/xml",
                      {{"xml", example_path()}, {"reward", "zero"}, {"max_episode_steps", 4}});
  env->reset(0);
  StepResult r;
  for (int t = 0; t < 4; ++t) {
    r = env->step({1, 1});
    EXPECT_EQ(r.reward, 0.0);
  }
  EXPECT_TRUE(r.truncated);
  EXPECT_FALSE(r.terminated);
}

TEST_F(XmlEnvFiles, BodyOptionPicksTheRewardedBodyAndUnlimitedActuatorsGetUnitRange) {
  // two bodies; only "b" moves; the actuator has no ctrlrange
  const std::string xml = write("two_bodies.xml", R"(<mujoco>
  <worldbody>
    <body name="a" pos="0 0 1"><geom size="0.1" contype="0" conaffinity="0"/></body>
    <body name="b"><joint name="s" type="slide" axis="1 0 0"/>
      <geom size="0.1" contype="0" conaffinity="0"/></body>
  </worldbody>
  <actuator><motor joint="s"/></actuator>
</mujoco>)");
  auto still = make_env("mujoco/xml", {{"xml", xml}, {"ctrl_cost_weight", 0.0}});
  auto moving = make_env("mujoco/xml", {{"xml", xml}, {"ctrl_cost_weight", 0.0}, {"body", "b"}});
  EXPECT_EQ(still->spec().action_space.low, std::vector<double>{-1.0});
  EXPECT_EQ(still->spec().action_space.high, std::vector<double>{1.0});
  still->reset(0);
  moving->reset(0);
  EXPECT_EQ(still->step({1}).reward, 0.0);
  EXPECT_GT(moving->step({1}).reward, 0.0);
}

TEST(XmlEnvErrors, MissingXmlOptionSaysItIsRequired) {
  const std::string msg = error_of(json::object());
  EXPECT_NE(msg.find("'xml'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("required"), std::string::npos) << msg;
}

TEST_F(XmlEnvFiles, MissingFileIsNamed) {
  const std::string path = (dir_ / "does_not_exist.xml").string();
  const std::string msg = error_of({{"xml", path}});
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not found"), std::string::npos) << msg;
}

TEST_F(XmlEnvFiles, BadXmlCarriesMujocosMessage) {
  const std::string path = write("broken.xml", "<mujoco><worldbody><body>\n</mujoco>\n");
  const std::string msg = error_of({{"xml", path}});
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("MuJoCo could not load"), std::string::npos) << msg;
  EXPECT_NE(msg.find("XML"), std::string::npos) << "MuJoCo's own text is kept: " << msg;

  // a schema error (unknown attribute) also reaches the user with MuJoCo's wording
  const std::string bad_attr = write("bad_attr.xml", R"(<mujoco><worldbody>
  <body><joint type="slide" wobble="1"/><geom size="0.1"/></body></worldbody></mujoco>)");
  const std::string msg2 = error_of({{"xml", bad_attr}});
  EXPECT_NE(msg2.find(bad_attr), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("wobble"), std::string::npos) << msg2;
}

TEST_F(XmlEnvFiles, ModelWithoutActuatorsIsRejected) {
  const std::string path = write("no_actuators.xml", R"(<mujoco><worldbody>
  <body name="box"><joint type="slide" axis="1 0 0"/><geom size="0.1"/></body>
</worldbody></mujoco>)");
  const std::string msg = error_of({{"xml", path}});
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("no actuators"), std::string::npos) << msg;
}

TEST(XmlEnvErrors, UnknownBodyListsTheValidOnes) {
  const std::string msg = error_of({{"xml", example_path()}, {"body", "torso"}});
  EXPECT_NE(msg.find(example_path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'torso'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mass"), std::string::npos) << "valid names are listed: " << msg;
  const std::string world = error_of({{"xml", example_path()}, {"body", "world"}});
  EXPECT_NE(world.find("world"), std::string::npos) << world;
}

TEST(XmlEnvErrors, UnknownRewardKindAndUnknownOptions) {
  const std::string msg = error_of({{"xml", example_path()}, {"reward", "sideways"}});
  EXPECT_NE(msg.find(example_path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("sideways"), std::string::npos) << msg;
  EXPECT_NE(msg.find("forward"), std::string::npos) << "the valid kinds are listed: " << msg;
  const std::string typo = error_of({{"xml", example_path()}, {"frameskip", 2}});
  EXPECT_NE(typo.find("frameskip"), std::string::npos) << typo;
  EXPECT_NE(typo.find("frame_skip"), std::string::npos) << typo;
}

}  // namespace
}  // namespace tandem::envs
