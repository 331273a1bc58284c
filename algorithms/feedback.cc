#include "algorithms/feedback.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "agents/policy_factory.h"
#include "agents/torch_seed.h"
#include "algorithms/checkpoint.h"
#include "algorithms/evaluation.h"
#include "algorithms/expert.h"
#include "algorithms/segment_labels.h"
#include "envs/cache_build.h"
#include "envs/error.h"
#include "envs/file_lock.h"
#include "envs/text/hash.h"
#include "envs/text/tokenizer.h"

namespace tandem::algorithms {
namespace fs = std::filesystem;
namespace {

constexpr int kVersion = 1;         // whole episodes
constexpr int kSegmentVersion = 2;  // segments: EPISODE + segment_begin, source
constexpr int64_t kChunk = 64;      // episode starts sampled together

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// What a cache key adds for the env's gold signal: the env's own description of it
// (EnvSpec::recommended "gold_reward", which text tasks set), so feedback made under an earlier
// gold reward is made again instead of failing to replay; nothing where the env gives none
// (keys stay as they were).
// What a cached file's episodes replay against beside the key's own fields: the env's gold reward
// settings and its start state for a fixed seed, so a change in how an env draws its start (the
// reset noise's order once differed between compilers) makes new files instead of refusing the
// old ones on replay.
std::string gold_key(const EnvFactory& make_env) {
  const auto env = make_env();
  const json gold = env->spec().recommended.value("gold_reward", json());
  std::string key = gold.is_null() ? std::string() : "|gold " + gold.dump();
  if (!env->spec().action_space.is_discrete()) {
    const std::vector<float> start = env->reset(12345);
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx",
                  static_cast<unsigned long long>(text::fnv1a64(std::string(
                      reinterpret_cast<const char*>(start.data()), start.size() * sizeof(float)))));
    key += std::string("|start ") + hex;
  }
  return key;
}

Episode row_episode(const EpisodeSet& set, int64_t k) {
  Episode e;
  e.context = set.contexts[k];
  e.env_obs = set.batch.env_obs[k].slice(0, 0, set.lengths[k]).clone();
  e.actions = set.batch.actions[k].slice(0, 0, set.lengths[k]).clone();
  e.gold_return = set.returns[k];
  e.summary = set.summaries[k];
  return e;
}

json episode_json(const Episode& e, int version) {
  torch::Tensor a = e.actions.contiguous();
  json actions = json::array();
  for (int64_t t = 0; t < a.size(0); ++t) {
    const float* p = a[t].data_ptr<float>();
    actions.push_back(std::vector<float>(p, p + a.size(1)));
  }
  json j = {{"context", e.context},
            {"actions", actions},
            {"gold_return", e.gold_return},
            {"summary", e.summary}};
  if (version == kSegmentVersion) {
    j["segment_begin"] = e.segment_begin;
    j["source"] = e.source;
    if (e.score) j["score"] = *e.score;
  }
  return j;
}

// Replays a file's EPISODE (version 1) or SEGMENT (version 2) from its recorded start.
Episode replay(envs::Env& env, const json& j, int version, const std::string& where) {
  if (!j.is_object() || !j.contains("context") || !j.contains("gold_return") ||
      !j["gold_return"].is_number())
    throw Error(where + ": an episode needs \"context\", \"actions\" and \"gold_return\"");
  const json actions = j.value("actions", json::array());
  if (!actions.is_array() || actions.empty())
    throw Error(where + ": \"actions\" must be a non-empty list of action lists");
  const int64_t act_dim = env.spec().action_space.flat_size();
  const int64_t steps = static_cast<int64_t>(actions.size());
  std::vector<float> flat;
  flat.reserve(steps * act_dim);
  for (int64_t t = 0; t < steps; ++t) {
    const json& at = actions[t];
    bool ok = at.is_array() && static_cast<int64_t>(at.size()) == act_dim;
    for (int64_t i = 0; ok && i < act_dim; ++i) {
      ok = at[i].is_number();
      if (ok) flat.push_back(at[i].get<float>());
    }
    if (!ok)
      throw Error(where + ": action " + std::to_string(t) + " must be a list of " +
                  std::to_string(act_dim) + " numbers");
  }
  const torch::Tensor a = torch::from_blob(flat.data(), {steps, act_dim}, torch::kFloat32);
  int64_t begin = 0;
  if (version == kSegmentVersion) {
    if (!j.contains("segment_begin") || !j["segment_begin"].is_number_integer() ||
        j["segment_begin"].get<int64_t>() < 0 || j["segment_begin"].get<int64_t>() >= steps)
      throw Error(where + ": a segment needs \"segment_begin\", an integer in [0, " +
                  std::to_string(steps) + ") (its first step; \"actions\" end with it)");
    begin = j["segment_begin"].get<int64_t>();
    if (j.contains("source") && !j["source"].is_string())
      throw Error(where + ": \"source\" must be a string (the policy that played it)");
    if (j.contains("score") && !j["score"].is_number())
      throw Error(where + ": \"score\" must be a number (what the label was drawn on)");
  } else if (j.contains("segment_begin")) {
    throw Error(where +
                ": \"segment_begin\" needs \"version\": " + std::to_string(kSegmentVersion));
  }
  Episode e = replay_actions(env, j["context"], a, begin, where);
  const double recorded = j["gold_return"].get<double>();
  if (std::abs(e.gold_return - recorded) > 1e-6 * std::max(1.0, std::abs(e.gold_return)))
    throw Error(where + ": replayed gold return " + std::to_string(e.gold_return) +
                " differs from the recorded " + std::to_string(recorded) +
                " (made with another env version?)");
  e.gold_return = recorded;
  e.summary = j.value("summary", json());
  e.source = j.value("source", std::string());
  if (j.contains("score")) e.score = j["score"].get<double>();
  return e;
}

// Calls fn(line, version, where) for every non-empty line of a feedback file of this kind,
// after checking that it is a JSON object of one of the `versions` and this kind and holds the
// `fields`.
void read_feedback_file(const std::string& path, const std::string& kind,
                        const std::vector<int>& versions, const std::vector<std::string>& fields,
                        const std::function<void(const json&, int, const std::string&)>& fn) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the " + kind + " file");
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::string where = path + " line " + std::to_string(number);
    check_json_depth(line, where);
    json j = parse_json_or_discarded(line);
    if (j.is_discarded() || !j.is_object()) throw Error(where + ": not a JSON object");
    const json version = j.value("version", json());
    std::string allowed;
    for (int v : versions) allowed += (allowed.empty() ? "" : " or ") + std::to_string(v);
    if (!version.is_number_integer() ||
        std::find(versions.begin(), versions.end(), version.get<int>()) == versions.end())
      throw Error(where + ": \"version\" must be " + allowed + " (see algorithms/feedback.h)");
    if (j.value("kind", std::string()) != kind)
      throw Error(where + ": \"kind\" must be \"" + kind + "\"");
    for (const std::string& field : fields)
      if (!j.contains(field)) throw Error(where + ": a " + kind + " needs \"" + field + "\"");
    fn(j, version.get<int>(), where);
  }
}

