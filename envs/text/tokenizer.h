// A SentencePiece tokenizer whose encode/decode is an exact byte-level round trip.
//
// | model       | BPE (default) or unigram, trained on the sentences given (the train split)      |
// | special ids | 0 <unk> (never produced: byte fallback covers everything), 1 </s> = end of text |
// |             | (eot_id), 2 <pad> (pad_id); no begin-of-sentence token                          |
// | bytes       | 256 byte pieces <0x00>..<0xFF> (byte_fallback): any character not in the vocab  |
// |             | is spelled as its UTF-8 bytes                                                   |
// | training    | character_coverage 1.0, identity normalization (no NFKC, no whitespace cleanup, |
// |             | no dummy "▁" prefix: the text is tokenized exactly as given), digits split one  |
// |             | per token, one thread, every sentence used in order (input_sentence_size 0,     |
// |             | no shuffle): the same sentences and options give the same model bytes           |
// | cache       | <cache_dir>/tokenizers/spm-<type>-<vocab>-<hash>.model, hash over the training  |
// |             | options and every sentence; cache_dir = $TANDEM_CACHE_DIR or ".cache/tandem"    |
// |             | (relative to the working directory); written through a temp file + rename       |
// |             | while holding flock(<model>.lock), so two processes never train the same model  |
// | loading     | SentencePiece runs inside the tandem_spm_shim module, dlmopen()ed into a link-  |
// |             | map namespace of its own (see shim/sentencepiece_shim.h: its protobuf copy      |
// |             | clashes with libtorch's); $TANDEM_SPM_SHIM overrides the module path built in;  |
// |             | not available in AddressSanitizer builds                                        |
//
// SentencePiece alone maps malformed UTF-8 to U+FFFD and U+2581 "▁" to a space; encode() spells
// those (and NUL) with byte pieces instead, and decode() maps each id to its exact bytes, so
// decode(encode(s)) == s for every byte string s. Without the dummy prefix, encode(a + b) may
// differ from encode(a) + encode(b) only around the boundary; decoding either gives a + b.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envs/config.h"

namespace tandem::text {

struct TokenizerOptions {
  int64_t vocab_size = 2048;
  std::string model_type = "bpe";
  // Empty: default_cache_dir().
  std::string cache_dir;

  template <class V>
  void visit(V& v) {
    v.field("vocab_size", vocab_size, int64_t{260}, int64_t{1} << 20,
            "pieces in the vocabulary, special and byte pieces included (at least 259 + the "
            "distinct characters of the training text)");
    v.field("model_type", model_type, {"bpe", "unigram"}, "SentencePiece model type");
  }
  // Throws tandem::Error naming the field when a value is out of range.
  void validate() const;
};

class Tokenizer {
 public:
  // Loads the cached model trained on `sentences` with these options, training and caching it
  // first when there is none. Throws tandem::Error when training fails (message from
  // SentencePiece, e.g. a vocab_size too small for the corpus' characters).
  static Tokenizer train_or_load(const std::vector<std::string>& sentences,
                                 const TokenizerOptions& options = {});
  // Loads a model file; it must have been trained with byte_fallback and eos/pad ids.
  static Tokenizer from_file(const std::string& model_path);

  std::vector<int> encode(std::string_view text) const;
  // Exact bytes of each id in order; eot and pad ids decode to nothing. Ids outside
  // [0, vocab_size) are a programming error (TANDEM_CHECK).
  std::string decode(const std::vector<int>& ids) const;

  int vocab_size() const;
  int eot_id() const;
  int pad_id() const;
  int unk_id() const;
  // The bytes one id decodes to ("" for eot, pad).
  const std::string& token_bytes(int id) const;
  // SentencePiece's name for the piece ("▁the", "<0x0A>", "</s>"), for printing.
  std::string piece(int id) const;

  // The model file this tokenizer was loaded from.
  const std::string& model_path() const { return model_path_; }
  // Whether train_or_load() trained this model (false: it came from the cache).
  bool trained() const { return trained_; }

 private:
  struct Model;
  Tokenizer(std::shared_ptr<const Model> model, std::string model_path, bool trained);

  std::shared_ptr<const Model> model_;  // immutable, so copies share it and threads may encode
  std::string model_path_;
  bool trained_ = false;
};

// Whether SentencePiece can be loaded in this process; when not (an AddressSanitizer build, a
// missing tandem_spm_shim module), `why` gets the reason.
bool sentencepiece_available(std::string* why = nullptr);

// $TANDEM_CACHE_DIR when set and non-empty, else ".cache/tandem".
std::string default_cache_dir();
// Where train_or_load() keeps the model for these sentences and options.
std::string tokenizer_cache_path(const std::vector<std::string>& sentences,
                                 const TokenizerOptions& options = {});
// How many models this process has trained (tests check that a cached model is reused).
int64_t tokenizer_trainings();

}  // namespace tandem::text
