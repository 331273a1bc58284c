#include "envs/cache_build.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace tandem::envs {
namespace {
namespace fs = std::filesystem;

fs::path fresh_folder(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir / "nested");
  return dir;
}

TEST(CacheBuild, AWatcherSeesABuildWhileItLivesAndNotAfter) {
  const fs::path dir = fresh_folder("cache_build_lives");
  {
    CacheBuild build((dir / "nested" / "base_lm.pt").string(), "base model for text/sort", 400,
                     "steps");
    auto seen = cache_builds(dir.string());
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].what, "base model for text/sort");
    EXPECT_EQ(seen[0].total, 400);
    EXPECT_EQ(seen[0].done, 0);
    EXPECT_FALSE(seen[0].remaining()) << "no progress yet: no rate to extrapolate";
    EXPECT_NE(seen[0].describe().find("ETA --"), std::string::npos) << seen[0].describe();
  }
  EXPECT_TRUE(cache_builds(dir.string()).empty()) << "the status goes with the build";
}

TEST(CacheBuild, ProgressGoesToTheInnermostBuildOfTheThread) {
  const fs::path dir = fresh_folder("cache_build_nested");
  cache_build_progress(5);  // no build: nothing happens
  CacheBuild outer((dir / "a").string(), "expert", 100, "env steps");
  {
    CacheBuild inner((dir / "b").string(), "demonstrations", 10, "episodes");
    cache_build_progress(7);
    const auto seen = cache_builds(dir.string());
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].done, 0) << "the outer build's status is untouched";
    EXPECT_EQ(seen[1].done, 7);
  }
  cache_build_progress(1);  // inner gone: the outer build again (written every two seconds)
  EXPECT_EQ(cache_builds(dir.string()).size(), 1u);
}

TEST(CacheBuild, RemainingTimeFollowsTheRateSoFar) {
  CacheBuildStatus s;
  s.what = "expert for Hopper-v5";
  s.unit = "env steps";
  s.total = 1000;
  s.done = 250;
  s.seconds = 30;
  ASSERT_TRUE(s.remaining());
  EXPECT_DOUBLE_EQ(*s.remaining(), 90.0);  // 30 s per 250 steps, 750 left
  EXPECT_NE(s.describe().find("250/1.0k env steps"), std::string::npos) << s.describe();
}

TEST(CacheBuild, ProgressCanComeFromTheBuildsMetricsFile) {
  const fs::path dir = fresh_folder("cache_build_metrics");
  const fs::path metrics = dir / "nested" / "metrics.jsonl";
  std::ofstream(metrics) << "{\"env_steps\": 2048}\n{\"env_steps\": 4096}\n{\"env_st";
  CacheBuild build((dir / "expert").string(), "expert", 10000, "env steps", metrics.string());
  const auto seen = cache_builds(dir.string());
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].done, 4096) << "the last whole line; the torn one is being written";
}

TEST(CacheBuild, TheStatusOfABuilderThatDiedIsIgnored) {
  const fs::path dir = fresh_folder("cache_build_dead");
  const pid_t child = ::fork();
  if (child == 0) {
    // a builder killed mid-build: its status file stays behind
    auto* build = new CacheBuild((dir / "entry").string(), "tokenizer", 0, "");
    (void)build;
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(fs::exists(dir / "entry.building"));
  EXPECT_TRUE(cache_builds(dir.string()).empty());
}

}  // namespace
}  // namespace tandem::envs
