// `tandem record` end to end: MuJoCo episodes drawn offscreen to PNG frames (EGL, no display),
// through a hidden GLFW window under xvfb-run, and encoded to video by ffmpeg.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "envs/config.h"
#include "envs/mujoco/renderer.h"
#include "tests/suites/run_tandem.h"
#include "tests/text_support.h"

namespace {
namespace fs = std::filesystem;

using tandem::envs::Image;
using tandem::envs::read_png;
using tandem::testing::Output;

Output run(const std::string& args) { return tandem::testing::run_tandem(args); }

Output shell(const std::string& before, const std::string& args) {
  return tandem::testing::run_tandem(args, before);
}

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("tandem_record_test_" + name);
  fs::remove_all(d);
  return d;
}

std::string frame(const fs::path& dir, int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "frame_%06d.png", i);
  return (dir / name).string();
}

// Variance of the grey level over the picture: 0 for a blank (one-colour) frame.
double grey_variance(const Image& image) {
  double sum = 0, sum2 = 0;
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) {
    const double g = (image.rgb[3 * i] + image.rgb[3 * i + 1] + image.rgb[3 * i + 2]) / 3.0;
    sum += g;
    sum2 += g * g;
  }
  const double mean = sum / n;
  return sum2 / n - mean * mean;
}

double mean_abs_difference(const Image& a, const Image& b) {
  EXPECT_EQ(a.rgb.size(), b.rgb.size());
  double d = 0;
  for (size_t i = 0; i < a.rgb.size() && i < b.rgb.size(); ++i) d += std::abs(a.rgb[i] - b.rgb[i]);
  return d / a.rgb.size();
}

std::string first_bytes(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string s(n, '\0');
  in.read(s.data(), static_cast<std::streamsize>(n));
  return s.substr(0, static_cast<size_t>(in.gcount()));
}

TEST(Record, TwentyHopperFramesArePngsOfTheRequestedSizeNotBlankAndMoving) {
  const fs::path dir = fresh_dir("hopper");
  // random actions end an episode early now and then: later episodes fill the twenty frames
  Output r =
      run("record --env Hopper-v5 --random --seed 3 --episodes 5 --frames 20 --width 320 "
          "--height 240 --out " +
          dir.string());
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("recorded 20 frames (320x240)"), std::string::npos) << r.text;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(fs::exists(frame(dir, i))) << i;
    const Image image = read_png(frame(dir, i));
    EXPECT_EQ(image.width, 320) << i;
    EXPECT_EQ(image.height, 240) << i;
    // a drawn scene (sky, checkered floor, robot) varies by thousands; a blank frame by 0
    EXPECT_GT(grey_variance(image), 200.0) << "frame " << i << " looks blank";
  }
  EXPECT_FALSE(fs::exists(frame(dir, 20))) << "--frames 20 is the limit";
  EXPECT_GT(mean_abs_difference(read_png(frame(dir, 1)), read_png(frame(dir, 19))), 1.0)
      << "the hopper moves between step 1 and step 19";

  const tandem::json manifest = tandem::read_json_file((dir / "record.json").string());
  EXPECT_EQ(manifest["env"], "Hopper-v5");
  ASSERT_EQ(manifest["frames"].size(), 20u);
  EXPECT_EQ(manifest["frames"][0]["step"], 0) << "the first frame is the reset state";
  EXPECT_EQ(manifest["frames"][19]["file"], "frame_000019.png");
  EXPECT_DOUBLE_EQ(manifest["fps"].get<double>(), 125.0) << "Hopper's dt is 0.008 s";
  fs::remove_all(dir);
}

TEST(Record, TheSameSeedDrawsTheSameFramesAndAnotherSeedOthers) {
  const fs::path a = fresh_dir("seed_a"), b = fresh_dir("seed_b"), c = fresh_dir("seed_c");
  const std::string common = "record --env Ant-v5 --random --frames 4 --width 96 --height 64 ";
  ASSERT_EQ(run(common + "--seed 5 --out " + a.string()).status, 0);
  ASSERT_EQ(run(common + "--seed 5 --out " + b.string()).status, 0);
  ASSERT_EQ(run(common + "--seed 6 --out " + c.string()).status, 0);
  EXPECT_EQ(read_png(frame(a, 3)).rgb, read_png(frame(b, 3)).rgb);
  EXPECT_NE(read_png(frame(a, 3)).rgb, read_png(frame(c, 3)).rgb);
  for (const auto& d : {a, b, c}) fs::remove_all(d);
}

