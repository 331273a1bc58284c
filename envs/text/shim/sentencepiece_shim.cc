// The SentencePiece side of sentencepiece_shim.h: wraps the C++ API, catches everything.
#include "envs/text/shim/sentencepiece_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#define TSPM_EXPORT __attribute__((visibility("default")))

namespace {

using sentencepiece::SentencePieceProcessor;

char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) {
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
  }
  return p;
}

int fail(char** error, const std::string& message) {
  if (error != nullptr) *error = copy_out(message);
  return -1;
}

const SentencePieceProcessor& sp(const void* model) {
  return *static_cast<const SentencePieceProcessor*>(model);
}

class SentenceArray : public sentencepiece::SentenceIterator {
 public:
  SentenceArray(const char* const* sentences, const size_t* lengths, size_t count)
      : sentences_(sentences), lengths_(lengths), count_(count) {
    if (count_ > 0) value_.assign(sentences_[0], lengths_[0]);
  }
  bool done() const override { return next_ >= count_; }
  void Next() override {
    if (++next_ < count_) value_.assign(sentences_[next_], lengths_[next_]);
  }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const char* const* sentences_;
  const size_t* lengths_;
  size_t count_;
  size_t next_ = 0;
  std::string value_;
};

}  // namespace

extern "C" {

TSPM_EXPORT int tspm_abi_version() { return kTspmAbiVersion; }

TSPM_EXPORT void tspm_free(void* p) { std::free(p); }

TSPM_EXPORT int tspm_train(const char* args, const char* const* sentences, const size_t* lengths,
                           size_t count, char** model, size_t* model_size, char** error) {
  try {
    SentenceArray list(sentences, lengths, count);
    std::string serialized;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args, &list, &serialized);
    if (!status.ok()) return fail(error, status.ToString());
    *model = copy_out(serialized);
    *model_size = serialized.size();
    return 0;
  } catch (const std::exception& e) {
    return fail(error, e.what());
  } catch (...) {
    return fail(error, "unknown exception in SentencePiece training");
  }
}

TSPM_EXPORT void* tspm_load(const char* path, char** error) {
  try {
    auto* processor = new SentencePieceProcessor();
    const auto status = processor->Load(path);
    if (!status.ok()) {
      delete processor;
      fail(error, status.ToString());
      return nullptr;
    }
    return processor;
  } catch (const std::exception& e) {
    fail(error, e.what());
    return nullptr;
  }
}

TSPM_EXPORT void tspm_unload(void* model) { delete static_cast<SentencePieceProcessor*>(model); }

TSPM_EXPORT int tspm_piece_size(const void* model) { return sp(model).GetPieceSize(); }
TSPM_EXPORT int tspm_eos_id(const void* model) { return sp(model).eos_id(); }
TSPM_EXPORT int tspm_pad_id(const void* model) { return sp(model).pad_id(); }
TSPM_EXPORT int tspm_unk_id(const void* model) { return sp(model).unk_id(); }

TSPM_EXPORT int tspm_piece_kind(const void* model, int id) {
  const SentencePieceProcessor& p = sp(model);
  if (p.IsControl(id)) return 1;
  if (p.IsUnknown(id)) return 2;
  if (p.IsByte(id)) return 3;
  if (p.IsUnused(id)) return 4;
  return 0;
}

TSPM_EXPORT const char* tspm_id_to_piece(const void* model, int id, size_t* size) {
  const std::string& piece = sp(model).IdToPiece(id);
  *size = piece.size();
  return piece.data();
}

TSPM_EXPORT int tspm_piece_to_id(const void* model, const char* piece, size_t size) {
  return sp(model).PieceToId(std::string_view(piece, size));
}

TSPM_EXPORT int tspm_encode(const void* model, const char* text, size_t size, int* out,
                            size_t capacity, size_t* count, char** error) {
  try {
    std::vector<int> ids;
    const auto status = sp(model).Encode(std::string_view(text, size), &ids);
    if (!status.ok()) return fail(error, status.ToString());
    *count = ids.size();
    if (ids.size() > capacity) return fail(error, "encode: output buffer too small");
    std::memcpy(out, ids.data(), ids.size() * sizeof(int));
    return 0;
  } catch (const std::exception& e) {
    return fail(error, e.what());
  }
}

}  // extern "C"