// Writes one JSON line per item; summaries are for people: bytes that are not UTF-8 become
// U+FFFD (actions are exact).
template <class T, class Fn>
void write_feedback_file(const std::string& path, const std::vector<T>& items, Fn to_json) {
  std::string text;
  for (const T& item : items)
    text += to_json(item).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  write_file_atomic(path, text);
}

}  // namespace

Episode replay_actions(envs::Env& env, const json& context, const torch::Tensor& actions,
                       int64_t begin, const std::string& where, ReplayTail* tail) {
  Episode e;
  e.context = context;
  e.segment_begin = begin;
  const int64_t steps = actions.size(0), act_dim = actions.size(1);
  e.actions = actions.to(torch::kFloat32).contiguous().clone();
  std::vector<float> obs = env.reset_to_context(context);
  const int64_t obs_dim = static_cast<int64_t>(obs.size());
  e.env_obs = torch::zeros({steps, obs_dim});
  const float* a = e.actions.data_ptr<float>();
  float* o = e.env_obs.data_ptr<float>();
  double gold = 0;
  if (tail) *tail = ReplayTail();
  for (int64_t t = 0; t < steps; ++t) {
    std::memcpy(o + t * obs_dim, obs.data(), obs_dim * sizeof(float));
    envs::StepResult s = env.step(std::vector<float>(a + t * act_dim, a + (t + 1) * act_dim));
    if (t >= begin) gold += s.reward;
    if (tail && t >= begin) tail->rewards.push_back(s.reward);
    if (tail) tail->terminated = s.terminated;
    obs = std::move(s.obs);
    if ((s.terminated || s.truncated) && t + 1 < steps)
      throw Error(where + ": the episode ended after " + std::to_string(t + 1) + " of its " +
                  std::to_string(steps) + " actions on replay (made with another env version?)");
  }
  e.gold_return = gold;
  e.summary = env.describe_episode();
  if (tail) tail->last_obs = std::move(obs);
  return e;
}

