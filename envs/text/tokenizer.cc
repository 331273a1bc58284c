#include "envs/text/tokenizer.h"

#include <dlfcn.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "envs/cache_build.h"
#include "envs/error.h"
#include "envs/file_lock.h"
#include "envs/text/hash.h"
#include "envs/text/shim/sentencepiece_shim.h"

#if defined(__SANITIZE_ADDRESS__)
#define TANDEM_TEXT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TANDEM_TEXT_ASAN 1
#endif
#endif

#ifndef TANDEM_SPM_SHIM_PATH
#define TANDEM_SPM_SHIM_PATH "libtandem_spm_shim.so"
#endif

namespace tandem::text {
namespace {

// The SentencePiece module's functions (see shim/sentencepiece_shim.h for why it is loaded, not
// linked).
struct SpmApi {
  decltype(&tspm_free) free = nullptr;
  decltype(&tspm_train) train = nullptr;
  decltype(&tspm_load) load = nullptr;
  decltype(&tspm_unload) unload = nullptr;
  decltype(&tspm_piece_size) piece_size = nullptr;
  decltype(&tspm_eos_id) eos_id = nullptr;
  decltype(&tspm_pad_id) pad_id = nullptr;
  decltype(&tspm_unk_id) unk_id = nullptr;
  decltype(&tspm_piece_kind) piece_kind = nullptr;
  decltype(&tspm_id_to_piece) id_to_piece = nullptr;
  decltype(&tspm_piece_to_id) piece_to_id = nullptr;
  decltype(&tspm_encode) encode = nullptr;
};

std::string shim_path() {
  const char* env = std::getenv("TANDEM_SPM_SHIM");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(TANDEM_SPM_SHIM_PATH);
}

SpmApi load_spm_api() {
#ifdef TANDEM_TEXT_ASAN
  throw Error(
      "SentencePiece cannot be loaded in an AddressSanitizer build: it runs in a "
      "dlmopen() namespace of its own, which the sanitizer runtime does not support (see "
      "envs/text/shim/sentencepiece_shim.h); use a release or debug build for text tasks");
#else
  const std::string path = shim_path();
  // a namespace of its own: SentencePiece's protobuf never meets libtorch's
  void* handle = ::dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw Error(path + ": cannot load the SentencePiece module (" +
                std::string(why != nullptr ? why : "unknown dlopen error") +
                "); build the target tandem_spm_shim, or set TANDEM_SPM_SHIM to its path");
  }
  auto symbol = [&](const char* name) {
    void* f = ::dlsym(handle, name);
    if (f == nullptr) {
      throw Error(path + ": the SentencePiece module lacks " + name +
                  " (a stale build? rebuild tandem_spm_shim)");
    }
    return f;
  };
  auto version = reinterpret_cast<decltype(&tspm_abi_version)>(symbol("tspm_abi_version"));
  if (version() != kTspmAbiVersion) {
    throw Error(path + ": the SentencePiece module has interface version " +
                std::to_string(version()) + ", tandem expects " + std::to_string(kTspmAbiVersion) +
                "; rebuild tandem_spm_shim");
  }
  // the handle stays open for the life of the process
  SpmApi api;
  api.free = reinterpret_cast<decltype(api.free)>(symbol("tspm_free"));
  api.train = reinterpret_cast<decltype(api.train)>(symbol("tspm_train"));
  api.load = reinterpret_cast<decltype(api.load)>(symbol("tspm_load"));
  api.unload = reinterpret_cast<decltype(api.unload)>(symbol("tspm_unload"));
  api.piece_size = reinterpret_cast<decltype(api.piece_size)>(symbol("tspm_piece_size"));
  api.eos_id = reinterpret_cast<decltype(api.eos_id)>(symbol("tspm_eos_id"));
  api.pad_id = reinterpret_cast<decltype(api.pad_id)>(symbol("tspm_pad_id"));
  api.unk_id = reinterpret_cast<decltype(api.unk_id)>(symbol("tspm_unk_id"));
  api.piece_kind = reinterpret_cast<decltype(api.piece_kind)>(symbol("tspm_piece_kind"));
  api.id_to_piece = reinterpret_cast<decltype(api.id_to_piece)>(symbol("tspm_id_to_piece"));
  api.piece_to_id = reinterpret_cast<decltype(api.piece_to_id)>(symbol("tspm_piece_to_id"));
  api.encode = reinterpret_cast<decltype(api.encode)>(symbol("tspm_encode"));
  return api;
#endif
}

const SpmApi& spm() {
  // a failed load throws and is retried on the next call
  static const SpmApi api = load_spm_api();
  return api;
}

// Takes a message the module allocated.
std::string take_error(char* error) {
  std::string message = error != nullptr ? error : "unknown SentencePiece error";
  if (error != nullptr) spm().free(error);
  return message;
}

enum PieceKind { kNormal = 0, kControl = 1, kUnknown = 2, kByte = 3, kUnused = 4 };

}  // namespace

