// Language-model throughput on CPU, default TransformerLmConfig (4 layers × 4 heads × 192,
// context 128, vocab 2048 = the tokenizer's default).
//
// BM_GenerateCached/<batch>/<new>      prefill a 1-token prompt per row, then <new> sampled
//                                      tokens with the KV cache (one step: O(current length)).
// BM_GenerateRecompute/<batch>/<new>   the same tokens, re-encoding the whole prefix at every
//                                      step (the trunk over [B, t], logits at the last position).
// One item is one generated token of one row. Target: cached items/s >= 5 × recompute items/s
// at 128 new tokens.
// BM_PretrainStep/<batch>               pretrain_lm steps on random tokens, windows of 128: one
//                                      item is one training token (forward, backward, AdamW).
// Threads: TANDEM_BENCH_THREADS, default 1 for generation and 2 for pretraining (the budget the
// suites plan for). Debian's libtorch does its matrix products in OpenBLAS, whose own thread
// count is OPENBLAS_NUM_THREADS (default: every core), not torch::set_num_threads(); on a shared
// machine run with OPENBLAS_NUM_THREADS=1, or the two thread pools oversubscribe the cores.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <vector>

#include "agents/lm_pretrain.h"
#include "agents/transformer_lm.h"

namespace tandem::agents {
namespace {

int bench_threads(int fallback) {
  const char* s = std::getenv("TANDEM_BENCH_THREADS");
  return s != nullptr ? std::max(1, std::atoi(s)) : fallback;
}

TransformerLm default_lm() {
  torch::manual_seed(0);
  TransformerLm lm(TransformerLmConfig{});
  lm->eval();
  return lm;
}

void BM_GenerateCached(benchmark::State& state) {
  torch::set_num_threads(bench_threads(1));
  const int64_t B = state.range(0), N = state.range(1);
  TransformerLm lm = default_lm();
  torch::NoGradGuard no_grad;
  SamplingOptions sampling;
  at::Generator gen = make_cpu_generator(0);
  torch::Tensor prompt = torch::zeros({B, 1}, torch::kLong);  // [B, 1]
  torch::Tensor real = torch::ones({B, 1}, torch::kBool);     // [B, 1]
  for (auto _ : state) {
    KvCache cache = lm->new_cache(B);
    torch::Tensor logits = lm->prefill(cache, prompt, real).logits;  // [B, V]
    for (int64_t t = 0; t < N; ++t) {
      torch::Tensor next = sample_tokens(logits, sampling, gen);  // [B]
      if (t + 1 < N) logits = lm->step(cache, next).logits;
    }
    benchmark::DoNotOptimize(logits.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * B * N);
}

void BM_GenerateRecompute(benchmark::State& state) {
  torch::set_num_threads(bench_threads(1));
  const int64_t B = state.range(0), N = state.range(1);
  TransformerLm lm = default_lm();
  torch::NoGradGuard no_grad;
  SamplingOptions sampling;
  at::Generator gen = make_cpu_generator(0);
  for (auto _ : state) {
    torch::Tensor seq = torch::zeros({B, 1}, torch::kLong);  // [B, t]
    for (int64_t t = 0; t < N; ++t) {
      const int64_t T = seq.size(1);
      torch::Tensor positions = torch::arange(T, torch::kLong).unsqueeze(0).expand({B, T});
      torch::Tensor h = lm->hidden(seq, positions, torch::ones({B, T}, torch::kBool));  // [B,T,C]
      torch::Tensor logits = lm->logits(h.select(1, T - 1));                            // [B, V]
      torch::Tensor next = sample_tokens(logits, sampling, gen);                        // [B]
      if (t + 1 < N) seq = torch::cat({seq, next.unsqueeze(1)}, 1);
    }
    benchmark::DoNotOptimize(seq.data_ptr());
  }
  state.SetItemsProcessed(state.iterations() * B * N);
}

void BM_PretrainStep(benchmark::State& state) {
  torch::set_num_threads(bench_threads(2));
  const int64_t B = state.range(0), steps = 3;
  TransformerLm lm = default_lm();
  LmCorpus corpus;
  corpus.eot_id = 0;
  torch::manual_seed(1);
  for (int d = 0; d < 200; ++d) {
    torch::Tensor doc = torch::randint(1, 2048, {100}, torch::kLong);
    corpus.train.emplace_back(doc.data_ptr<int64_t>(), doc.data_ptr<int64_t>() + 100);
  }
  PretrainConfig config;
  config.steps = steps;
  config.batch_size = B;
  config.eval_every = 0;
  double tokens_per_second = 0;
  for (auto _ : state) {
    PretrainMetrics m = pretrain_lm(*lm, corpus, config);  // no validation documents: no eval
    tokens_per_second = m.tokens_per_second;
  }
  state.SetItemsProcessed(state.iterations() * steps * B * lm->config().context);
  state.counters["train_tokens_per_s"] = tokens_per_second;
  state.counters["parameters"] = static_cast<double>(lm->num_parameters());
}

BENCHMARK(BM_GenerateCached)->ArgsProduct({{16, 64}, {64, 128}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GenerateRecompute)->ArgsProduct({{16, 64}, {64, 128}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PretrainStep)->Arg(32)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace tandem::agents
