// Synthetic feedback: episodes, trajectory segments and Bradley–Terry preference pairs made from
// a gold signal (the env's own return: a text task's gold reward, a control env's true return),
// stored as JSON lines, and turned into TrajectoryBatches for the learners. Learners see the
// labels, never the gold returns (they are kept in the file for evaluation and the accuracy
// ceiling).
//
// Three recipes, chosen by the feedback config (the env's recommended settings by default), not
// by the learners:
//   - whole episodes (segment_length 0, policy_mix "start": text tasks): two episodes of the
//     starting policy from one start (prompt) per pair;
//   - segments, Christiano et al. 2017 style (MuJoCo envs recommend segment_length 50 and
//     policy_mix "expert"): each side of a pair is an episode of its own (own start) played by a
//     policy drawn from the mix (the cached expert's snapshots random/early/mid/late, expert.h),
//     cut to segment_length steps at a uniformly drawn place (a shorter episode is compared
//     whole); labelled on the segments' own returns. Part of such a label is the value of the
//     state each segment starts from, which no log-ratio of the segments' actions (DPO's
//     implicit reward) can express;
//   - common-state segments (pair_start "common", segment_pairs.cc): both sides of a pair share
//     one prefix, played to a uniformly drawn step b, and branch there into two continuations
//     of segment_length steps, so a label says which continuation was better from the same
//     state — what a log-ratio of the continuations' actions can express (Hejna et al. 2023).
//     With policy_mix "start" the prefix and both continuations are the start policy's: the
//     pairs lie where the learner acts.
// Labels: P(a ≻ b) = σ((g_a − g_b) / temperature), then a flip_fraction share of labels flipped;
// g is the segment's gold return (label "return") or its advantage under the cached expert's
// critic (label "advantage", segment_labels.h).
//
// File format (one JSON object per line):
//   version 1, whole episodes (the text recipe, and demonstrations):
//     {"version": 1, "kind": "preference", "p_chosen": p, "flipped": false,
//      "chosen": EPISODE, "rejected": EPISODE}
//     {"version": 1, "kind": "demonstration", "episode": EPISODE}
//     EPISODE = {"context": env.context(), "actions": [[...], ...], "gold_return": g,
//                "summary": env.describe_episode()}
//   version 2, segment pairs (make_segment_pairs' files: every side is cut, or names its policy):
//     {"version": 2, "kind": "preference", "p_chosen": p, "flipped": false,
//      "chosen": SEGMENT, "rejected": SEGMENT}
//     SEGMENT = EPISODE + {"segment_begin": b, "source": "late"}: "actions" run from the
//       episode's start to the segment's end (the replay needs the prefix), the segment is steps
//       [b, len(actions)), "gold_return" is the env's return over the segment alone, "source"
//       names the policy that played it ("start", or a snapshot of the expert); optional
//       "score": what the label was drawn on when it is not the gold return (label "advantage").
// An episode is replayed on load: the env restarts from its context and takes the actions, which
// gives the observations back (and checks the gold return, so a file made by another version of
// the env is refused, naming the file and line). Readers accept both versions; a line of version
// 1 may not hold "segment_begin", one of version 2 must.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/policy.h"
#include "agents/trajectory_batch.h"
#include "envs/config.h"
#include "envs/env.h"

namespace tandem::algorithms {

struct Episode {
  json context;               // env.context() at its start
  torch::Tensor env_obs;      // [T, obs_dim]
  torch::Tensor actions;      // [T, act_dim]
  double gold_return = 0;     // the env's own return (of a segment: over the segment)
  json summary;               // env.describe_episode() at its end
  int64_t segment_begin = 0;  // a segment: steps [segment_begin, T); the prefix only leads there
  std::string source;         // the policy that played it ("start", a snapshot's name)
  // What the teacher labelled it on when not gold_return (label "advantage"); gold_return stays
  // the env's own return (it is what replay checks, and what evaluation reads).
  std::optional<double> score;
};

// The number a pair's label was drawn on: `score` when set, otherwise the gold return.
inline double label_score(const Episode& e) { return e.score ? *e.score : e.gold_return; }

struct PreferencePair {
  Episode chosen, rejected;
  double p_chosen = 1;   // the Bradley–Terry probability the label was drawn with
  bool flipped = false;  // the label was flipped on purpose (flip_fraction)
};

constexpr const char* kTieRedrawsHelp =
    "whole-episode pairs: a pair whose two episodes have equal gold returns has its second "
    "episode played again from the same start, up to this many times (0: never)";

constexpr const char* kPairStartHelp =
    "segment pairs: \"independent\" (each side an episode of its own start) or \"common\" "
    "(both sides branch from one state: a shared prefix to a uniformly drawn step, then two "
    "continuations of segment_length steps)";
constexpr const char* kLabelHelp =
    "what labels compare: \"return\" (the segments' gold returns) or \"advantage\" (discounted "
    "return + γ^L V(end) − V(begin), V the cached expert's critic in reward units)";

struct PreferenceConfig {
  int64_t pairs = 1000;
  double temperature = 1.0;
  double flip_fraction = 0.0;
  std::string prompts = "train";
  int64_t seed = 0;
  int64_t segment_length = 0;
  int64_t tie_redraws = 0;
  std::string pair_start = "independent";
  std::string label = "return";

