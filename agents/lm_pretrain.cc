#include "agents/lm_pretrain.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "envs/error.h"

namespace tandem::agents {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One validation row: inputs, their targets, and which targets are scored.
struct EvalRow {
  std::vector<int64_t> inputs, targets;
  std::vector<bool> scored;
};

// [EOT] d [EOT] cut into rows of at most `context` inputs; later windows slide by context/2 and
// score only the targets the previous ones did not.
void append_eval_rows(const std::vector<int64_t>& doc, int64_t eot_id, int64_t context,
                      std::vector<EvalRow>& rows) {
  std::vector<int64_t> s;
  s.reserve(doc.size() + 2);
  s.push_back(eot_id);
  s.insert(s.end(), doc.begin(), doc.end());
  s.push_back(eot_id);
  const int64_t last_target = static_cast<int64_t>(s.size()) - 1;
  const int64_t stride = std::max<int64_t>(1, context / 2);
  int64_t scored_up_to = 0;  // targets 1..scored_up_to are done
  for (int64_t a = 0; scored_up_to < last_target; a += stride) {
    const int64_t end = std::min(a + context, last_target);  // last target index of the window
    EvalRow row;
    for (int64_t i = a; i < end; ++i) {
      row.inputs.push_back(s[i]);
      row.targets.push_back(s[i + 1]);
      row.scored.push_back(i + 1 > scored_up_to);
    }
    scored_up_to = end;
    rows.push_back(std::move(row));
  }
}

}  // namespace

SegmentLayout document_layout(const torch::Tensor& tokens, int64_t eot_id) {
  return segment_layout(tokens == eot_id);
}

double lr_multiplier(const PretrainConfig& config, int64_t step) {
  if (step < config.warmup_steps) return double(step + 1) / double(config.warmup_steps);
  const double span = std::max<int64_t>(1, config.steps - config.warmup_steps);
  const double progress = std::min(1.0, double(step - config.warmup_steps) / span);
  const double lo = config.min_lr_ratio;
  if (config.schedule == "cosine") return lo + (1 - lo) * 0.5 * (1 + std::cos(M_PI * progress));
  if (config.schedule == "linear") return 1 - (1 - lo) * progress;
  return 1.0;
}

LmEvaluation evaluate_lm(TransformerLmImpl& lm, const std::vector<std::vector<int64_t>>& documents,
                         int64_t bytes, int64_t eot_id, int64_t batch_size) {
  const int64_t context = lm.config().context;
  std::vector<EvalRow> rows;
  for (const auto& doc : documents) append_eval_rows(doc, eot_id, context, rows);
  // batch rows of similar length together: less padding
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return rows[a].inputs.size() < rows[b].inputs.size();
  });

  torch::NoGradGuard no_grad;
  const bool was_training = lm.is_training();
  lm.eval();
  LmEvaluation e;
  for (size_t first = 0; first < order.size(); first += batch_size) {
    const size_t last = std::min(order.size(), first + batch_size);
    const int64_t B = last - first;
    int64_t T = 0;
    for (size_t i = first; i < last; ++i) T = std::max<int64_t>(T, rows[order[i]].inputs.size());
    // right-padded: positions are plain indices
    torch::Tensor x = torch::full({B, T}, eot_id, torch::kLong);  // [B, T]
    torch::Tensor y = torch::zeros({B, T}, torch::kLong);         // [B, T]
    torch::Tensor real = torch::zeros({B, T}, torch::kBool);      // [B, T]
    torch::Tensor scored = torch::zeros({B, T}, torch::kBool);    // [B, T]
    auto xa = x.accessor<int64_t, 2>();
    auto ya = y.accessor<int64_t, 2>();
    auto ra = real.accessor<bool, 2>();
    auto sa = scored.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const EvalRow& row = rows[order[first + b]];
      for (size_t t = 0; t < row.inputs.size(); ++t) {
        xa[b][t] = row.inputs[t];
        ya[b][t] = row.targets[t];
        ra[b][t] = true;
        sa[b][t] = row.scored[t];
      }
    }
    torch::Tensor positions = torch::arange(T, torch::kLong).unsqueeze(0).expand({B, T});
    torch::Tensor logp = token_log_probs(lm.forward(x, positions, real).logits, y);  // [B, T]
    e.total_nats -= logp.masked_select(scored).to(torch::kDouble).sum().item<double>();
    e.tokens += scored.sum().item<int64_t>();
  }
  lm.train(was_training);
  e.nats_per_token = e.tokens > 0 ? e.total_nats / e.tokens : kNaN;
  e.bits_per_byte = bytes > 0 ? e.total_nats / std::log(2.0) / double(bytes) : kNaN;
  return e;
}