TEST(Record, ACheckpointsRecordedReturnIsItsEvaluationReturn) {
  const fs::path run_dir = fresh_dir("run"), dir = fresh_dir("checkpoint");
  Output t =
      run("train --env Hopper-v5 --steps 2048 --eval-episodes 1 --quiet "
          "--set steps_per_env=512 --set policy.hidden=[16,16] --out " +
          run_dir.string());
  ASSERT_EQ(t.status, 0) << t.text;
  const std::string checkpoint = (run_dir / "checkpoint.pt").string();
  Output e = run("eval --checkpoint " + checkpoint + " --episodes 1 --seed 7");
  ASSERT_EQ(e.status, 0) << e.text;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(e.text, m, std::regex("evaluation return: (-?[0-9.]+)"))) << e.text;
  const double eval_return = std::stod(m[1]);

  // the whole episode, drawn every 25 steps: the same env seed and the same mean actions
  Output r = run("record --checkpoint " + checkpoint +
                 " --seed 7 --every 25 --width 64 "
                 "--height 48 --out " +
                 dir.string());
  ASSERT_EQ(r.status, 0) << r.text;
  ASSERT_TRUE(std::regex_search(
      r.text, m, std::regex("episode 1: return (-?[0-9.]+) over ([0-9]+) steps \\((\\w+)\\)")))
      << r.text;
  EXPECT_NEAR(std::stod(m[1]), eval_return, 0.051) << r.text << e.text;
  EXPECT_NE(m[3], "frame") << "the episode ran to its end";
  // frames at the reset, at every 25th step, and at the last step
  const int steps = std::stoi(m[2]);
  const int frames = 1 + steps / 25 + (steps % 25 != 0 ? 1 : 0);
  EXPECT_TRUE(fs::exists(frame(dir, frames - 1))) << steps << " steps";
  EXPECT_FALSE(fs::exists(frame(dir, frames))) << steps << " steps";
  fs::remove_all(run_dir);
  fs::remove_all(dir);
}

TEST(Record, VideosThroughFfmpeg) {
  const fs::path dir = fresh_dir("video");
  fs::create_directories(dir);
  const std::string common =
      "record --env Hopper-v5 --random --episodes 3 --frames 30 --width 95 --height 64 --out " +
      (dir / "frames").string();
  Output mp4 = run(common + " --video " + (dir / "clip.mp4").string());
  ASSERT_EQ(mp4.status, 0) << mp4.text;
  // an MP4 opens with a box of type "ftyp"
  EXPECT_EQ(first_bytes((dir / "clip.mp4").string(), 8).substr(4), "ftyp");
  Output gif = run(common + " --video " + (dir / "clip.gif").string());
  ASSERT_EQ(gif.status, 0) << gif.text;
  EXPECT_EQ(first_bytes((dir / "clip.gif").string(), 6), "GIF89a");

  Output avi = run(common + " --video " + (dir / "clip.avi").string());
  EXPECT_EQ(avi.status, 1);
  EXPECT_NE(avi.text.find(".mp4 or .gif"), std::string::npos) << avi.text;
  // without ffmpeg on PATH: said before anything is drawn
  const fs::path elsewhere = dir / "no_ffmpeg";
  Output none =
      shell("PATH=/nonexistent", "record --env Hopper-v5 --frames 2 --out " + elsewhere.string() +
                                     " --video " + (dir / "clip2.mp4").string());
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.text.find("apt-get install ffmpeg"), std::string::npos) << none.text;
  EXPECT_FALSE(fs::exists(elsewhere));
  fs::remove_all(dir);
}

TEST(Record, AHiddenGlfwWindowUnderXvfb) {
  const fs::path dir = fresh_dir("glfw");
  // a server number of its own, so parallel tests do not race for xvfb-run's first free one
  const std::string server = std::to_string(100 + ::getpid() % 400);
  Output r = shell("xvfb-run -n " + server + " -a",
                   "record --gl glfw --env Hopper-v5 --random --frames 3 --width 64 --height 48 "
                   "--out " +
                       dir.string());
  ASSERT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("hidden GLFW window"), std::string::npos) << r.text;
  EXPECT_GT(grey_variance(read_png(frame(dir, 2))), 200.0);
  fs::remove_all(dir);
}

TEST(Record, RefusesWhatItCannotDrawWithAHint) {
  TANDEM_SKIP_WITHOUT_TEXT();
  const fs::path dir = fresh_dir("bad");
  Output text = run("record --env text/sort --frames 1 --out " + dir.string());
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.text.find("tandem sample"), std::string::npos) << text.text;
  Output camera = run("record --env Hopper-v5 --camera nowhere --frames 1 --out " + dir.string());
  EXPECT_EQ(camera.status, 1);
  EXPECT_NE(camera.text.find("nowhere"), std::string::npos) << camera.text;
  Output size = run("record --env Hopper-v5 --width 8 --frames 1 --out " + dir.string());
  EXPECT_EQ(size.status, 1);
  EXPECT_NE(size.text.find("between 16 and"), std::string::npos) << size.text;
  Output both = run("record --env Hopper-v5 --random --checkpoint x.pt --out " + dir.string());
  EXPECT_NE(both.status, 0) << "--random and --checkpoint exclude each other";
  fs::remove_all(dir);
}

}  // namespace