  template <class V>
  void visit(V& v) {
    v.field("pairs", pairs, int64_t{1}, int64_t{10000000}, "preference pairs");
    v.field("temperature", temperature, 1e-6, 1e6,
            "P(a ≻ b) = σ((g_a − g_b) / temperature) on gold returns: the label-noise knob");
    v.field("flip_fraction", flip_fraction, 0.0, 1.0, "fraction of labels flipped afterwards");
    v.field("prompts", prompts, {"train", "eval"},
            "which episode starts (text: prompt split) the pairs come from");
    v.field("seed", seed, int64_t{0}, int64_t{1} << 53, "episode starts, sampling and labels");
    v.field("segment_length", segment_length, int64_t{0}, int64_t{1} << 30,
            "steps per compared segment (0: whole episodes)");
    v.field("tie_redraws", tie_redraws, int64_t{0}, int64_t{64}, kTieRedrawsHelp);
    v.field("pair_start", pair_start, {"independent", "common"}, kPairStartHelp);
    v.field("label", label, {"return", "advantage"}, kLabelHelp);
  }
};

using EnvFactory = std::function<std::unique_ptr<envs::Env>()>;

// The Bradley–Terry label of a pair: a is chosen when u_label < p_a = σ((g_a − g_b) /
// temperature), then the label is flipped when u_flip < flip_fraction (u_* uniform in [0, 1)).
PreferencePair bradley_terry_pair(Episode a, Episode b, double temperature, double flip_fraction,
                                  double u_label, double u_flip);

// Two episodes of `policy` (sampled) from each of config.pairs episode starts, labelled by
// Bradley–Terry on their gold returns (config.segment_length must be 0). `progress`: a progress
// line on stderr.
// Ties: a pair whose episodes have equal gold returns gets p = σ(0) = ½, a coin-flip label that
// carries no information about the gold reward (on text/sentiment about half the base model's
// pairs: most completions hold no AFINN word and score 0). Its second episode is played again
// from the same start, up to config.tie_redraws times, so ties become rare; a tie that remains
// keeps its coin-flip hard label, whose Bradley–Terry loss in expectation over the flip is the
// ½ label's, −½ log σ(d) − ½ log σ(−d) (d = r_a − r_b): minimal at d = 0, so the learner is pulled
// toward scoring the two alike, as a ½ label would. The rule reads only the returns: control
// returns are continuous and practically never tie; envs where ties are common recommend
// redraws (text/sentiment).
std::vector<PreferencePair> make_preference_pairs(agents::PolicyImpl& policy,
                                                  const EnvFactory& make_env,
                                                  const PreferenceConfig& config, bool progress);

// A policy that plays episodes for feedback, under a name ("start", a snapshot's).
struct PolicySource {
  std::string name;
  agents::PolicyImpl* policy = nullptr;
};

struct TeacherValue;  // segment_labels.h

// Segment pairs (segment_pairs.cc). pair_start "independent": each side an episode of its own
// start, sampled from a policy drawn uniformly from `sources`, cut to config.segment_length
// steps at a uniformly drawn place (whole when the episode is shorter; 0: whole episodes).
// pair_start "common": per pair a prefix policy and two continuation policies drawn uniformly
// from `sources`; the prefix's episode is cut at a uniformly drawn step b and both sides
// continue from its state at b for config.segment_length steps (0: to the episode's end), so
// both replay the same actions before b. Every side is replayed for its observations and its
// return over the segment, and labelled by Bradley–Terry on its label_score: the return, or
// (config.label "advantage") its advantage under `teacher`, which that label needs.
std::vector<PreferencePair> make_segment_pairs(const std::vector<PolicySource>& sources,
                                               const EnvFactory& make_env,
                                               const PreferenceConfig& config, bool progress,
                                               const TeacherValue* teacher = nullptr);

// What a replay saw after the last action: the observation there, whether the episode
// terminated on it (a fall, not a time limit), and the rewards of the segment's steps.
struct ReplayTail {
  std::vector<float> last_obs;
  bool terminated = false;
  std::vector<double> rewards;  // steps [begin, T)
};

// Restarts `env` from `context` and takes `actions` ([T, act_dim]): the observations before each
// action, and the env's return over steps [begin, T) (fills `tail` when given). Throws
// tandem::Error naming `where` when the episode ends before its last action.
Episode replay_actions(envs::Env& env, const json& context, const torch::Tensor& actions,
                       int64_t begin, const std::string& where, ReplayTail* tail = nullptr);

void save_preferences(const std::string& path, const std::vector<PreferencePair>& pairs);
// Throws tandem::Error naming the file and line on a malformed line, an unknown version, or an
// episode that does not replay to its recorded gold return.
std::vector<PreferencePair> load_preferences(const std::string& path, const EnvFactory& make_env);

// The pairs for (env, policies, config) from the feedback cache, made and cached under flock
// first when missing: whole-episode pairs of the one source (segment_length 0, one source), or
// segment pairs. `key` names the env and the policies.
std::string cached_preferences(const std::string& key, const std::vector<PolicySource>& sources,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress, const TeacherValue* teacher = nullptr);
std::string cached_preferences(const std::string& key, agents::PolicyImpl& policy,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress);

// The best accuracy any reward can reach on labels drawn this way: the mean over pairs of
// max(p, 1 − p) with p = σ((g_chosen − g_rejected) / temperature), flips accounted for (g: the
// label_score).
double preference_accuracy_ceiling(const std::vector<PreferencePair>& pairs, double temperature,
                                   double flip_fraction);

// Demonstrations: for each of `demonstrations` episode starts, the best (by gold return) of
// `best_of` episodes of a demonstrator: an expert (the cached expert, "auto", which MuJoCo envs
// recommend; a snapshot of it, "expert:SNAPSHOT"; or a finished run folder), or the learner's
// own starting policy (best-of-n, the text recipe). Stored as JSON lines
// {"version": 1, "kind": "demonstration", "episode": EPISODE}.
struct DemonstrationConfig {
  int64_t demonstrations = 100;
  int64_t best_of = 1;
  std::string expert;
  bool expert_deterministic = true;
  int64_t demo_seed = 0;
  int64_t expert_steps = 0;

