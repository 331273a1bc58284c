// Segment preference pairs (feedback.h, make_segment_pairs): Christiano-style segments of
// independent episodes, or common-state pairs that branch from one state.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "agents/torch_seed.h"
#include "algorithms/evaluation.h"
#include "algorithms/feedback.h"
#include "algorithms/rollout.h"
#include "algorithms/segment_labels.h"
#include "envs/error.h"
#include "envs/text/hash.h"

namespace tandem::algorithms {
namespace {

constexpr int64_t kChunk = 64;  // episodes played together

// Steps every env (already at its branch state; first_obs[k] its observation) with `policy`,
// sampling, for at most `steps` steps (0: to the episode's end) or until its episode ends. The
// actions each env took ([n_k, act_dim], clipped to the action space as the env got them).
std::vector<torch::Tensor> continue_episodes(agents::PolicyImpl& policy,
                                             std::vector<std::unique_ptr<envs::Env>>& envs,
                                             const std::vector<std::vector<float>>& first_obs,
                                             int64_t steps) {
  torch::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(envs.size());
  const envs::EnvSpec& spec = envs.front()->spec();
  const int64_t dim = spec.observation_space.flat_size();
  const int64_t act_dim = spec.action_space.flat_size();
  torch::Tensor obs = torch::zeros({n, dim});
  for (int64_t k = 0; k < n; ++k)
    std::memcpy(obs.data_ptr<float>() + k * dim, first_obs[k].data(), dim * sizeof(float));
  std::vector<std::vector<torch::Tensor>> taken(n);
  std::vector<bool> running(n, true);
  agents::PolicyState state = policy.initial_state(n);
  for (int64_t t = 0, live = n; live > 0 && (steps == 0 || t < steps); ++t) {
    agents::ActResult a = policy.act(policy.preprocess(obs, /*update=*/false), state, false);
    state = a.state;
    torch::Tensor act =
        clip_to_space(a.action, spec.action_space).to(torch::kFloat32).reshape({n, act_dim});
    act = act.contiguous();
    const float* as = act.data_ptr<float>();
    for (int64_t k = 0; k < n; ++k) {
      if (!running[k]) continue;
      taken[k].push_back(act[k].clone());
      envs::StepResult r =
          envs[k]->step(std::vector<float>(as + k * act_dim, as + (k + 1) * act_dim));
      std::memcpy(obs.data_ptr<float>() + k * dim, r.obs.data(), dim * sizeof(float));
      if (r.terminated || r.truncated) {
        running[k] = false;
        --live;
      }
    }
  }
  std::vector<torch::Tensor> out;
  for (auto& steps_taken : taken) out.push_back(torch::stack(steps_taken));
  return out;
}

// One side of a pair before its replay: where it starts, what it does, where its segment begins.
struct Side {
  json context;
  torch::Tensor actions;  // [T, act_dim], the prefix included
  int64_t begin = 0;
  int64_t source = 0;
};

// Episodes of `sources` from the given seeds, kChunk at a time, policy by policy: each row's
// context and actions. `who[i]` plays row i.
void play_episodes(const std::vector<PolicySource>& sources, const EnvFactory& make_env, bool eval,
                   const std::vector<int64_t>& who, const std::vector<uint64_t>& seed,
                   std::vector<Side>* rows, bool progress) {
  const int64_t count = static_cast<int64_t>(who.size());
  int64_t played = 0;
  for (size_t k = 0; k < sources.size(); ++k) {
    std::vector<int64_t> mine;
    for (int64_t i = 0; i < count; ++i)
      if (who[i] == static_cast<int64_t>(k)) mine.push_back(i);
    for (size_t start = 0; start < mine.size(); start += kChunk) {
      const size_t end = std::min(mine.size(), start + kChunk);
      std::vector<std::unique_ptr<envs::Env>> envs;
      std::vector<std::vector<float>> first;
      for (size_t r = start; r < end; ++r) {
        envs.push_back(make_env());
        envs.back()->set_evaluation(eval);
        first.push_back(envs.back()->reset(seed[mine[r]]));
      }
      EpisodeSet set = run_episodes(*sources[k].policy, envs, first, /*deterministic=*/false);
      for (size_t r = start; r < end; ++r) {
        const int64_t j = static_cast<int64_t>(r - start);
        Side& side = (*rows)[mine[r]];
        side.context = set.contexts[j];
        side.actions = set.batch.actions[j].slice(0, 0, set.lengths[j]).clone();
        side.source = static_cast<int64_t>(k);
      }
      played += static_cast<int64_t>(end - start);
      if (progress)
        std::fprintf(stderr, "\rpreference segments: %lld/%lld episodes",
                     static_cast<long long>(played), static_cast<long long>(count));
    }
  }
  if (progress) std::fprintf(stderr, "\n");
}

// Common-state sides 2p and 2p + 1 of every pair: a prefix episode per pair (drawn player and
// start), cut at a uniformly drawn step b; then each side, at the state b of its pair, continued
// by its own drawn player. Every side's actions are the prefix's first b actions, then its own.
std::vector<Side> common_state_sides(const std::vector<PolicySource>& sources,
                                     const EnvFactory& make_env, const PreferenceConfig& config,
                                     text::SplitMix64& rng, bool progress) {
  for (const PolicySource& s : sources)
    if (!s.policy->stateless())
      throw Error("pair_start \"common\" branches stateless (control) policies; " + s.name +
                  "'s carries a state (whole-episode pairs of one policy already share their "
                  "start: segment_length 0)");
  const bool eval = config.prompts == "eval";
  const int64_t pairs = config.pairs;
  std::vector<int64_t> prefix_source(pairs), branch_source(2 * pairs);
  std::vector<uint64_t> seed(pairs);
  for (int64_t p = 0; p < pairs; ++p) {
    prefix_source[p] = static_cast<int64_t>(rng.below(sources.size()));
    seed[p] = rng.next();
    branch_source[2 * p] = static_cast<int64_t>(rng.below(sources.size()));
    branch_source[2 * p + 1] = static_cast<int64_t>(rng.below(sources.size()));
  }
  std::vector<Side> prefixes(pairs);
  play_episodes(sources, make_env, eval, prefix_source, seed, &prefixes, progress);
  // the branch state: any state the prefix's episode reached before it ended
  std::vector<int64_t> branch(pairs);
  for (int64_t p = 0; p < pairs; ++p)
    branch[p] = static_cast<int64_t>(rng.below(prefixes[p].actions.size(0)));

  std::vector<Side> sides(2 * pairs);
  for (size_t k = 0; k < sources.size(); ++k) {
    std::vector<int64_t> mine;
    for (int64_t i = 0; i < 2 * pairs; ++i)
      if (branch_source[i] == static_cast<int64_t>(k)) mine.push_back(i);
    for (size_t start = 0; start < mine.size(); start += kChunk) {
      const size_t end = std::min(mine.size(), start + kChunk);
      std::vector<std::unique_ptr<envs::Env>> envs;
      std::vector<std::vector<float>> at_branch;
      for (size_t r = start; r < end; ++r) {
        const Side& prefix = prefixes[mine[r] / 2];
        const int64_t b = branch[mine[r] / 2];
        envs.push_back(make_env());
        envs.back()->set_evaluation(eval);
        std::vector<float> obs = envs.back()->reset_to_context(prefix.context);
        const torch::Tensor a = prefix.actions.contiguous();
        const int64_t act_dim = a.size(1);
        for (int64_t t = 0; t < b; ++t) {
          const float* at = a.data_ptr<float>() + t * act_dim;
          obs = envs.back()->step(std::vector<float>(at, at + act_dim)).obs;
        }
        at_branch.push_back(std::move(obs));
      }
      std::vector<torch::Tensor> continued =
          continue_episodes(*sources[k].policy, envs, at_branch, config.segment_length);
      for (size_t r = start; r < end; ++r) {
        const int64_t i = mine[r], b = branch[i / 2];
        const Side& prefix = prefixes[i / 2];
        sides[i] = {prefix.context,
                    torch::cat({prefix.actions.slice(0, 0, b), continued[r - start]}), b,
                    static_cast<int64_t>(k)};
      }
    }
  }
  return sides;
}

}  // namespace

std::vector<PreferencePair> make_segment_pairs(const std::vector<PolicySource>& sources,
                                               const EnvFactory& make_env,
                                               const PreferenceConfig& config, bool progress,
                                               const TeacherValue* teacher) {
  TANDEM_CHECK(!sources.empty(), "make_segment_pairs needs a policy");
  const bool advantage = config.label == "advantage";
  if (advantage && !teacher)
    throw Error("label \"advantage\" needs a critic to measure advantages with");
  agents::TorchSeedScope seeded(static_cast<uint64_t>(config.seed) * 2654435761ull + 23);
  text::SplitMix64 rng(static_cast<uint64_t>(config.seed) ^ 0x5e9e47e5ull);
  const bool eval = config.prompts == "eval";
  const int64_t sides = 2 * config.pairs;  // side 2i and 2i + 1 of pair i

  std::vector<Side> side(sides);
  const bool common = config.pair_start == "common";
  if (common) {
    side = common_state_sides(sources, make_env, config, rng, progress);
  } else {
    // who plays each side, and from which start; each side's segment is cut below
    std::vector<int64_t> who(sides);
    std::vector<uint64_t> seed(sides);
    for (int64_t i = 0; i < sides; ++i) {
      who[i] = static_cast<int64_t>(rng.below(sources.size()));
      seed[i] = rng.next();
    }
    play_episodes(sources, make_env, eval, who, seed, &side, progress);
  }

  // each side replayed for its observations and its return over the segment (independent
  // sides: cut at a uniformly drawn place first); then the label
  auto env = make_env();
  env->set_evaluation(eval);
  auto segment = [&](int64_t i) {
    Side& s = side[i];
    if (!common) {
      const int64_t length = s.actions.size(0);
      const int64_t wanted = config.segment_length > 0 ? config.segment_length : length;
      s.begin = length > wanted ? static_cast<int64_t>(rng.below(length - wanted + 1)) : 0;
      s.actions = s.actions.slice(0, 0, std::min(length, s.begin + wanted));
    }
    ReplayTail tail;
    Episode e = replay_actions(
        *env, s.context, s.actions, s.begin,
        "segment of " + sources[s.source].name + "'s episode " + s.context.dump(), &tail);
    e.source = sources[s.source].name;
    if (advantage) label_advantage(e, tail, *teacher);
    return e;
  };
  std::vector<PreferencePair> pairs;
  for (int64_t p = 0; p < config.pairs; ++p) {
    Episode a = segment(2 * p);
    Episode b = segment(2 * p + 1);
    const double u_label = rng.uniform();
    const double u_flip = rng.uniform();
    pairs.push_back(bradley_terry_pair(std::move(a), std::move(b), config.temperature,
                                       config.flip_fraction, u_label, u_flip));
  }
  return pairs;
}

}  // namespace tandem::algorithms