PreferencePair bradley_terry_pair(Episode a, Episode b, double temperature, double flip_fraction,
                                  double u_label, double u_flip) {
  const double p_a = sigmoid((label_score(a) - label_score(b)) / temperature);
  const bool a_wins = u_label < p_a;
  PreferencePair pair;
  pair.p_chosen = a_wins ? p_a : 1.0 - p_a;
  pair.flipped = u_flip < flip_fraction;
  const bool a_chosen = a_wins != pair.flipped;
  pair.chosen = a_chosen ? std::move(a) : std::move(b);
  pair.rejected = a_chosen ? std::move(b) : std::move(a);
  return pair;
}

std::vector<PreferencePair> make_preference_pairs(agents::PolicyImpl& policy,
                                                  const EnvFactory& make_env,
                                                  const PreferenceConfig& config, bool progress) {
  TANDEM_CHECK(config.segment_length == 0, "make_preference_pairs pairs whole episodes");
  agents::TorchSeedScope seeded(static_cast<uint64_t>(config.seed) * 2654435761ull + 17);
  text::SplitMix64 rng(static_cast<uint64_t>(config.seed) ^ 0x5eedf00dull);
  std::vector<PreferencePair> pairs;
  for (int64_t start = 0; start < config.pairs; start += kChunk) {
    const int64_t n = std::min(kChunk, config.pairs - start);
    std::vector<std::unique_ptr<envs::Env>> envs;
    std::vector<std::vector<float>> first;
    for (int64_t k = 0; k < n; ++k) {
      auto a = make_env();
      a->set_evaluation(config.prompts == "eval");
      a->reset(rng.next());
      const json context = a->context();
      auto b = make_env();
      first.push_back(a->reset_to_context(context));
      first.push_back(b->reset_to_context(context));
      envs.push_back(std::move(a));
      envs.push_back(std::move(b));
    }
    EpisodeSet set = run_episodes(policy, envs, first, /*deterministic=*/false);
    std::vector<Episode> a, b;
    for (int64_t k = 0; k < n; ++k) {
      a.push_back(row_episode(set, 2 * k));
      b.push_back(row_episode(set, 2 * k + 1));
    }
    // a tie says nothing about the gold reward: play the second side again from the same start
    for (int64_t round = 0; round < config.tie_redraws; ++round) {
      std::vector<int64_t> tied;
      for (int64_t k = 0; k < n; ++k)
        if (a[k].gold_return == b[k].gold_return) tied.push_back(k);
      if (tied.empty()) break;
      std::vector<std::unique_ptr<envs::Env>> again;
      std::vector<std::vector<float>> again_first;
      for (int64_t k : tied) {
        again.push_back(make_env());
        again.back()->set_evaluation(config.prompts == "eval");
        again_first.push_back(again.back()->reset_to_context(a[k].context));
      }
      EpisodeSet redrawn = run_episodes(policy, again, again_first, /*deterministic=*/false);
      for (size_t j = 0; j < tied.size(); ++j)
        b[tied[j]] = row_episode(redrawn, static_cast<int64_t>(j));
    }
    for (int64_t k = 0; k < n; ++k) {
      const double u_label = rng.uniform();
      const double u_flip = rng.uniform();
      pairs.push_back(bradley_terry_pair(std::move(a[k]), std::move(b[k]), config.temperature,
                                         config.flip_fraction, u_label, u_flip));
    }
    envs::cache_build_progress(static_cast<double>(pairs.size()));
    if (progress)
      std::fprintf(stderr, "\rpreference pairs: %lld/%lld", static_cast<long long>(pairs.size()),
                   static_cast<long long>(config.pairs));
  }
  if (progress) std::fprintf(stderr, "\n");
  return pairs;
}

