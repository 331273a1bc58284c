#include "algorithms/feedback.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "agents/policy_factory.h"
#include "agents/torch_seed.h"
#include "algorithms/checkpoint.h"
#include "algorithms/evaluation.h"
#include "envs/error.h"
#include "envs/file_lock.h"
#include "envs/text/hash.h"
#include "envs/text/tokenizer.h"

namespace tandem::algorithms {
namespace fs = std::filesystem;
namespace {

constexpr int kVersion = 1;
constexpr int64_t kChunk = 64;  // episode starts sampled together

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

Episode row_episode(const EpisodeSet& set, int64_t k) {
  Episode e;
  e.context = set.contexts[k];
  e.env_obs = set.batch.env_obs[k].slice(0, 0, set.lengths[k]).clone();
  e.actions = set.batch.actions[k].slice(0, 0, set.lengths[k]).clone();
  e.gold_return = set.returns[k];
  e.summary = set.summaries[k];
  return e;
}

json episode_json(const Episode& e) {
  torch::Tensor a = e.actions.contiguous();
  json actions = json::array();
  for (int64_t t = 0; t < a.size(0); ++t) {
    const float* p = a[t].data_ptr<float>();
    actions.push_back(std::vector<float>(p, p + a.size(1)));
  }
  return {{"context", e.context},
          {"actions", actions},
          {"gold_return", e.gold_return},
          {"summary", e.summary}};
}

// Replays the recorded actions from the recorded start.
Episode replay(envs::Env& env, const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("context") || !j.contains("gold_return") ||
      !j["gold_return"].is_number())
    throw Error(where + ": an episode needs \"context\", \"actions\" and \"gold_return\"");
  Episode e;
  e.context = j["context"];
  e.gold_return = j["gold_return"].get<double>();
  e.summary = j.value("summary", json());
  const json actions = j.value("actions", json::array());
  if (!actions.is_array() || actions.empty())
    throw Error(where + ": \"actions\" must be a non-empty list of action lists");
  const int64_t act_dim = env.spec().action_space.flat_size();
  const int64_t steps = static_cast<int64_t>(actions.size());
  std::vector<float> first = env.reset_to_context(e.context);
  e.env_obs = torch::zeros({steps, static_cast<int64_t>(first.size())});
  e.actions = torch::zeros({steps, act_dim});
  std::vector<float> obs = first;
  double gold = 0;
  for (int64_t t = 0; t < steps; ++t) {
    if (!actions[t].is_array() || static_cast<int64_t>(actions[t].size()) != act_dim)
      throw Error(where + ": action " + std::to_string(t) + " must be a list of " +
                  std::to_string(act_dim) + " numbers");
    std::vector<float> a = actions[t].get<std::vector<float>>();
    e.env_obs[t] = torch::tensor(obs);
    e.actions[t] = torch::tensor(a);
    envs::StepResult s = env.step(a);
    gold += s.reward;
    obs = s.obs;
    if ((s.terminated || s.truncated) && t + 1 < steps)
      throw Error(where + ": the episode ended after " + std::to_string(t + 1) + " of its " +
                  std::to_string(steps) + " actions on replay (made with another env version?)");
  }
  if (std::abs(gold - e.gold_return) > 1e-6 * std::max(1.0, std::abs(gold)))
    throw Error(where + ": replayed gold return " + std::to_string(gold) + " differs from the " +
                "recorded " + std::to_string(e.gold_return) + " (made with another env version?)");
  return e;
}

// Calls fn(line, where) for every non-empty line of a feedback file of this kind, after checking
// that it is a JSON object of this version and kind and holds the `fields`.
void read_feedback_file(const std::string& path, const std::string& kind,
                        const std::vector<std::string>& fields,
                        const std::function<void(const json&, const std::string&)>& fn) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the " + kind + " file");
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::string where = path + " line " + std::to_string(number);
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) throw Error(where + ": not a JSON object");
    if (j.value("version", 0) != kVersion)
      throw Error(where + ": \"version\" must be " + std::to_string(kVersion));
    if (j.value("kind", std::string()) != kind)
      throw Error(where + ": \"kind\" must be \"" + kind + "\"");
    for (const std::string& field : fields)
      if (!j.contains(field)) throw Error(where + ": a " + kind + " needs \"" + field + "\"");
    fn(j, where);
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

