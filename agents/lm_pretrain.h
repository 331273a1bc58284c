// Next-token pretraining of a TransformerLm on tokenized documents.
//
// Data: the training documents are packed into one stream, each preceded by the EOT id and
// the last one followed by it (EOT d1 EOT d2 … EOT dn EOT); a batch is `batch_size` windows of
// context + 1 tokens at uniformly random offsets (no padding is ever trained on). With
// `document_mask` (default) a token attends only to its own document and positions restart at
// each EOT, so training sees every document exactly as generation does: from position 0, after
// an EOT, with nothing before it. (Prompts for generation should therefore start with EOT.)
//
// Loss: mean cross-entropy over the window's targets; AdamW (β = 0.9, 0.95; weight decay on
// matrices and embeddings only), linear warmup then cosine (or linear, or constant) decay to
// min_lr_ratio · learning_rate, global gradient-norm clipping.
//
// Validation (evaluate_lm): every document scored alone, as [EOT] d [EOT] from position 0 — the
// targets are d's tokens and the closing EOT — a document longer than the context in windows
// that slide by context/2 (each token scored once, with at least context/2 tokens before it).
// nats/token = total nats / scored tokens; bits/byte = total nats / ln 2 / `bytes`, the byte
// count the caller gives for the same text (its documents, plus one per separator if the caller
// counts the EOT as a byte of the text).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agents/transformer_lm.h"
#include "envs/config.h"

namespace tandem::agents {

struct PretrainConfig {
  int64_t steps = 1000;
  int64_t batch_size = 32;
  double learning_rate = 1e-3;
  double min_lr_ratio = 0.1;
  int64_t warmup_steps = 50;
  std::string schedule = "cosine";
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double grad_clip = 1.0;
  bool document_mask = true;
  int64_t eval_every = 100;
  int64_t eval_batch_size = 32;
  double max_seconds = 0.0;
  int64_t seed = 0;

  template <class V>
  void visit(V& v) {
    v.field("steps", steps, int64_t{1}, int64_t{100000000}, "optimizer steps");
    v.field("batch_size", batch_size, int64_t{1}, int64_t{65536}, "windows of context+1 tokens");
    v.field("learning_rate", learning_rate, 0.0, 1.0, "peak AdamW step size");
    v.field("min_lr_ratio", min_lr_ratio, 0.0, 1.0, "final step size / peak");
    v.field("warmup_steps", warmup_steps, int64_t{0}, int64_t{100000000},
            "linear warmup from 0 to the peak");
    v.field("schedule", schedule, {"cosine", "linear", "constant"}, "decay after warmup");
    v.field("weight_decay", weight_decay, 0.0, 10.0, "AdamW decay of matrices and embeddings");
    v.field("beta1", beta1, 0.0, 0.999999, "AdamW β1");
    v.field("beta2", beta2, 0.0, 0.999999, "AdamW β2");
    v.field("grad_clip", grad_clip, 0.0, 1e9, "global gradient-norm clip; 0: none");
    v.field("document_mask", document_mask,
            "attend within a document only, positions restart at each EOT");
    v.field("eval_every", eval_every, int64_t{0}, int64_t{100000000},
            "validation every this many steps (and at the end); 0: at the end only");
    v.field("eval_batch_size", eval_batch_size, int64_t{1}, int64_t{65536}, "rows per eval pass");
    v.field("max_seconds", max_seconds, 0.0, 1e9,
            "stop training after this much wall time (schedule not rescaled); 0: no limit");
    v.field("seed", seed, int64_t{0}, int64_t{1} << 62, "seeds the window sampling");
  }
};

// Token ids of the documents (tokenizer output, without separators) and the EOT id.
struct LmCorpus {
  std::vector<std::vector<int64_t>> train;
  std::vector<std::vector<int64_t>> validation;
  int64_t validation_bytes = 0;  // bytes of the validation text, for bits per byte
  int64_t eot_id = 0;
};

struct LmEvaluation {
  double nats_per_token = 0;
  double bits_per_byte = 0;  // NaN without a byte count
  double total_nats = 0;
  int64_t tokens = 0;  // scored targets
};

struct PretrainMetrics {
  int64_t step = 0;              // optimizer steps done
  int64_t tokens = 0;            // training targets seen
  double train_loss = 0;         // nats/token of this step's batch
  double learning_rate = 0;      // of this step
  double grad_norm = 0;          // before clipping
  double tokens_per_second = 0;  // training only (evaluation time excluded)
  double wall_seconds = 0;       // since the start, evaluation included
  bool evaluated = false;        // the validation fields are from this step
  double val_loss = 0;           // nats/token at the latest evaluation (NaN before the first)
  double val_bits_per_byte = 0;  // at the latest evaluation (NaN before the first)
};

using PretrainProgress = std::function<void(const PretrainMetrics&)>;

// Scores `documents` (see the file comment) without gradients, in eval mode.
LmEvaluation evaluate_lm(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& documents,
                         int64_t bytes, int64_t eot_id, int64_t batch_size = 32);

// Trains `lm` in place; `progress` is called after every step; returns the last step's
// metrics, with a final evaluation. Throws tandem::Error on a non-finite loss or a training
// stream shorter than one window.
PretrainMetrics pretrain_lm(TransformerLmImpl& lm, const LmCorpus& corpus,
                            const PretrainConfig& config, const PretrainProgress& progress = {});

// The step-size multiplier of `config`'s schedule at step `step` (0-based), in (0, 1].
double lr_multiplier(const PretrainConfig& config, int64_t step);

// For packed windows x [B, T]: segment_layout() with a new document at each EOT.
SegmentLayout document_layout(const torch::Tensor& tokens, int64_t eot_id);

}  // namespace tandem::agents