PretrainMetrics pretrain_lm(TransformerLmImpl& lm, const LmCorpus& corpus,
                            const PretrainConfig& config, const PretrainProgress& progress) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const int64_t T = lm.config().context, B = config.batch_size, eot = corpus.eot_id;

  // the packed stream: EOT d1 EOT d2 … EOT dn EOT
  std::vector<int64_t> stream;
  for (const auto& doc : corpus.train) {
    stream.push_back(eot);
    stream.insert(stream.end(), doc.begin(), doc.end());
  }
  stream.push_back(eot);
  const int64_t n = static_cast<int64_t>(stream.size());
  if (n < T + 1) {
    throw Error("pretrain_lm: the training documents hold " + std::to_string(n) +
                " tokens with separators, fewer than one window of context + 1 = " +
                std::to_string(T + 1) + "; add text or lower context");
  }
  torch::Tensor data = torch::from_blob(stream.data(), {n}, torch::kLong).clone();  // [n]

  // AdamW; decay matrices and embeddings, not biases and LayerNorm gains
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : lm.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto options = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(config.learning_rate)
            .betas({config.beta1, config.beta2})
            .weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, options(config.weight_decay));
  groups.emplace_back(no_decay, options(0.0));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(config.learning_rate));

  std::mt19937_64 rng(static_cast<uint64_t>(config.seed));
  std::uniform_int_distribution<int64_t> offset(0, n - (T + 1));
  torch::Tensor window = torch::arange(T + 1, torch::kLong).unsqueeze(0);  // [1, T+1]

  const bool was_training = lm.is_training();
  PretrainMetrics m;
  m.val_loss = m.val_bits_per_byte = kNaN;
  double train_seconds = 0;
  auto evaluate = [&] {
    LmEvaluation e =
        evaluate_lm(lm, corpus.validation, corpus.validation_bytes, eot, config.eval_batch_size);
    m.val_loss = e.nats_per_token;
    m.val_bits_per_byte = e.bits_per_byte;
    m.evaluated = true;
  };

  lm.train();
  for (int64_t step = 0; step < config.steps; ++step) {
    const auto step_start = Clock::now();
    // a batch of random windows: inputs x, targets y
    std::vector<int64_t> starts(B);
    for (auto& s : starts) s = offset(rng);
    torch::Tensor index = torch::tensor(starts, torch::kLong).unsqueeze(1) + window;  // [B, T+1]
    torch::Tensor chunk = data.index_select(0, index.view(-1)).view({B, T + 1});      // [B, T+1]
    torch::Tensor x = chunk.narrow(1, 0, T).contiguous();                             // [B, T]
    torch::Tensor y = chunk.narrow(1, 1, T).contiguous();                             // [B, T]
    torch::Tensor logits;                                                             // [B, T, V]
    if (config.document_mask) {
      SegmentLayout layout = document_layout(x, eot);
      logits = lm.forward(x, layout.positions, layout.mask).logits;
    } else {
      torch::Tensor positions = torch::arange(T, torch::kLong).unsqueeze(0).expand({B, T});
      logits = lm.forward(x, positions, torch::ones({B, T}, torch::kBool)).logits;
    }
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(logits.view({B * T, -1}), y.view({B * T}));  // scalar
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      throw Error("pretrain_lm: training loss is " + std::to_string(loss_value) + " at step " +
                  std::to_string(step) + "; lower learning_rate or check the data");
    }
    optimizer.zero_grad();
    loss.backward();
    const double norm = config.grad_clip > 0
                            ? torch::nn::utils::clip_grad_norm_(lm.parameters(), config.grad_clip)
                            : torch::nn::utils::clip_grad_norm_(
                                  lm.parameters(), std::numeric_limits<double>::infinity());
    const double lr = config.learning_rate * lr_multiplier(config, step);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
    optimizer.step();
    train_seconds += seconds_since(step_start);

    m.step = step + 1;
    m.tokens += B * T;
    m.train_loss = loss_value;
    m.learning_rate = lr;
    m.grad_norm = norm;
    m.tokens_per_second = m.tokens / std::max(train_seconds, 1e-9);
    m.evaluated = false;
    const bool out_of_time = config.max_seconds > 0 && seconds_since(start) >= config.max_seconds;
    const bool last = m.step == config.steps || out_of_time;
    if (last || (config.eval_every > 0 && m.step % config.eval_every == 0)) {
      evaluate();
      lm.train();
    }
    m.wall_seconds = seconds_since(start);
    if (progress) progress(m);
    if (out_of_time) break;
  }
  lm.train(was_training);
  return m;
}

}  // namespace tandem::agents