std::vector<PreferencePair> make_preference_pairs(agents::PolicyImpl& policy,
                                                  const EnvFactory& make_env,
                                                  const PreferenceConfig& config, bool progress) {
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
    for (int64_t k = 0; k < n; ++k) {
      Episode a = row_episode(set, 2 * k), b = row_episode(set, 2 * k + 1);
      const double p_a = sigmoid((a.gold_return - b.gold_return) / config.temperature);
      const bool a_wins = rng.uniform() < p_a;
      PreferencePair pair;
      pair.p_chosen = a_wins ? p_a : 1.0 - p_a;
      pair.flipped = rng.uniform() < config.flip_fraction;
      const bool a_chosen = a_wins != pair.flipped;
      pair.chosen = a_chosen ? std::move(a) : std::move(b);
      pair.rejected = a_chosen ? std::move(b) : std::move(a);
      pairs.push_back(std::move(pair));
    }
    if (progress)
      std::fprintf(stderr, "\rpreference pairs: %lld/%lld", static_cast<long long>(pairs.size()),
                   static_cast<long long>(config.pairs));
  }
  if (progress) std::fprintf(stderr, "\n");
  return pairs;
}

void save_preferences(const std::string& path, const std::vector<PreferencePair>& pairs) {
  write_feedback_file(path, pairs, [](const PreferencePair& p) {
    return json{{"version", kVersion},          {"kind", "preference"},
                {"p_chosen", p.p_chosen},       {"flipped", p.flipped},
                {"chosen", episode_json(p.chosen)}, {"rejected", episode_json(p.rejected)}};
  });
}

std::vector<PreferencePair> load_preferences(const std::string& path, const EnvFactory& make_env) {
  auto env = make_env();
  std::vector<PreferencePair> pairs;
  read_feedback_file(path, "preference", {"chosen", "rejected"},
                     [&](const json& j, const std::string& where) {
                       PreferencePair p;
                       p.chosen = replay(*env, j["chosen"], where + ": chosen");
                       p.rejected = replay(*env, j["rejected"], where + ": rejected");
                       p.p_chosen = j.value("p_chosen", 1.0);
                       p.flipped = j.value("flipped", false);
                       pairs.push_back(std::move(p));
                     });
  if (pairs.empty()) throw Error(path + ": no preference pairs");
  return pairs;
}

std::string cached_preferences(const std::string& key, agents::PolicyImpl& policy,
                               const EnvFactory& make_env, const PreferenceConfig& config,
                               bool progress) {
  const std::string full = "preferences v1|" + key + "|" + config_to_json(config).dump();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(text::fnv1a64(full)));
  std::string id = make_env()->spec().id;
  for (char& c : id)
    if (c == '/') c = '_';
  const fs::path path =
      fs::path(text::default_cache_dir()) / "feedback" / (id + "-preferences-" + hex + ".jsonl");
  fs::create_directories(path.parent_path());
  FileLock lock(path.string() + ".lock");
  if (!fs::exists(path))
    save_preferences(path.string(), make_preference_pairs(policy, make_env, config, progress));
  return path.string();
}

PreferenceData preference_data(const std::string& env_id, const json& env_options,
                               const json& policy_config, agents::PolicyImpl& start,
                               const EnvFactory& make_env, const PreferenceFeedbackConfig& config,
                               bool progress) {
  const std::string key = env_id + "|" + env_options.dump() + "|" + policy_config.dump();
  PreferenceConfig train;
  train.pairs = config.pairs;
  train.temperature = config.temperature;
  train.flip_fraction = config.flip_fraction;
  train.seed = config.feedback_seed;
  PreferenceConfig heldout = train;
  heldout.pairs = config.heldout_pairs;
  heldout.prompts = "eval";
  heldout.seed = config.feedback_seed + 1;
  PreferenceData d;
  d.train_path = config.dataset.empty()
                     ? cached_preferences(key, start, make_env, train, progress)
                     : config.dataset;
  d.heldout_path = cached_preferences(key, start, make_env, heldout, progress);
  d.train = load_preferences(d.train_path, make_env);
  d.heldout = load_preferences(d.heldout_path, make_env);
  d.heldout_ceiling =
      preference_accuracy_ceiling(d.heldout, config.temperature, config.flip_fraction);
  return d;
}

