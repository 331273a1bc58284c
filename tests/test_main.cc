// Test entry point: any MuJoCo warning raised during a test fails that test, and every test process
// gets a temporary folder of its own.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>

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

// The tests name their folders under temp_directory_path() after the test ("tandem_resume_other");
// two test runs on one machine (two ctest jobs running one binary, two checkouts) would write into
// each other's folders. A unique folder per process, as TMPDIR, keeps them apart; it is also what
// the tandem processes the tests start inherit. TANDEM_TEST_PARENT_TMP tells the tests where it is.
std::string private_temp_dir() {
  const std::filesystem::path parent = std::filesystem::temp_directory_path();
  std::string pattern = (parent / "tandem_tests_XXXXXX").string();
  if (!::mkdtemp(pattern.data())) {
    std::perror(("tests: cannot create a folder under " + parent.string()).c_str());
    std::exit(1);
  }
  ::setenv("TANDEM_TEST_PARENT_TMP", parent.c_str(), 1);
  ::setenv("TMPDIR", pattern.c_str(), 1);
  return pattern;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  tandem::envs::install_mujoco_handlers();
  testing::UnitTest::GetInstance()->listeners().Append(new MujocoWarningsFail);
  const std::string temp = private_temp_dir();
  const int rc = RUN_ALL_TESTS();
  std::error_code ignored;
  std::filesystem::remove_all(temp, ignored);
  return rc;
}
