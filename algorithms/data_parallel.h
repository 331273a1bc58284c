// Data-parallel training over torch's c10d: N worker processes of one run rendezvous through a
// TCPStore (rank 0 serves it) and all-reduce through a Gloo process group. Each rank collects
// its share of the rollouts (or takes its share of each offline minibatch), every gradient step
// averages the gradients across ranks (checked_gradient_norm does it, so every learner is
// covered), and the ranks take the same decisions (early stops, interrupts, the env-step budget)
// from all-reduced numbers: their parameters stay bit-identical. Rank 0 alone evaluates and
// writes the run's files; every rank keeps a checkpoint of its own state (rollouts in flight,
// random stream) so a killed run resumes on all of them.
//
// One process (no rank environment) is the default: data_parallel() is null then and no code
// path changes. The c10d headers stay inside data_parallel.cc (they pull in Gloo's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace at {
class Tensor;
}
namespace torch::nn {
class Module;
}

namespace tandem::algorithms {

// Where this process sits in a data-parallel run, as the launcher's environment says.
struct DataParallelPlace {
  int rank = 0;
  int world = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source;  // which variables said so ("RANK/WORLD_SIZE", "SLURM_PROCID/...")
};

// torchrun's and `tandem train --nproc`'s RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; else, under
// `srun` with several tasks, SLURM_PROCID and SLURM_STEP_NUM_TASKS (MASTER_ADDR defaults to the
// step's first node, MASTER_PORT to one derived from the job and step ids). World 1 otherwise.
// A malformed value throws tandem::Error naming the variable.
DataParallelPlace data_parallel_place_from_env();

class DataParallel {
 public:
  // Joins the process group (blocks until every rank has joined, up to `timeout_seconds`).
  static void start(const DataParallelPlace& place, double timeout_seconds = 300);
  ~DataParallel();

  int rank() const { return rank_; }
  int world() const { return world_; }

  // Every rank's gradients of `parameters` become their mean over the ranks (in place), and
  // *loss too (when given), in the same message: one all-reduce per gradient step, whose latency
  // is what data-parallel costs a small model.
  void average_gradients(const std::vector<at::Tensor>& parameters, double* loss = nullptr);
  double mean(double value);
  std::vector<double> mean(const std::vector<double>& values);
  int64_t sum(int64_t value);
  int64_t max(int64_t value);
  // Rank 0's values of the tensors, on every rank (in place).
  void broadcast(const std::vector<at::Tensor>& tensors);
  // [world, n] float64: row r is rank r's `row` (n float64 values, the same n on every rank).
  at::Tensor gather_rows(const at::Tensor& row);

 private:
  DataParallel(int rank, int world);
  struct Group;
  std::unique_ptr<Group> group_;
  int rank_ = 0, world_ = 1;
};

// The process's data-parallel group; nullptr when the run is one process.
DataParallel* data_parallel();

// Hides the group for a block that is this process's own work, not the run's: a cache entry
// (an expert trained with PPO) that one rank builds while the others wait for its lock.
class WithoutDataParallel {
 public:
  WithoutDataParallel();
  ~WithoutDataParallel();
  WithoutDataParallel(const WithoutDataParallel&) = delete;
  WithoutDataParallel& operator=(const WithoutDataParallel&) = delete;

 private:
  std::unique_ptr<DataParallel> hidden_;
};

// The signal that interrupts the run (algorithms/interrupt.h), agreed by every rank: one rank's
// Ctrl-C stops them all at the same iteration.
int agreed_interrupt_signal();

// This rank's share of an offline minibatch: rows rank, rank + world, ... A rank with no row
// gets the first one back with *loss_scale = 0. *loss_scale makes the mean over ranks of the
// ranks' per-row-mean losses the mean over the whole minibatch: local rows × world / all rows.
// One process: the rows unchanged, scale 1.
std::vector<int64_t> local_rows(const std::vector<int64_t>& rows, double* loss_scale);
// The same share as positions 0..size-1 of the minibatch (for tensors that follow its rows).
std::vector<int64_t> local_positions(int64_t size, double* loss_scale);

// A 64-bit digest (FNV-1a) of the bytes of the module's parameters and buffers, in order: ranks
// that stayed in step have the same one.
uint64_t parameter_digest(torch::nn::Module& module);

// The seed of rank `rank`'s own random streams (rollout sampling, its envs); rank 0 keeps `seed`,
// so a one-process run is unchanged.
uint64_t rank_seed(uint64_t seed, int rank);

}  // namespace tandem::algorithms