namespace {

// Segment files (any episode cut, or played by a named policy) are version 2.
int preference_file_version(const std::vector<PreferencePair>& pairs) {
  for (const PreferencePair& p : pairs)
    for (const Episode* e : {&p.chosen, &p.rejected})
      if (e->segment_begin > 0 || !e->source.empty() || e->score) return kSegmentVersion;
  return kVersion;
}

}  // namespace

void save_preferences(const std::string& path, const std::vector<PreferencePair>& pairs) {
  const int version = preference_file_version(pairs);
  write_feedback_file(path, pairs, [version](const PreferencePair& p) {
    return json{{"version", version},
                {"kind", "preference"},
                {"p_chosen", p.p_chosen},
                {"flipped", p.flipped},
                {"chosen", episode_json(p.chosen, version)},
                {"rejected", episode_json(p.rejected, version)}};
  });
}

std::vector<PreferencePair> load_preferences(const std::string& path, const EnvFactory& make_env) {
  auto env = make_env();
  std::vector<PreferencePair> pairs;
  read_feedback_file(
      path, "preference", {kVersion, kSegmentVersion}, {"chosen", "rejected"},
      [&](const json& j, int version, const std::string& where) {
        const json p_chosen = j.value("p_chosen", json(1.0));
        const json flipped = j.value("flipped", json(false));
        if (!p_chosen.is_number() || p_chosen.get<double>() < 0 || p_chosen.get<double>() > 1)
          throw Error(where + ": \"p_chosen\" must be a probability");
        if (!flipped.is_boolean()) throw Error(where + ": \"flipped\" must be true or false");
        PreferencePair p;
        p.chosen = replay(*env, j["chosen"], version, where + ": chosen");
        p.rejected = replay(*env, j["rejected"], version, where + ": rejected");
        p.p_chosen = p_chosen.get<double>();
        p.flipped = flipped.get<bool>();
        pairs.push_back(std::move(p));
      });
  if (pairs.empty()) throw Error(path + ": no preference pairs");
  return pairs;
}

std::string cached_preferences(const std::string& key, const std::vector<PolicySource>& sources,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress, const TeacherValue* teacher) {
  // whole-episode pairs of one policy (they share their start already, whatever pair_start
  // says), and the defaults of later fields, keep the key they always had
  const bool whole = config.segment_length == 0 && sources.size() == 1 && config.label == "return";
  json settings = config_to_json(config);
  if (config.segment_length == 0) settings.erase("segment_length");
  if (config.tie_redraws == 0) settings.erase("tie_redraws");
  if (config.pair_start == "independent" || whole) settings.erase("pair_start");
  if (config.label == "return") settings.erase("label");
  const std::string full = "preferences v1|" + key + "|" + settings.dump();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(text::fnv1a64(full)));
  std::string id = make_env()->spec().id;
  for (char& c : id)
    if (c == '/') c = '_';
  const fs::path path =
      fs::path(text::default_cache_dir()) / "feedback" / (id + "-preferences-" + hex + ".jsonl");
  fs::create_directories(path.parent_path());
  FileLock lock(path.string() + ".lock");
  if (!fs::exists(path)) {
    envs::CacheBuild status(path.string(),
                            "preference pairs for " + make_env()->spec().id + " (" + key + ")",
                            static_cast<double>(config.pairs), "pairs");
    save_preferences(path.string(),
                     whole ? make_preference_pairs(*sources[0].policy, make_env, config, progress)
                           : make_segment_pairs(sources, make_env, config, progress, teacher));
  }
  return path.string();
}

std::string cached_preferences(const std::string& key, agents::PolicyImpl& policy,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress) {
  return cached_preferences(key, {{"start", &policy}}, make_env, config, progress);
}

