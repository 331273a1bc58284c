// Where a process sits in a data-parallel run, from the variables torchrun, `tandem train
// --nproc` and srun set; without them, one process and no group.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "algorithms/data_parallel.h"
#include "envs/error.h"

namespace tandem::algorithms {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

// Sets the variables for one test and puts the environment back after it.
class Environment {
 public:
  explicit Environment(const Vars& values) {
    for (const char* name :
         {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "SLURM_PROCID",
          "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_JOB_ID", "SLURM_STEP_ID"}) {
      const char* old = ::getenv(name);
      saved_.push_back({name, old ? std::string(old) : std::string("\x01")});
      ::unsetenv(name);
    }
    for (const auto& [name, value] : values) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~Environment() {
    for (const auto& [name, value] : saved_) {
      if (value == "\x01")
        ::unsetenv(name.c_str());
      else
        ::setenv(name.c_str(), value.c_str(), 1);
    }
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST(DataParallelPlace, NoVariablesIsOneProcess) {
  Environment env(Vars{});
  const DataParallelPlace p = data_parallel_place_from_env();
  EXPECT_EQ(p.world, 1);
  EXPECT_EQ(p.rank, 0);
  EXPECT_EQ(data_parallel(), nullptr);
}

TEST(DataParallelPlace, TorchrunVariables) {
  Environment env(Vars{
      {"RANK", "1"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "10.0.0.7"}, {"MASTER_PORT", "29501"}});
  const DataParallelPlace p = data_parallel_place_from_env();
  EXPECT_EQ(p.rank, 1);
  EXPECT_EQ(p.world, 4);
  EXPECT_EQ(p.master_addr, "10.0.0.7");
  EXPECT_EQ(p.master_port, 29501);
}

TEST(DataParallelPlace, SrunVariablesNameTheFirstNodeAndAPortOfTheStep) {
  Environment env(Vars{{"SLURM_PROCID", "2"},
                       {"SLURM_STEP_NUM_TASKS", "3"},
                       {"SLURM_STEP_NODELIST", "node[03-04,07],gpu1"},
                       {"SLURM_JOB_ID", "1234"},
                       {"SLURM_STEP_ID", "0"}});
  const DataParallelPlace p = data_parallel_place_from_env();
  EXPECT_EQ(p.rank, 2);
  EXPECT_EQ(p.world, 3);
  EXPECT_EQ(p.master_addr, "node03");
  EXPECT_EQ(p.master_port, 20000 + (1234 * 31) % 20000);
}

TEST(DataParallelPlace, ABatchScriptsOwnShellIsOneProcess) {
  // sbatch -n 4 sets SLURM_NTASKS and SLURM_PROCID=0 for the script itself: not a step of 4
  Environment env(Vars{{"SLURM_PROCID", "0"}});
  EXPECT_EQ(data_parallel_place_from_env().world, 1);
}

TEST(DataParallelPlace, MalformedValuesNameTheVariable) {
  {
    Environment env(Vars{{"RANK", "4"}, {"WORLD_SIZE", "4"}});
    try {
      data_parallel_place_from_env();
      FAIL() << "RANK 4 of 4 accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("RANK='4'"), std::string::npos) << e.what();
    }
  }
  {
    Environment env(Vars{{"WORLD_SIZE", "two"}});
    EXPECT_THROW(data_parallel_place_from_env(), Error);
  }
  {
    Environment env(Vars{{"WORLD_SIZE", "2"}});
    EXPECT_THROW(data_parallel_place_from_env(), Error);  // no RANK
  }
}

TEST(DataParallelLocalRows, OneProcessKeepsTheMinibatch) {
  double scale = 0;
  EXPECT_EQ(local_rows({5, 2, 9}, &scale), (std::vector<int64_t>{5, 2, 9}));
  EXPECT_EQ(scale, 1.0);
  EXPECT_EQ(local_positions(3, &scale), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(scale, 1.0);
  EXPECT_EQ(rank_seed(77, 0), 77u) << "rank 0 is the one-process run";
  EXPECT_NE(rank_seed(77, 1), 77u);
  EXPECT_NE(rank_seed(77, 1), rank_seed(78, 0));
}

}  // namespace
}  // namespace tandem::algorithms