  template <class V>
  void visit(V& v) {
    v.field("demonstrations", demonstrations, int64_t{1}, int64_t{10000000},
            "demonstration episodes");
    v.field("best_of", best_of, int64_t{1}, int64_t{1024},
            "episodes sampled per start; the one with the highest gold return is kept");
    v.field("expert", expert, std::vector<std::string>{},
            "who demonstrates: \"auto\" (the cached expert, expert.h), \"expert:SNAPSHOT\", "
            "a finished run's folder; empty: the starting policy");
    v.field("expert_deterministic", expert_deterministic,
            "an expert acts with its mean action / most likely token (the start policy samples)");
    v.field("demo_seed", demo_seed, int64_t{0}, int64_t{1} << 53, "seeds the episode starts");
    v.field("expert_steps", expert_steps, int64_t{0}, int64_t{1} << 40,
            "training budget of the cached expert (0: the env's recommended budget)");
  }
};

struct DemonstrationData {
  std::vector<Episode> episodes;
  double gold_return_mean = 0;  // the demonstrator's mean gold return
  std::string path;
};

// The run's demonstrations, from the feedback cache (made and cached under flock first).
DemonstrationData demonstration_data(const std::string& env_id, const json& env_options,
                                     const json& policy_config, agents::PolicyImpl& start,
                                     const EnvFactory& make_env, const DemonstrationConfig& config,
                                     bool progress);
void save_demonstrations(const std::string& path, const std::vector<Episode>& episodes);
std::vector<Episode> load_demonstrations(const std::string& path, const EnvFactory& make_env);

// The preference data of an offline learner (reward_model, dpo, aihf): its fields sit in the
// algorithm's config.
struct PreferenceFeedbackConfig {
  int64_t pairs = 1000;
  double temperature = 1.0;
  double flip_fraction = 0.0;
  int64_t heldout_pairs = 500;
  int64_t feedback_seed = 0;
  std::string dataset;
  int64_t segment_length = 0;
  std::string policy_mix = "start";
  int64_t expert_steps = 0;
  int64_t tie_redraws = 0;
  std::string pair_start = "independent";
  std::string label = "return";