PreferenceData preference_data(const std::string& env_id, const json& env_options,
                               const json& policy_config, agents::PolicyImpl& start,
                               const EnvFactory& make_env, const PreferenceFeedbackConfig& config,
                               bool progress) {
  std::string key =
      env_id + "|" + env_options.dump() + "|" + policy_config.dump() + gold_key(make_env);
  std::vector<PolicySource> sources = {{"start", &start}};
  std::vector<agents::Policy> snapshots;  // the expert's, when they play
  if (config.policy_mix == "expert") {
    // the expert's snapshots play, whatever the start: runs of every algorithm share the data
    const std::string where = "policy_mix \"expert\"";
    if (!env_options.is_null() && !env_options.empty())
      throw Error(where + ": the cached expert is trained with " + env_id +
                  "'s default options, not " + env_options.dump() +
                  "; use policy_mix \"start\" with env options");
    const ExpertRun expert =
        cached_expert(env_id, env_options, policy_config, config.expert_steps, progress);
    sources.clear();
    auto env = make_env();
    agents::TorchSeedScope seeded(0);  // building policies draws: the run's stream comes back
    for (const ExpertSnapshot& s : expert.snapshots) {
      snapshots.push_back(load_run_policy(s.dir, *env));
      sources.push_back({s.name, snapshots.back().get()});
    }
    key = env_id + "|" + env_options.dump() + "|expert " +
          fs::path(expert.dir).filename().string() + gold_key(make_env);
  }
  // advantage labels: the cached expert's final critic measures them (segment_labels.h)
  std::optional<TeacherValue> teacher;
  if (config.label == "advantage") {
    if (!env_options.is_null() && !env_options.empty())
      throw Error("label \"advantage\": the cached expert's critic is trained with " + env_id +
                  "'s default options, not " + env_options.dump() + "; use label \"return\"");
    const ExpertRun expert =
        cached_expert(env_id, env_options, policy_config, config.expert_steps, progress);
    agents::TorchSeedScope seeded(0);  // building a policy draws: the run's stream comes back
    teacher = load_teacher_value(expert.snapshot("late").dir, *make_env());
    key += "|teacher " + fs::path(expert.dir).filename().string() + "/late";
  }
  PreferenceConfig train;
  train.pairs = config.pairs;
  train.temperature = config.temperature;
  train.flip_fraction = config.flip_fraction;
  train.seed = config.feedback_seed;
  train.segment_length = config.segment_length;
  train.tie_redraws = config.tie_redraws;
  train.pair_start = config.pair_start;
  train.label = config.label;
  PreferenceConfig heldout = train;
  heldout.pairs = config.heldout_pairs;
  heldout.prompts = "eval";
  heldout.seed = config.feedback_seed + 1;
  PreferenceData d;
  const TeacherValue* critic = teacher ? &*teacher : nullptr;
  d.train_path = config.dataset.empty()
                     ? cached_preferences(key, sources, make_env, train, progress, critic)
                     : config.dataset;
  d.heldout_path = cached_preferences(key, sources, make_env, heldout, progress, critic);
  d.train = load_preferences(d.train_path, make_env);
  d.heldout = load_preferences(d.heldout_path, make_env);
  d.heldout_ceiling =
      preference_accuracy_ceiling(d.heldout, config.temperature, config.flip_fraction);
  return d;
}

namespace {

std::string cache_file(const std::string& env_id, const std::string& kind, const std::string& key) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(text::fnv1a64(key)));
  std::string id = env_id;
  for (char& c : id)
    if (c == '/') c = '_';
  const fs::path path =
      fs::path(text::default_cache_dir()) / "feedback" / (id + "-" + kind + "-" + hex + ".jsonl");
  fs::create_directories(path.parent_path());
  return path.string();
}

