// What an env option does, in words, for `tandem list envs --options ENV`: the MuJoCo envs share
// Gymnasium v5's option names, so one table serves them all (an env's own .cc opens with the
// table of its terms). An option not in the table has no help: its name and range still print.
#pragma once

#include <string>

namespace tandem::envs {

// "" when the table does not know `key`.
std::string option_help(const std::string& key);

}  // namespace tandem::envs
