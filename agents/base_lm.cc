#include "agents/base_lm.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "agents/archive_file.h"
#include "agents/module_load.h"
#include "agents/torch_seed.h"
#include "envs/cache_build.h"
#include "envs/error.h"
#include "envs/file_lock.h"
#include "envs/human_format.h"
#include "envs/text/hash.h"
#include "envs/text/text_env.h"

namespace tandem::agents {
namespace fs = std::filesystem;
namespace {

// bump when the pretraining code changes what a cached model would hold
constexpr const char* kRecipe = "base-lm v1";

std::string cache_path(const text::TextEnv& env, const TransformerLmConfig& config,
                       const PretrainConfig& pretrain) {
  const std::string key = std::string(kRecipe) + "|" + env.spec().id + "|" +
                          env.task_options().dump() + "|" +
                          std::to_string(env.tokenizer().vocab_size()) + "|" +
                          config_to_json(config).dump() + "|" + config_to_json(pretrain).dump();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(text::fnv1a64(key)));
  return (fs::path(text::default_cache_dir()) / "base_lms" /
          (env.task().name() + "-" + hex + ".pt"))
      .string();
}

std::vector<std::vector<int64_t>> tokenize(const text::Tokenizer& tokenizer,
                                           const std::vector<std::string>& texts) {
  std::vector<std::vector<int64_t>> out;
  out.reserve(texts.size());
  for (const std::string& t : texts) {
    std::vector<int> ids = tokenizer.encode(t);
    out.emplace_back(ids.begin(), ids.end());
  }
  return out;
}

BaseLmInfo read_info(const std::string& path) {
  const json j = read_json_file(path + ".json");
  BaseLmInfo info;
  info.path = path;
  info.val_bits_per_byte = j.value("val_bits_per_byte", std::nan(""));
  info.val_nats_per_token = j.value("val_nats_per_token", std::nan(""));
  info.train_seconds = j.value("train_seconds", 0.0);
  info.steps = j.value("steps", int64_t{0});
  return info;
}

}  // namespace

TransformerLm base_lm(const text::TextEnv& env, const TransformerLmConfig& config,
                      const PretrainConfig& pretrain, bool progress, BaseLmInfo* info) {
  const std::string path = cache_path(env, config, pretrain);
  fs::create_directories(fs::path(path).parent_path());
  FileLock lock(path + ".lock");

  TorchSeedScope seeded(static_cast<uint64_t>(pretrain.seed));
  TransformerLm lm(config);
  if (fs::exists(path) && fs::exists(path + ".json")) {
    // a damaged entry (a disk fault, a copy cut short) is named with what to do about it
    const std::string advice = "the cached base model is damaged: delete " + path + " and " + path +
                               ".json, and the next run rebuilds it";
    torch::serialize::InputArchive archive;
    load_archive(archive, path, advice);
    load_module_checked(*lm, archive, path, advice);
    if (info) *info = read_info(path);
    return lm;
  }

  const text::Tokenizer& tokenizer = env.tokenizer();
  const auto train_texts = text::base_model_texts(env.task(), env.task_options());
  const auto validation_texts = text::base_model_validation_texts(env.task(), env.task_options());
  LmCorpus corpus;
  corpus.train = tokenize(tokenizer, train_texts);
  corpus.validation = tokenize(tokenizer, validation_texts);
  for (const std::string& t : validation_texts) corpus.validation_bytes += t.size();
  corpus.eot_id = tokenizer.eot_id();

  const std::string label = "base model for " + env.spec().id;
  envs::CacheBuild status(path, label, static_cast<double>(pretrain.steps), "steps");
  PretrainMetrics last = pretrain_lm(*lm, corpus, pretrain, [&](const PretrainMetrics& m) {
    envs::cache_build_progress(static_cast<double>(m.step));
    if (!progress) return;
    if (m.step % 10 != 0 && m.step != pretrain.steps && !m.evaluated) return;
    const double eta = m.wall_seconds / m.step * (pretrain.steps - m.step);
    std::fprintf(stderr, "\r%s: step %lld/%lld  loss %.3f  val %.3f bits/byte  %s left   ",
                 label.c_str(), static_cast<long long>(m.step),
                 static_cast<long long>(pretrain.steps), m.train_loss, m.val_bits_per_byte,
                 human_seconds(eta).c_str());
  });
  if (progress) std::fprintf(stderr, "\n");

  torch::serialize::OutputArchive archive;
  lm->save(archive);
  const json summary = {{"env", env.spec().id},
                        {"task_options", env.task_options()},
                        {"model", config_to_json(config)},
                        {"pretrain", config_to_json(pretrain)},
                        {"steps", last.step},
                        {"train_seconds", last.wall_seconds},
                        {"val_bits_per_byte", last.val_bits_per_byte},
                        {"val_nats_per_token", last.val_loss},
                        {"train_documents", corpus.train.size()},
                        {"validation_documents", corpus.validation.size()}};
  write_file_atomic(path + ".json", summary.dump(2) + "\n");
  save_archive_atomic(archive, path);  // last: the weights under their name mark the entry done
  if (info) {
    *info = read_info(path);
    info->trained_now = true;
  }
  return lm;
}

}  // namespace tandem::agents
