// `tandem view`: a window showing a MuJoCo env as a policy (a checkpoint's, random actions, or
// none) acts in it, in real time: sim time runs with wall time, times `speed`.
//
// | space        | pause / resume                                  |
// | right arrow  | one env step (while paused)                     |
// | backspace, r | reset: a new episode                            |
// | up / down    | twice / half as fast (+ and - too)              |
// | mouse        | left drag rotates, right drag pans, wheel zooms |
// | esc, q       | quit                                            |
//
// The overlay shows the env step, the last reward, the episode's return so far and the last
// finished episode's. Needs a display (GLFW): without one, the error says to run under
// `xvfb-run -a` or to write frames with `tandem record`.
#pragma once

#include <cstdint>
#include <string>

#include "suites/checkpoint_policy.h"

namespace tandem::suites {

struct ViewOptions {
  WatchRequest watch;
  int width = 1200;  // of the window, in screen coordinates
  int height = 900;
  std::string camera;      // a camera of the model; empty: the tracking camera
  double speed = 1.0;      // sim seconds per wall second at start
  int64_t max_frames = 0;  // quit after this many frames (scripted runs); 0: when closed
};

struct ViewOutcome {
  int64_t frames = 0;
  int64_t env_steps = 0;
  int64_t episodes_finished = 0;
  double seconds = 0;
};

ViewOutcome run_view(const ViewOptions& options);

// The `view` subcommand: its flags are added to `app` when built; run() after parsing, when
// chosen(), prints the outcome and returns the exit status.
class ViewCommand {
 public:
  explicit ViewCommand(CLI::App& app);
  bool chosen() const;
  int run();

 private:
  CLI::App* command_;
  ViewOptions options_;
};

}  // namespace tandem::suites