  template <class V>
  void visit(V& v) {
    v.field("pairs", pairs, int64_t{1}, int64_t{10000000},
            "training pairs, sampled from the starting policy (ignored with dataset)");
    v.field("temperature", temperature, 1e-6, 1e6,
            "label noise: P(a ≻ b) = σ((gold_a − gold_b) / temperature)");
    v.field("flip_fraction", flip_fraction, 0.0, 1.0, "fraction of labels flipped on purpose");
    v.field("heldout_pairs", heldout_pairs, int64_t{1}, int64_t{1000000},
            "held-out pairs from the evaluation episode starts (text: eval prompts)");
    v.field("feedback_seed", feedback_seed, int64_t{0}, int64_t{1} << 53,
            "seeds the sampled pairs and labels (the run's seed does not: runs share data)");
    v.field("dataset", dataset, std::vector<std::string>{},
            "a preference file (feedback.h format); empty: generate and cache");
    v.field("segment_length", segment_length, int64_t{0}, int64_t{1} << 30,
            "steps per compared segment, cut at a random place of each episode (a shorter "
            "episode is compared whole); 0: whole episodes (MuJoCo envs recommend 50)");
    v.field("policy_mix", policy_mix, {"start", "expert"},
            "who plays the compared episodes: the starting policy, or the cached expert's "
            "snapshots random/early/mid/late in equal shares (MuJoCo envs recommend it)");
    v.field("expert_steps", expert_steps, int64_t{0}, int64_t{1} << 40,
            "training budget of the cached expert (0: the env's recommended budget)");
    v.field("tie_redraws", tie_redraws, int64_t{0}, int64_t{64}, kTieRedrawsHelp);
    v.field("pair_start", pair_start, {"independent", "common"}, kPairStartHelp);
    v.field("label", label, {"return", "advantage"}, kLabelHelp);
  }
};

struct PreferenceData {
  std::vector<PreferencePair> train, heldout;
  double heldout_ceiling = 0;  // preference_accuracy_ceiling of the held-out pairs
  std::string train_path, heldout_path;
};

// Training pairs (config.dataset, or sampled and cached) and held-out pairs (sampled on the
// evaluation episode starts), for the run's env and policy config: played by `start`, or by the
// cached expert's snapshots (policy_mix "expert"; the data is then the same whatever the start).
PreferenceData preference_data(const std::string& env_id, const json& env_options,
                               const json& policy_config, agents::PolicyImpl& start,
                               const EnvFactory& make_env, const PreferenceFeedbackConfig& config,
                               bool progress);

// The minibatch schedule of an offline learner: shuffled pair (or episode) indices, epoch after
// epoch, until `total` items are processed (--steps counts items for offline algorithms).
class ItemBatches {
 public:
  ItemBatches(int64_t items, int64_t batch_size, int64_t total, int64_t eval_interval);
  // The next minibatch's indices; false once the budget is spent.
  bool next(std::vector<int64_t>* rows);
  int64_t processed() const { return processed_; }
  double epoch() const { return static_cast<double>(processed_) / items_; }
  // True once each time an evaluation interval is crossed, and after the last minibatch.
  bool report_due();
  // The place in the schedule (the current shuffle included), for a checkpoint; restore()
  // refuses a state of another schedule (other item count or budget).
  json state() const;
  void restore(const json& state);

 private:
  int64_t items_, batch_size_, total_, eval_interval_;
  int64_t processed_ = 0, position_ = 0, next_report_;
  std::vector<int64_t> order_;
};

// Padded batch of episodes, one per row: env_obs, obs (= policy.preprocess(env_obs) without
// updating its statistics, or env_obs without a policy), actions, mask, episode_start. A
// segment's prefix is in the row (a stateful policy needs it) but masked out: masked sums (a
// reward model's score, log π of DPO) run over the segment alone.
agents::TrajectoryBatch episodes_batch(const std::vector<const Episode*>& episodes,
                                       agents::PolicyImpl* policy);

}  // namespace tandem::algorithms