std::vector<Episode> make_demonstrations(agents::PolicyImpl& source, const EnvFactory& make_env,
                                         const DemonstrationConfig& config, bool deterministic,
                                         bool progress) {
  agents::TorchSeedScope seeded(static_cast<uint64_t>(config.demo_seed) * 2654435761ull + 29);
  text::SplitMix64 rng(static_cast<uint64_t>(config.demo_seed) ^ 0xdec0deull);
  std::vector<Episode> out;
  const int64_t starts_per_chunk = std::max<int64_t>(1, kChunk / config.best_of);
  for (int64_t start = 0; start < config.demonstrations; start += starts_per_chunk) {
    const int64_t n = std::min(starts_per_chunk, config.demonstrations - start);
    std::vector<std::unique_ptr<envs::Env>> envs;
    std::vector<std::vector<float>> first;
    for (int64_t k = 0; k < n; ++k) {
      auto probe = make_env();
      probe->reset(rng.next());
      const json context = probe->context();
      for (int64_t j = 0; j < config.best_of; ++j) {
        envs.push_back(make_env());
        first.push_back(envs.back()->reset_to_context(context));
      }
    }
    EpisodeSet set = run_episodes(source, envs, first, deterministic);
    for (int64_t k = 0; k < n; ++k) {
      int64_t best = k * config.best_of;
      for (int64_t j = 1; j < config.best_of; ++j)
        if (set.returns[k * config.best_of + j] > set.returns[best]) best = k * config.best_of + j;
      out.push_back(row_episode(set, best));
    }
    envs::cache_build_progress(static_cast<double>(out.size()));
    if (progress)
      std::fprintf(stderr, "\rdemonstrations: %lld/%lld", static_cast<long long>(out.size()),
                   static_cast<long long>(config.demonstrations));
  }
  if (progress) std::fprintf(stderr, "\n");
  return out;
}

}  // namespace

void save_demonstrations(const std::string& path, const std::vector<Episode>& episodes) {
  write_feedback_file(path, episodes, [](const Episode& e) {
    return json{
        {"version", kVersion}, {"kind", "demonstration"}, {"episode", episode_json(e, kVersion)}};
  });
}

std::vector<Episode> load_demonstrations(const std::string& path, const EnvFactory& make_env) {
  auto env = make_env();
  std::vector<Episode> episodes;
  read_feedback_file(path, "demonstration", {kVersion}, {"episode"},
                     [&](const json& j, int version, const std::string& where) {
                       episodes.push_back(replay(*env, j["episode"], version, where + ": episode"));
                     });
  if (episodes.empty()) throw Error(path + ": no demonstrations");
  return episodes;
}

DemonstrationData demonstration_data(const std::string& env_id, const json& env_options,
                                     const json& policy_config, agents::PolicyImpl& start,
                                     const EnvFactory& make_env, const DemonstrationConfig& config,
                                     bool progress) {
  // the cached expert's names become its folders (trained first, on first use)
  std::string expert_dir = config.expert;
  if (config.expert == "auto" || is_expert_name(config.expert))
    expert_dir = resolve_expert_name(config.expert == "auto" ? "expert:late" : config.expert,
                                     env_id, env_options, policy_config, config.expert_steps,
                                     progress, "demonstrations: \"expert\"");
  // an expert is named by its folder and the checkpoint's size and time: a retrained expert
  // gets new demonstrations
  std::string source = "start:" + policy_config.dump();
  if (!expert_dir.empty()) {
    const std::string ckpt = expert_dir + "/checkpoint.pt";
    if (!fs::exists(ckpt))
      throw Error("demonstrations: " + ckpt +
                  " does not exist (\"expert\" names a finished run "
                  "folder, \"auto\" or \"expert:SNAPSHOT\")");
    source = "expert:" + fs::absolute(expert_dir).string() + ":" +
             std::to_string(fs::file_size(ckpt)) + ":" +
             std::to_string(fs::last_write_time(ckpt).time_since_epoch().count());
  }
  // the key demonstrations always had, when the expert's budget is the env's
  json settings = config_to_json(config);
  if (config.expert_steps == 0) settings.erase("expert_steps");
  DemonstrationData d;
  d.path = cache_file(env_id, "demonstrations",
                      "demonstrations v1|" + env_id + "|" + env_options.dump() + "|" + source +
                          "|" + settings.dump() + gold_key(make_env));
  {
    FileLock lock(d.path + ".lock");
    if (!fs::exists(d.path)) {
      envs::CacheBuild status(d.path, "demonstrations for " + env_id + " (" + source + ")",
                              static_cast<double>(config.demonstrations), "episodes");
      if (expert_dir.empty()) {
        save_demonstrations(d.path, make_demonstrations(start, make_env, config, false, progress));
      } else {
        agents::TorchSeedScope seeded(0);  // the run's random stream, cached or not
        agents::Policy expert = load_run_policy(expert_dir, *make_env());
        save_demonstrations(d.path, make_demonstrations(*expert, make_env, config,
                                                        config.expert_deterministic, progress));
      }
    }
  }
  d.episodes = load_demonstrations(d.path, make_env);
  for (const Episode& e : d.episodes) d.gold_return_mean += e.gold_return / d.episodes.size();
  return d;
}