struct Tokenizer::Model {
  void* sp = nullptr;              // the module's SentencePieceProcessor
  std::vector<std::string> bytes;  // [vocab] what each id decodes to
  std::array<int, 256> byte_ids{};
  int eot = -1, pad = -1, unk = -1;

  Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  ~Model() {
    if (sp != nullptr) spm().unload(sp);
  }
};

namespace {

std::atomic<int64_t> trainings{0};

// Bumped whenever the training recipe below changes, so old cached models are not reused.
constexpr const char* kRecipeVersion = "tandem-spm-1";

std::string trainer_args(const TokenizerOptions& options) {
  return "--model_type=" + options.model_type +
         " --vocab_size=" + std::to_string(options.vocab_size) +
         " --byte_fallback=true --character_coverage=1.0 --split_digits=true"
         " --normalization_rule_name=identity --remove_extra_whitespaces=false"
         " --add_dummy_prefix=false --unk_id=0 --eos_id=1 --pad_id=2 --bos_id=-1"
         " --num_threads=1 --input_sentence_size=0 --shuffle_input_sentence=false"
         " --minloglevel=1";
}

// Length of the well-formed UTF-8 character at text[i], or 0 when malformed (the same rules as
// SentencePiece's decoder: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto trail = [&](size_t k) { return i + k < text.size() && (byte(k) & 0xC0) == 0x80; };
  const unsigned char c = byte(0);
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0 && trail(1)) {
    const uint32_t cp = ((c & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((c & 0xF0) == 0xE0 && trail(1) && trail(2)) {
    const uint32_t cp = ((c & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    return cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF) ? 3 : 0;
  }
  if ((c & 0xF8) == 0xF0 && trail(1) && trail(2) && trail(3)) {
    const uint32_t cp = ((c & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
                        (byte(3) & 0x3Fu);
    return cp >= 0x10000 && cp <= 0x10FFFF ? 4 : 0;
  }
  return 0;
}

constexpr std::string_view kMetaSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string piece_name(const void* sp, int id) {
  size_t size = 0;
  const char* p = spm().id_to_piece(sp, id, &size);
  return std::string(p, size);
}

}  // namespace

void TokenizerOptions::validate() const {
  if (vocab_size < 260 || vocab_size > (int64_t{1} << 20)) {
    throw Error(
        "tokenizer options: vocab_size must be in [260, 1048576] (3 special + 256 byte "
        "pieces + the corpus' characters), got " +
        std::to_string(vocab_size));
  }
  if (model_type != "bpe" && model_type != "unigram") {
    throw Error("tokenizer options: model_type must be \"bpe\" or \"unigram\", got \"" +
                model_type + "\"");
  }
}

Tokenizer::Tokenizer(std::shared_ptr<const Model> model, std::string model_path, bool trained)
    : model_(std::move(model)), model_path_(std::move(model_path)), trained_(trained) {}

Tokenizer Tokenizer::from_file(const std::string& model_path) {
  const SpmApi& api = spm();
  auto model = std::make_shared<Model>();
  char* error = nullptr;
  model->sp = api.load(model_path.c_str(), &error);
  if (model->sp == nullptr) {
    throw Error(model_path + ": cannot load the SentencePiece model (" + take_error(error) +
                "); if it is a cached model, delete it and it will be retrained");
  }
  const void* sp = model->sp;
  const int n = api.piece_size(sp);
  model->eot = api.eos_id(sp);
  model->pad = api.pad_id(sp);
  model->unk = api.unk_id(sp);
  if (model->eot < 0 || model->pad < 0) {
    throw Error(model_path +
                ": the model has no end-of-text (eos) or pad id; train it with "
                "Tokenizer::train_or_load or --eos_id/--pad_id set");
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    const int id = api.piece_to_id(sp, name, 6);
    if (api.piece_kind(sp, id) != kByte) {
      throw Error(model_path + ": the model has no byte piece " + name +
                  ", so not every input can be encoded; train it with --byte_fallback=true");
    }
    model->byte_ids[b] = id;
  }
  // what each id decodes to, so decode() is a concatenation of exact bytes
  model->bytes.resize(n);
  for (int id = 0; id < n; ++id) {
    switch (api.piece_kind(sp, id)) {
      case kControl:
      case kUnused:
      case kByte:  // filled below
        continue;
      case kUnknown:
        model->bytes[id] = "\xEF\xBF\xBD";  // U+FFFD; encode() never produces <unk>
        continue;
      default:
        break;
    }
    const std::string s = piece_name(sp, id);
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s.compare(i, kMetaSpace.size(), kMetaSpace) == 0) {
        out.push_back(' ');
        i += kMetaSpace.size();
      } else {
        out.push_back(s[i++]);
      }
    }
    model->bytes[id] = std::move(out);
  }
  for (int b = 0; b < 256; ++b) model->bytes[model->byte_ids[b]] = std::string(1, char(b));
  return Tokenizer(std::move(model), model_path, false);
}

Tokenizer Tokenizer::train_or_load(const std::vector<std::string>& sentences,
                                   const TokenizerOptions& options) {
  options.validate();
  if (sentences.empty()) throw Error("tokenizer training: no sentences to train on");
  const std::string path = tokenizer_cache_path(sentences, options);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return from_file(path);

  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    throw Error(dir.string() + ": cannot create the tokenizer cache folder (" + ec.message() +
                "); set TANDEM_CACHE_DIR to a writable folder");
  }
  // a second process waits here and then finds the model the first one wrote
  FileLock lock(path + ".lock");
  if (std::filesystem::exists(path, ec)) return from_file(path);

  const SpmApi& api = spm();
  envs::CacheBuild status(
      path,
      "tokenizer (" + options.model_type + ", " + std::to_string(options.vocab_size) + " pieces)",
      0, "");
  std::vector<const char*> data;
  std::vector<size_t> lengths;
  for (const std::string& s : sentences) {
    data.push_back(s.data());
    lengths.push_back(s.size());
  }
  char* model = nullptr;
  size_t model_size = 0;
  char* error = nullptr;
  if (api.train(trainer_args(options).c_str(), data.data(), lengths.data(), data.size(), &model,
                &model_size, &error) != 0) {
    throw Error("tokenizer training (" + options.model_type + ", vocab_size " +
                std::to_string(options.vocab_size) + ", " + std::to_string(sentences.size()) +
                " sentences) failed: " + take_error(error));
  }
  const std::string serialized(model, model_size);
  api.free(model);
  ++trainings;
  write_file_atomic(path, serialized);
  Tokenizer tokenizer = from_file(path);
  tokenizer.trained_ = true;
  return tokenizer;
}

std::vector<int> Tokenizer::encode(std::string_view text) const {
  const Model& m = *model_;
  std::vector<int> ids;
  size_t start = 0;
  auto flush = [&](size_t end) {
    if (end == start) return;
    // every piece covers at least one byte, so end - start ids always fit
    const size_t at = ids.size();
    ids.resize(at + (end - start) + 1);
    size_t count = 0;
    char* error = nullptr;
    if (spm().encode(m.sp, text.data() + start, end - start, ids.data() + at, end - start + 1,
                     &count, &error) != 0) {
      throw Error("tokenizer: SentencePiece failed to encode: " + take_error(error));
    }
    ids.resize(at + count);
  };
  // SentencePiece would alter malformed UTF-8, NUL and "▁": spell those with byte pieces
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_length(text, i);
    const bool verbatim = len > 0 && text[i] != '\0' && text.substr(i, len) != kMetaSpace;
    if (verbatim) {
      i += len;
      continue;
    }
    flush(i);
    const size_t n = len > 0 ? len : 1;
    for (size_t k = 0; k < n; ++k)
      ids.push_back(m.byte_ids[static_cast<unsigned char>(text[i + k])]);
    i += n;
    start = i;
  }
  flush(text.size());
  return ids;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int id : ids) out += token_bytes(id);
  return out;
}

