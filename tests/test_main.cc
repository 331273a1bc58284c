// Test entry point: any MuJoCo warning raised during a test fails that test.
#include <gtest/gtest.h>

#include "envs/mujoco/mujoco_env.h"

namespace {

class MujocoWarningsFail : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo&) override {
    start_ = tandem::envs::mujoco_warning_count();
  }
  void OnTestEnd(const testing::TestInfo&) override {
    const int raised = tandem::envs::mujoco_warning_count() - start_;
    EXPECT_EQ(raised, 0) << "MuJoCo warned during the test: "
                         << tandem::envs::last_mujoco_warning();
  }
  int start_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  tandem::envs::install_mujoco_handlers();
  testing::UnitTest::GetInstance()->listeners().Append(new MujocoWarningsFail);
  return RUN_ALL_TESTS();
}
