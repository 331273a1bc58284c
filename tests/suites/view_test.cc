// `tandem view` end to end: the window opens on a virtual X display (xvfb-run), steps the env in
// real time, quits after --max-frames, and without a display says what to do instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>

#include "envs/mujoco/mujoco_env.h"
#include "tests/suites/run_tandem.h"

namespace {
namespace fs = std::filesystem;

using tandem::testing::Output;

Output shell(const std::string& before, const std::string& args) {
  return tandem::testing::run_tandem(args, before);
}

// A server number of its own, so tests running in parallel do not race for xvfb-run's first free
// one (it starts from here and moves on while a display is taken).
std::string xvfb() { return "xvfb-run -n " + std::to_string(100 + ::getpid() % 400) + " -a"; }

struct ViewerRun {
  long frames = 0, steps = 0, episodes = 0;
  double seconds = 0;
};

ViewerRun parse(const std::string& text) {
  std::smatch m;
  ViewerRun r;
  const std::regex line(
      "viewer: ([0-9]+) frames, ([0-9]+) env steps, ([0-9]+) episodes finished, ([0-9.]+) s");
  if (!std::regex_search(text, m, line)) {
    ADD_FAILURE() << "no summary line in: " << text;
    return r;
  }
  r.frames = std::stol(m[1]);
  r.steps = std::stol(m[2]);
  r.episodes = std::stol(m[3]);
  r.seconds = std::stod(m[4]);
  return r;
}

TEST(View, StepsAHundredFramesInRealTimeUnderXvfbAndQuits) {
  Output o = shell(xvfb(),
                   "view --env Hopper-v5 --random --seed 2 --max-frames 100 --width 320 "
                   "--height 240");
  ASSERT_EQ(o.status, 0) << o.text;
  const ViewerRun r = parse(o.text);
  EXPECT_EQ(r.frames, 100);
  EXPECT_GT(r.steps, 0);
  // sim time follows wall time: never ahead of it (one step of slack), and not far behind on
  // a machine that draws a small window at more than a few frames a second
  const double sim = r.steps * 0.008;  // Hopper's dt
  EXPECT_LE(sim, r.seconds + 0.008 + 0.05) << o.text;
  EXPECT_GE(sim, 0.25 * r.seconds) << o.text;
}

TEST(View, ACheckpointOrAUserXmlModel) {
  const fs::path run_dir = fs::temp_directory_path() / "tandem_view_test_run";
  fs::remove_all(run_dir);
  Output t = tandem::testing::run_tandem(
      "train --env Hopper-v5 --steps 2048 --eval-episodes 1 --quiet --set steps_per_env=512 "
      "--set policy.hidden=[16,16] --out " +
      run_dir.string());
  ASSERT_EQ(t.status, 0) << t.text;
  Output c = shell(xvfb(), "view --checkpoint " + (run_dir / "checkpoint.pt").string() +
                               " --max-frames 20 --width 160 --height 120");
  ASSERT_EQ(c.status, 0) << c.text;
  EXPECT_EQ(parse(c.text).frames, 20);

  const std::string xml = tandem::envs::mujoco_asset_path("examples/point_mass.xml");
  Output x = shell(xvfb(), "view --xml " + xml +
                               " --random --speed 4 --max-frames 20 --width "
                               "160 --height 120");
  ASSERT_EQ(x.status, 0) << x.text;
  EXPECT_GT(parse(x.text).steps, 0);
  fs::remove_all(run_dir);
}

TEST(View, WithoutADisplaySaysToUseXvfbRunOrRecord) {
  Output o = shell("env -u DISPLAY -u WAYLAND_DISPLAY", "view --env Hopper-v5 --max-frames 5");
  EXPECT_EQ(o.status, 1) << "an error exit, not a crash: " << o.text;
  EXPECT_NE(o.text.find("xvfb-run"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("tandem record"), std::string::npos) << o.text;
}

TEST(View, HelpListsTheWatchingCommands) {
  Output help = tandem::testing::run_tandem("--help");
  ASSERT_EQ(help.status, 0);
  for (const char* sub : {"view", "record", "sample"})
    EXPECT_NE(help.text.find(sub), std::string::npos) << sub;
  Output view = tandem::testing::run_tandem("view --help");
  for (const char* flag : {"--checkpoint", "--random", "--xml", "--seed", "--max-frames"})
    EXPECT_NE(view.text.find(flag), std::string::npos) << flag;
}

}  // namespace