double preference_accuracy_ceiling(const std::vector<PreferencePair>& pairs, double temperature,
                                   double flip_fraction) {
  double sum = 0;
  for (const PreferencePair& p : pairs) {
    const double q = sigmoid((label_score(p.chosen) - label_score(p.rejected)) / temperature);
    const double label = q * (1 - flip_fraction) + (1 - q) * flip_fraction;
    sum += std::max(label, 1 - label);
  }
  return pairs.empty() ? 0 : sum / pairs.size();
}

ItemBatches::ItemBatches(int64_t items, int64_t batch_size, int64_t total, int64_t eval_interval)
    : items_(items),
      batch_size_(batch_size),
      total_(total),
      eval_interval_(eval_interval),
      next_report_(eval_interval) {
  TANDEM_CHECK(items > 0 && batch_size > 0 && eval_interval > 0, "ItemBatches needs items");
}

bool ItemBatches::next(std::vector<int64_t>* rows) {
  if (processed_ >= total_) return false;
  if (position_ >= static_cast<int64_t>(order_.size())) {
    torch::Tensor perm = torch::randperm(items_, torch::kLong);
    order_.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + items_);
    position_ = 0;
  }
  const int64_t size = std::min({batch_size_, items_ - position_, total_ - processed_});
  rows->assign(order_.begin() + position_, order_.begin() + position_ + size);
  position_ += size;
  processed_ += size;
  return true;
}

bool ItemBatches::report_due() {
  if (processed_ < next_report_ && processed_ < total_) return false;
  while (next_report_ <= processed_) next_report_ += eval_interval_;
  return true;
}

json ItemBatches::state() const {
  return {{"items", items_},
          {"total", total_},
          {"processed", processed_},
          {"position", position_},
          {"next_report", next_report_},
          {"order", order_}};
}

void ItemBatches::restore(const json& state) {
  if (state.at("items").get<int64_t>() != items_ || state.at("total").get<int64_t>() != total_)
    throw Error("the checkpoint's minibatch schedule is over " + state.at("items").dump() +
                " items and a budget of " + state.at("total").dump() + ", this run's over " +
                std::to_string(items_) + " and " + std::to_string(total_) +
                ": its data or budget changed since; start afresh in a new --out");
  processed_ = state.at("processed").get<int64_t>();
  position_ = state.at("position").get<int64_t>();
  next_report_ = state.at("next_report").get<int64_t>();
  order_ = state.at("order").get<std::vector<int64_t>>();
}

agents::TrajectoryBatch episodes_batch(const std::vector<const Episode*>& episodes,
                                       agents::PolicyImpl* policy) {
  TANDEM_CHECK(!episodes.empty(), "episodes_batch of no episodes");
  const int64_t rows = static_cast<int64_t>(episodes.size());
  int64_t steps = 0;
  for (const Episode* e : episodes) steps = std::max(steps, e->actions.size(0));
  const int64_t obs_dim = episodes[0]->env_obs.size(1), act_dim = episodes[0]->actions.size(1);
  agents::TrajectoryBatch b;
  b.env_obs = torch::zeros({rows, steps, obs_dim});
  b.actions = torch::zeros({rows, steps, act_dim});
  b.mask = torch::zeros({rows, steps});
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t n = episodes[i]->actions.size(0);
    b.env_obs[i].slice(0, 0, n).copy_(episodes[i]->env_obs);
    b.actions[i].slice(0, 0, n).copy_(episodes[i]->actions);
    const int64_t begin = episodes[i]->segment_begin;
    TANDEM_CHECK(begin >= 0 && begin < n, "a segment begins within its episode");
    b.mask[i].slice(0, begin, n).fill_(1.0);  // a segment's prefix only leads to it
  }
  b.episode_start = torch::zeros({rows, steps}, torch::kBool);
  b.episode_start.select(1, 0).fill_(true);
  b.obs = policy ? policy->preprocess(b.env_obs.view({rows * steps, obs_dim}), /*update=*/false)
                       .view({rows, steps, -1})
                 : b.env_obs;
  return b;
}

}  // namespace tandem::algorithms
