// A cache entry being built, made visible to whoever watches the cache (the suite runner, whose
// workers build base models, tokenizers, experts and feedback with their output quiet): while
// it lives, ENTRY.building holds what is being built, how far it is and since when, written
// through write_file_atomic at most every two seconds. A watcher reads them all with
// cache_builds(); an entry whose builder died is ignored (its process no longer exists).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::envs {

class CacheBuild {
 public:
  // `entry`: the cache entry's path (the status file sits beside it); `total` in `unit`s, 0
  // when unknown (only the elapsed time is shown then). `metrics`: a metrics.jsonl whose last
  // env_steps is the progress (an expert's training), instead of update().
  CacheBuild(std::string entry, std::string what, double total, std::string unit,
             std::string metrics = "");
  ~CacheBuild();
  CacheBuild(const CacheBuild&) = delete;
  CacheBuild& operator=(const CacheBuild&) = delete;

  void update(double done);

 private:
  CacheBuild* outer_ = nullptr;  // the build this one runs inside, on this thread
  void write(bool force);
  std::string path_, what_, unit_, metrics_;
  double total_ = 0, done_ = 0, started_ = 0, written_ = -1;
};

// Progress of the innermost CacheBuild of this thread (none: nothing): for the loops that make
// an entry (pairs, demonstrations, pretraining steps) without knowing who caches it.
void cache_build_progress(double done);

struct CacheBuildStatus {
  std::string path;  // the status file
  std::string what, unit;
  double done = 0, total = 0;
  double seconds = 0;  // since the build started
  // Seconds left at the rate so far, when there is progress to measure it by.
  std::optional<double> remaining() const;
  // "base model for text/sort: 1.2k/4.0k steps, 40 s, ETA 1m00s"
  std::string describe() const;
};

// Every build in progress under cache_dir (status files of live processes), sorted by path.
std::vector<CacheBuildStatus> cache_builds(const std::string& cache_dir);

}  // namespace tandem::envs
