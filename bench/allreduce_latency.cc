// The cost of one data-parallel gradient step's all-reduce (DataParallel::average_gradients over
// c10d's Gloo group) for gradient sizes from one number to the sentiment LM's 2.2M parameters.
// Run as the ranks of a data-parallel group, e.g. by bench/data_parallel_throughput.sh:
//   RANK=r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=P build/bench/allreduce_latency
#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "algorithms/data_parallel.h"

int main() {
  using tandem::algorithms::DataParallel;
  torch::set_num_threads(1);
  DataParallel::start(tandem::algorithms::data_parallel_place_from_env());
  DataParallel* dp = tandem::algorithms::data_parallel();
  if (!dp) {
    std::fprintf(stderr, "run it as a rank of a data-parallel group (RANK, WORLD_SIZE, ...)\n");
    return 1;
  }
  // 9.9k: Hopper's 64-64 actor and critic; 2.2M: text/sentiment's LM
  for (int64_t n : {int64_t{1}, int64_t{9924}, int64_t{100000}, int64_t{2200000}}) {
    torch::Tensor p = torch::zeros({n}, torch::requires_grad());
    p.mutable_grad() = torch::ones({n});
    const int reps = n > 1000000 ? 20 : 300;
    double loss = 1;
    for (int i = 0; i < 10; ++i) dp->average_gradients({p}, &loss);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) dp->average_gradients({p}, &loss);
    const double ms =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3 / reps;
    if (dp->rank() == 0)
      std::printf("all-reduce of %8lld float32 gradients over %d processes: %7.3f ms\n",
                  static_cast<long long>(n), dp->world(), ms);
  }
  return 0;
}
