// What one PPO minibatch step costs on Hopper's shapes (obs 11, act 3, 64-64 tanh actor and
// critic, a rollout of 2048 steps, 10 epochs of 32 minibatches of 64), one thread:
//
//   tandem  update_epochs() with the Gaussian MLP policy, PPO's loss and the shared value loss:
//           the code a training run executes, statistics and checks included;
//   plain   the same math written as a plain LibTorch loop (two nn::Sequential MLPs, Adam over
//           the parameter list, clip_grad_norm_), the way one would write it without tandem;
//   act     the policy's act() at batch 1 with the observation normalizer's update: the
//           rollout's per-step cost beyond the simulator.
//
// Prints one JSON line per measurement: {"impl": ..., "us_per_step": ...}, the median of
// --repeats timed updates after one warm-up. bench/ppo_update_compare.py runs it beside the same
// loop in Python torch and prints the ratios.
//
// --profile IMPL: instead, one update of tandem or plain with every top-level ATen op and autograd
// node counted and timed (RecordFunction; inner ops of an op count in it): where a step's time
// goes.
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agents/gaussian_mlp.h"
#include "algorithms/flat_parameters.h"
#include "algorithms/ppo.h"
#include "algorithms/update_epochs.h"

namespace {

using namespace tandem;
constexpr int64_t kObs = 11, kAct = 3, kSteps = 2048;

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// --profile: top-level ops by name, with calls and inclusive time
struct OpTimer : at::ObserverContext {
  double start = 0;
  bool top = false;
};
thread_local int op_depth = 0;
std::map<std::string, std::pair<int64_t, double>> op_stats;

std::unique_ptr<at::ObserverContext> op_start(const at::RecordFunction&) {
  auto t = std::make_unique<OpTimer>();
  t->top = op_depth++ == 0;
  t->start = seconds_now();
  return t;
}

void op_end(const at::RecordFunction& fn, at::ObserverContext* ctx) {
  --op_depth;
  auto* t = static_cast<OpTimer*>(ctx);
  if (!t->top) return;
  auto& [calls, seconds] = op_stats[fn.name()];
  ++calls;
  seconds += seconds_now() - t->start;
}

// Runs fn once (after one untimed call) with every op counted; prints a table per step.
void profile(const char* impl, const std::function<int64_t()>& fn) {
  fn();
  at::CallbackHandle handle = at::addGlobalCallback(at::RecordFunctionCallback(op_start, op_end));
  const double t0 = seconds_now();
  const int64_t steps = fn();
  const double total = seconds_now() - t0;
  at::removeCallback(handle);
  std::vector<std::pair<std::string, std::pair<int64_t, double>>> rows(op_stats.begin(),
                                                                       op_stats.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  int64_t calls = 0;
  for (const auto& r : rows) calls += r.second.first;
  std::printf(
      "%s: %.1f top-level ops and %.1f us per minibatch step (profiled: slower than "
      "unprofiled)\n%-36s %8s %8s\n",
      impl, static_cast<double>(calls) / steps, total * 1e6 / steps, "op", "calls/step", "us/step");
  for (size_t i = 0; i < std::min<size_t>(rows.size(), 30); ++i)
    std::printf("%-36s %8.2f %8.1f\n", rows[i].first.c_str(),
                static_cast<double>(rows[i].second.first) / steps,
                rows[i].second.second * 1e6 / steps);
  op_stats.clear();
}

// median over `repeats` calls of fn(), after one untimed call; fn returns the steps it took
double median_us_per_step(int repeats, const std::function<int64_t()>& fn) {
  fn();
  std::vector<double> us;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = seconds_now();
    const int64_t steps = fn();
    us.push_back((seconds_now() - t0) * 1e6 / steps);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

// A rollout as the collector leaves it once advantages are computed: [1 env, 2048 steps].
agents::TrajectoryBatch synthetic_rollout(agents::PolicyImpl& policy) {
  agents::TrajectoryBatch b;
  b.obs = torch::randn({1, kSteps, kObs});
  b.env_obs = b.obs.clone();
  b.actions = torch::randn({1, kSteps, kAct}) * 0.5;
  b.mask = torch::ones({1, kSteps});
  b.episode_start = torch::zeros({1, kSteps}, torch::kBool);
  b.episode_end = torch::zeros({1, kSteps}, torch::kBool);
  b.rewards = torch::randn({1, kSteps});
  {
    torch::NoGradGuard no_grad;
    agents::EvaluateResult ev = policy.evaluate(b);
    b.log_probs = ev.log_prob;
    b.values = ev.value;
  }
  b.next_values = b.values;
  b.advantages = torch::randn({1, kSteps});
  b.returns = b.advantages + b.values;
  return b;
}

using Runner = std::function<double(const std::function<int64_t()>&)>;

double bench_tandem(const Runner& measure) {
  auto policy = std::make_shared<agents::GaussianMlpImpl>(kObs, kAct, agents::GaussianMlpConfig{});
  const agents::TrajectoryBatch batch = synthetic_rollout(*policy);
  algorithms::PpoConfig config;
  algorithms::FlatParameters flat(policy->parameters());
  torch::optim::Adam adam({flat.flat()},
                          torch::optim::AdamOptions(config.base.learning_rate).eps(1e-5));
  algorithms::UpdateEpochs how{
      config.base,
      "ppo",
      "lower learning_rate",
      [&](const agents::EvaluateResult& ev, const agents::TrajectoryBatch& mb,
          const torch::Tensor& adv) { return algorithms::ppo_policy_loss(ev, mb, adv, config); },
      {}};
  return measure([&] {
    json out = algorithms::update_epochs(*policy, adam, flat.flat(), batch, 1, how);
    return out.at("losses/updates").get<int64_t>();
  });
}

// The plain loop: what the update is without tandem's abstractions.
torch::nn::Sequential plain_mlp(int64_t out, double gain) {
  torch::nn::Sequential net(torch::nn::Linear(kObs, 64), torch::nn::Tanh(),
                            torch::nn::Linear(64, 64), torch::nn::Tanh(),
                            torch::nn::Linear(64, out));
  torch::NoGradGuard no_grad;
  for (auto& p : net->named_parameters()) {
    if (p.key().find("weight") != std::string::npos)
      torch::nn::init::orthogonal_(p.value(), p.key().rfind("4.", 0) == 0 ? gain : std::sqrt(2.0));
    else
      p.value().zero_();
  }
  return net;
}

double bench_plain(const Runner& measure) {
  torch::nn::Sequential actor = plain_mlp(kAct, 0.01), critic = plain_mlp(1, 1.0);
  torch::Tensor log_std = torch::zeros({kAct}, torch::requires_grad());
  std::vector<torch::Tensor> params = actor->parameters();
  for (auto& p : critic->parameters()) params.push_back(p);
  params.push_back(log_std);
  torch::optim::Adam adam(params, torch::optim::AdamOptions(3e-4).eps(1e-5));
  const double clip = 0.2, log_sqrt_2pi = 0.5 * std::log(2 * M_PI);

  torch::Tensor obs = torch::randn({kSteps, kObs}), actions = torch::randn({kSteps, kAct}) * 0.5;
  torch::Tensor old_logp, old_values;
  auto log_prob = [&](const torch::Tensor& mean, const torch::Tensor& a) {
    torch::Tensor z = (a - mean) / log_std.exp();
    return (-0.5 * z.pow(2) - log_std - log_sqrt_2pi).sum(-1);
  };
  {
    torch::NoGradGuard no_grad;
    old_logp = log_prob(actor->forward(obs), actions);
    old_values = critic->forward(obs).squeeze(-1);
  }
  torch::Tensor advantages = torch::randn({kSteps}), returns = advantages + old_values;
  const int64_t mb = kSteps / 32;
  return measure([&] {
    int64_t steps = 0;
    for (int epoch = 0; epoch < 10; ++epoch) {
      torch::Tensor order = torch::randperm(kSteps, torch::kLong);
      for (int64_t start = 0; start < kSteps; start += mb) {
        torch::Tensor idx = order.slice(0, start, start + mb);
        torch::Tensor o = obs.index_select(0, idx), a = actions.index_select(0, idx);
        torch::Tensor adv = advantages.index_select(0, idx), ret = returns.index_select(0, idx);
        torch::Tensor v_old = old_values.index_select(0, idx);
        torch::Tensor logratio = log_prob(actor->forward(o), a) - old_logp.index_select(0, idx);
        torch::Tensor ratio = logratio.exp();
        torch::Tensor pg = torch::max(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip)).mean();
        torch::Tensor v = critic->forward(o).squeeze(-1);
        torch::Tensor v_clipped = v_old + (v - v_old).clamp(-clip, clip);
        torch::Tensor vl = 0.5 * torch::max((v - ret).pow(2), (v_clipped - ret).pow(2)).mean();
        torch::Tensor entropy = (log_std + log_sqrt_2pi + 0.5).sum();
        torch::Tensor loss = pg - 0.0 * entropy + 0.5 * vl;
        {
          torch::NoGradGuard no_grad;
          (void)((ratio - 1) - logratio).mean().item<double>();
          (void)((ratio - 1).abs() > clip).to(torch::kFloat32).mean().item<double>();
        }
        adam.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(params, 0.5);
        adam.step();
        ++steps;
      }
    }
    return steps;
  });
}

double bench_act(int repeats) {
  auto policy = std::make_shared<agents::GaussianMlpImpl>(kObs, kAct, agents::GaussianMlpConfig{});
  const torch::Tensor raw = torch::randn({1, kObs}, torch::kFloat64);
  const agents::PolicyState state;
  return median_us_per_step(repeats, [&] {
    constexpr int64_t kActs = 20000;
    for (int64_t i = 0; i < kActs; ++i) {
      torch::Tensor obs = policy->preprocess(raw, /*update=*/true);
      agents::ActResult r = policy->act(obs, state);
      (void)r;
    }
    return kActs;
  });
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 5;
  std::string only, profiled;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) {
      repeats = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else if (!std::strcmp(argv[i], "--profile") && i + 1 < argc) {
      profiled = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--repeats N] [--only tandem|plain|act] [--profile tandem|plain]\n"
                   "Times one PPO minibatch step on Hopper's shapes, one thread (see the source)\n",
                   argv[0]);
      return 2;
    }
  }
  torch::set_num_threads(1);
  torch::manual_seed(1);
  auto report = [](const char* impl, double us) {
    std::printf("{\"impl\": \"%s\", \"us_per_step\": %.2f}\n", impl, us);
    std::fflush(stdout);
  };
  if (!profiled.empty()) {
    const Runner run_profile = [&](const std::function<int64_t()>& fn) {
      profile(profiled.c_str(), fn);
      return 0.0;
    };
    if (profiled == "tandem") bench_tandem(run_profile);
    if (profiled == "plain") bench_plain(run_profile);
    return 0;
  }
  const Runner timed = [&](const std::function<int64_t()>& fn) {
    return median_us_per_step(repeats, fn);
  };
  if (only.empty() || only == "tandem") report("tandem", bench_tandem(timed));
  if (only.empty() || only == "plain") report("plain", bench_plain(timed));
  if (only.empty() || only == "act") report("act", bench_act(repeats));
  return 0;
}
