// `start`: trains nothing. The run's start policy π₀ (its policy config, a snapshot included),
// evaluated like every run: a protocol suite's score-0 reference (docs/protocol.md §1), so
// the start is measured with the same evaluation as the contenders, not assumed. It logs the
// evaluation at env step 0 and one at the end of the budget (the same policy: with a
// deterministic evaluation the same number), so its final score reads like a learner's.
#include "algorithms/algorithm.h"
#include "algorithms/checkpoint.h"

namespace tandem::algorithms {
namespace {

struct StartConfig {
  template <class V>
  void visit(V&) {}
};

class StartPolicy : public Algorithm {
 public:
  StartPolicy(const json& config, const std::string& where)
      : config_(config_from_json<StartConfig>(config, where)) {}

  json config() const override { return config_to_json(config_); }
  agents::Policy policy() const override { return policy_; }

  void train(RunContext& ctx) override {
    policy_ = ctx.make_policy();
    // nothing to continue (a killed run evaluates again): drop what the killed attempt wrote
    if (ctx.resuming()) ctx.resume_at(-1, 0);
    ctx.set_reference(agents::frozen_copy(*policy_));  // KL to itself: 0, as it should read
    ctx.report(0, json::object(), *policy_);
    ctx.report(ctx.options().total_steps, json::object(), *policy_);
    // as every run leaves one: `tandem eval`, `view` and `record` read the policy from it
    if (!ctx.checkpoint_path().empty())
      save_checkpoint(ctx.checkpoint_path(), *policy_, nullptr,
                      {{"algorithm", "start"},
                       {"env_steps", ctx.options().total_steps},
                       {"wall_seconds", ctx.wall_seconds()}});
  }

 private:
  StartConfig config_;
  agents::Policy policy_;
};

}  // namespace

TANDEM_REGISTER_ALGORITHM("start", StartPolicy);

}  // namespace tandem::algorithms
