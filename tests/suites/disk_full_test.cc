// A full disk while a run saves its checkpoint: the run stops with an error that names the file
// and says "disk full", its previous checkpoint is intact, no temporary file is left behind, and
// once space is freed `--resume` finishes the run with the metrics of the uninterrupted run.
// The disk is a small tmpfs of the test's own, mounted when the test runs as root (as CI and
// the README's set-up do); elsewhere the test is skipped with that reason.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "envs/config.h"
#include "envs/error.h"
#include "tests/suites/run_tandem.h"
#include "tests/suites/test_files.h"

namespace {
namespace fs = std::filesystem;
using tandem::json;
using tandem::testing::fresh_test_dir;
using tandem::testing::Output;
using tandem::testing::run_tandem;

// 8 PPO iterations of 512 steps, a checkpoint after each one
const std::string kRun =
    "train --env InvertedPendulum-v5 --eval-episodes 2 --quiet --set policy.hidden=[32,32] "
    "--steps 4096 --eval-interval 2048 --set steps_per_env=512 --set checkpoint_interval=1 ";

// A tmpfs mounted on a fresh folder for the test's lifetime.
class SmallDisk {
 public:
  explicit SmallDisk(const fs::path& at, const std::string& size) : at_(at) {
    mounted_ = ::mount("tmpfs", at.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount(at_.c_str());
  }
  bool mounted() const { return mounted_; }
  uint64_t free_bytes() const {
    struct statvfs s {};
    ::statvfs(at_.c_str(), &s);
    return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
  }

 private:
  fs::path at_;
  bool mounted_ = false;
};

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp") != std::string::npos)
      out.push_back(e.path().filename().string());
  return out;
}

// The metrics without the fields that time the run (they differ between any two runs).
std::vector<json> untimed_metrics(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    json row = json::parse(line), kept = json::object();
    for (auto it = row.begin(); it != row.end(); ++it)
      if (it.key().find("seconds") == std::string::npos &&
          it.key().find("per_second") == std::string::npos && it.key() != "charts/sps")
        kept[it.key()] = it.value();
    out.push_back(kept);
  }
  return out;
}

TEST(DiskFull, AWriteThatDoesNotFitLeavesTheOldFileAndNoTemporary) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const fs::path dir = fresh_test_dir("disk_full", "writer");
  SmallDisk disk(dir, "64k");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (no CAP_SYS_ADMIN)";
  const std::string path = (dir / "result.json").string();
  tandem::write_file_atomic(path, std::string(16 * 1024, 'a'));
  try {
    tandem::write_file_atomic(path, std::string(128 * 1024, 'b'));
    FAIL() << "128 KiB fit on a 64 KiB disk";
  } catch (const tandem::Error& e) {
    EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_EQ(tandem::testing::read_text(path), std::string(16 * 1024, 'a'));
  EXPECT_TRUE(temporaries(dir).empty());
}

TEST(DiskFull, ARunStopsCleanlyAndResumesOnceSpaceIsFreed) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  const fs::path base = fresh_test_dir("disk_full", "run");
  const fs::path reference = base / "reference", mount_point = base / "disk";
  const Output r = run_tandem(kRun + "--out " + reference.string());
  ASSERT_EQ(r.status, 0) << r.text;
  const uint64_t checkpoint = fs::file_size(reference / "checkpoint.pt");

  fs::create_directories(mount_point);
  SmallDisk disk(mount_point, "16m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (no CAP_SYS_ADMIN)";
  // room for the config, the metrics and one checkpoint, not for a second one beside it (an
  // atomic save writes the new checkpoint before the old one goes)
  const uint64_t room = checkpoint + checkpoint / 2 + 32 * 1024;
  ASSERT_GT(checkpoint / 2, 32u * 1024) << "the margin assumes a checkpoint above 64 KiB";
  const fs::path ballast = mount_point / "ballast";
  {
    std::ofstream out(ballast, std::ios::binary);
    const std::string block(1 << 16, 'x');
    uint64_t left = disk.free_bytes() - room;
    for (; left >= block.size(); left -= block.size()) out << block;
    out << block.substr(0, left);
  }
  const fs::path run = mount_point / "run";
  const Output full = run_tandem(kRun + "--out " + run.string());
  EXPECT_NE(full.status, 0) << full.text;
  EXPECT_NE(full.text.find("disk full"), std::string::npos) << full.text;
  EXPECT_NE(full.text.find("checkpoint.pt"), std::string::npos) << full.text;
  EXPECT_EQ(full.text.find("terminate called"), std::string::npos) << "an abort: " << full.text;
  ASSERT_TRUE(fs::exists(run / "checkpoint.pt")) << "the first save fit";
  EXPECT_TRUE(temporaries(run).empty()) << temporaries(run).front();
  EXPECT_FALSE(fs::exists(run / "done"));

  fs::remove(ballast);
  // a temporary a kill during a save would leave is cleared by the resume
  std::ofstream(run / "checkpoint.pt.tmp.4242") << "partial";
  const Output resumed = run_tandem(kRun + "--resume --out " + run.string());
  ASSERT_EQ(resumed.status, 0) << resumed.text;
  EXPECT_TRUE(fs::exists(run / "done"));
  EXPECT_TRUE(temporaries(run).empty()) << temporaries(run).front();
  EXPECT_EQ(untimed_metrics(run / "metrics.jsonl"), untimed_metrics(reference / "metrics.jsonl"))
      << "the resumed run continues exactly where the full disk stopped it";
}

}  // namespace
