// `tandem sample`: completions of a text policy for given prompts, each with its gold reward
// (the task's own score: sort's fraction of right positions, sentiment's AFINN valence).
//
// The policy is a run's checkpoint (config.json beside it), or without one the task's base
// model — the env's recommended architecture and the pretrained weights every run starts from
// (trained and cached on first use) — or, with --set policy.init=random, an untrained LM.
// Prompts come from --prompt, or from the input stream one a line (blank lines skipped), and are
// answered as they arrive. There is no reward-model score yet: no reward model format exists.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tandem::suites {

struct SampleOptions {
  std::string env_id;                // a text env; empty: the checkpoint's
  std::string checkpoint;            // a run's checkpoint.pt; empty: the base model
  std::vector<std::string> set;      // policy.FIELD=VALUE, env.FIELD=VALUE (without a checkpoint)
  std::vector<std::string> prompts;  // empty: read from the input stream
  int64_t samples = 1;               // completions per prompt
  bool greedy = false;               // the most likely token at each step instead of sampling
  uint64_t seed = 1;                 // torch's sampling
  bool json_lines = false;           // one JSON object per completion instead of text
  bool progress = true;              // a progress bar while a base model trains
};

struct SampleOutcome {
  int64_t prompts = 0;
  int64_t failed = 0;  // prompts the task rejects (each reported on `err`)
};

SampleOutcome run_sample(const SampleOptions& options, std::istream& in, std::ostream& out,
                         std::ostream& err);

// The `sample` subcommand: its flags are added to `app` when built; run() after parsing, when
// chosen(), answers the prompts and returns the exit status (1 if any prompt was rejected).
class SampleCommand {
 public:
  explicit SampleCommand(CLI::App& app);
  bool chosen() const;
  int run();

 private:
  CLI::App* command_;
  SampleOptions options_;
};

}  // namespace tandem::suites