int Tokenizer::vocab_size() const { return static_cast<int>(model_->bytes.size()); }
int Tokenizer::eot_id() const { return model_->eot; }
int Tokenizer::pad_id() const { return model_->pad; }
int Tokenizer::unk_id() const { return model_->unk; }

const std::string& Tokenizer::token_bytes(int id) const {
  TANDEM_CHECK(id >= 0 && id < vocab_size(), "token id " + std::to_string(id) + " outside [0, " +
                                                 std::to_string(vocab_size()) + ")");
  return model_->bytes[id];
}

std::string Tokenizer::piece(int id) const {
  TANDEM_CHECK(id >= 0 && id < vocab_size(), "token id " + std::to_string(id) + " outside [0, " +
                                                 std::to_string(vocab_size()) + ")");
  return piece_name(model_->sp, id);
}

bool sentencepiece_available(std::string* why) {
  try {
    spm();
    return true;
  } catch (const Error& e) {
    if (why != nullptr) *why = e.what();
    return false;
  }
}

std::string default_cache_dir() {
  const char* env = std::getenv("TANDEM_CACHE_DIR");
  return env != nullptr && *env != '\0' ? std::string(env)
                                        : std::string(TANDEM_SOURCE_CACHE_DIR "/tandem");
}

std::string tokenizer_cache_path(const std::vector<std::string>& sentences,
                                 const TokenizerOptions& options) {
  uint64_t h = fnv1a64(kRecipeVersion);
  h = fnv1a64(trainer_args(options), h);
  for (const std::string& s : sentences) {
    // length prefixes, so ("ab", "c") and ("a", "bc") differ
    h = fnv1a64(std::to_string(s.size()) + ":", h);
    h = fnv1a64(s, h);
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
  const std::string dir = options.cache_dir.empty() ? default_cache_dir() : options.cache_dir;
  return (std::filesystem::path(dir) / "tokenizers" /
          ("spm-" + options.model_type + "-" + std::to_string(options.vocab_size) + "-" + hex +
           ".model"))
      .string();
}

int64_t tokenizer_trainings() { return trainings.load(); }

}  // namespace tandem::text
