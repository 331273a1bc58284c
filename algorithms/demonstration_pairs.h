// AIHF's demonstration pairs, shared by both of its forms (`aihf`, `aihf_dpo`): each
// demonstration y^E is paired with an episode y' that a policy samples from the same start
// (prompt or seed), y^E ≻ y'. Pairs whose y' repeats y^E action for action are skipped: they
// carry no signal.
#pragma once

#include <vector>

#include "agents/policy.h"
#include "algorithms/feedback.h"

namespace tandem::algorithms {

std::vector<PreferencePair> demonstration_pairs(agents::PolicyImpl& sampler,
                                                const EnvFactory& make_env,
                                                const std::vector<Episode>& demos);

}  // namespace tandem::algorithms