namespace {

std::string cache_file(const std::string& env_id, const std::string& kind,
                       const std::string& key) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(text::fnv1a64(key)));
  std::string id = env_id;
  for (char& c : id)
    if (c == '/') c = '_';
  const fs::path path = fs::path(text::default_cache_dir()) / "feedback" /
                        (id + "-" + kind + "-" + hex + ".jsonl");
  fs::create_directories(path.parent_path());
  return path.string();
}

// A finished run's policy: config.json's policy config, checkpoint.pt's weights.
agents::Policy run_policy(const std::string& dir, const envs::Env& env) {
  const json config = read_json_file(dir + "/config.json");
  if (config.at("env").at("id") != env.spec().id)
    throw Error(dir + ": the expert was trained on " + config["env"]["id"].dump() + ", not " +
                env.spec().id);
  agents::Policy policy = agents::make_policy(env, config.at("policy"), dir + "/config.json");
  load_checkpoint(dir + "/checkpoint.pt", *policy, nullptr, /*restore_rng=*/false);
  return policy;
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
    return json{{"version", kVersion}, {"kind", "demonstration"}, {"episode", episode_json(e)}};
  });
}

std::vector<Episode> load_demonstrations(const std::string& path, const EnvFactory& make_env) {
  auto env = make_env();
  std::vector<Episode> episodes;
  read_feedback_file(path, "demonstration", {"episode"},
                     [&](const json& j, const std::string& where) {
                       episodes.push_back(replay(*env, j["episode"], where + ": episode"));
                     });
  if (episodes.empty()) throw Error(path + ": no demonstrations");
  return episodes;
}

DemonstrationData demonstration_data(const std::string& env_id, const json& env_options,
                                     const json& policy_config, agents::PolicyImpl& start,
                                     const EnvFactory& make_env, const DemonstrationConfig& config,
                                     bool progress) {
  // an expert is named by its folder and the checkpoint's size and time: a retrained expert
  // gets new demonstrations
  std::string source = "start:" + policy_config.dump();
  if (!config.expert.empty()) {
    const std::string ckpt = config.expert + "/checkpoint.pt";
    if (!fs::exists(ckpt))
      throw Error("demonstrations: " + ckpt + " does not exist (\"expert\" names a finished run "
                  "folder)");
    source = "expert:" + fs::absolute(config.expert).string() + ":" +
             std::to_string(fs::file_size(ckpt)) + ":" +
             std::to_string(fs::last_write_time(ckpt).time_since_epoch().count());
  }
  DemonstrationData d;
  d.path = cache_file(env_id, "demonstrations",
                      "demonstrations v1|" + env_id + "|" + env_options.dump() + "|" + source +
                          "|" + config_to_json(config).dump());
  {
    FileLock lock(d.path + ".lock");
    if (!fs::exists(d.path)) {
      if (config.expert.empty()) {
        save_demonstrations(d.path, make_demonstrations(start, make_env, config, false, progress));
      } else {
        agents::Policy expert = run_policy(config.expert, *make_env());
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
    const double q = sigmoid((p.chosen.gold_return - p.rejected.gold_return) / temperature);
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
    b.mask[i].slice(0, 0, n).fill_(1.0);
  }
  b.episode_start = torch::zeros({rows, steps}, torch::kBool);
  b.episode_start.select(1, 0).fill_(true);
  b.obs = policy ? policy->preprocess(b.env_obs.view({rows * steps, obs_dim}), /*update=*/false)
                       .view({rows, steps, -1})
                 : b.env_obs;
  return b;
}

}  // namespace tandem::algorithms
