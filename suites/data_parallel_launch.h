// `tandem train ... --nproc N`: the same command as N worker processes on this machine, ranks
// 0..N-1 of one data-parallel run (algorithms/data_parallel.h), as torchrun would start them:
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT in each one's
// environment. Rank 0 prints what `train` prints; the others' stdout is dropped (their errors
// still show). Ctrl-C or SIGTERM reaches every worker, which checkpoint together; when one worker
// fails the others are stopped.
#pragma once

#include <string>
#include <vector>

namespace tandem::suites {

// Runs `argv` (the command line without --nproc) as `nproc` workers; returns the exit status
// the command should have: 0 when every worker succeeded, else the first failure's.
int launch_data_parallel(const std::vector<std::string>& argv, int nproc);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_local_port();

}  // namespace tandem::suites
