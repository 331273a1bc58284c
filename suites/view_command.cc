#include "suites/view_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include "envs/error.h"
#include "envs/mujoco/gl_context.h"
#include "envs/mujoco/renderer.h"

namespace tandem::suites {
namespace {

using Clock = std::chrono::steady_clock;

// Env steps one frame may take before the viewer gives up on real time: a model too slow to
// simulate in real time then runs slower instead of freezing the window.
constexpr int kMaxStepsPerFrame = 200;
// A longer pause between frames (the window was dragged, the machine stalled) is not caught up.
constexpr double kMaxFrameSeconds = 0.1;
constexpr double kMinSpeed = 1.0 / 64, kMaxSpeed = 64;

std::string format(const char* fmt, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

std::string speed_text(double speed) {
  return speed >= 1 ? format("%gx", speed) : "1/" + format("%g", 1 / speed) + "x";
}

// One episode after another in the watched env.
struct Episodes {
  Episodes(Watch& w, envs::SceneRenderer& r) : watch(w), renderer(r) {}

  Watch& watch;
  envs::SceneRenderer& renderer;
  std::vector<float> obs;
  int64_t step = 0, steps_total = 0, finished = 0;
  double reward = 0, episode_return = 0, last_return = 0;
  int64_t last_length = 0;
  bool have_last = false;

  void reset(std::optional<uint64_t> seed) {
    obs = watch.env->reset(seed);
    watch.actor.start_episode();
    renderer.center_camera(watch.mujoco->data());
    step = 0;
    reward = episode_return = 0;
  }

  void advance() {
    envs::StepResult r = watch.env->step(watch.actor.act(obs));
    obs = std::move(r.obs);
    reward = r.reward;
    episode_return += r.reward;
    ++step;
    ++steps_total;
    if (r.terminated || r.truncated) {
      last_return = episode_return;
      last_length = step;
      have_last = true;
      ++finished;
      reset(std::nullopt);  // the env's random stream continues: a new initial state
    }
  }
};

}  // namespace

ViewOutcome run_view(const ViewOptions& options) {
  if (options.width < 16 || options.height < 16)
    throw Error("window size " + std::to_string(options.width) + "x" +
                std::to_string(options.height) + ": at least 16x16");
  if (!(options.speed >= kMinSpeed && options.speed <= kMaxSpeed))
    throw Error("speed " + format("%g", options.speed) + ": between 1/64 and 64");
  Watch watch = make_watch(options.watch);
  // the window first: without a display this is what fails, before any rendering is set up
  envs::Window window("tandem view: " + watch.env_id, options.width, options.height);
  envs::RenderOptions render;
  render.camera = options.camera;
  render.big_font = true;
  envs::SceneRenderer renderer(watch.mujoco->model(), render);

  Episodes episodes(watch, renderer);
  episodes.reset(options.watch.seed);
  const double dt = watch.mujoco->dt();
  double speed = options.speed, owed = 0;  // sim seconds owed to the wall clock
  bool paused = false, quit = false, behind = false;
  ViewOutcome outcome;
  const auto start = Clock::now();
  auto last = start;

  while (!quit && !window.should_close()) {
    // input
    const envs::WindowInput input = window.poll();
    for (envs::Key key : input.keys) {
      switch (key) {
        case envs::Key::kSpace:
          paused = !paused;
          break;
        case envs::Key::kRight:
          if (paused) episodes.advance();
          break;
        case envs::Key::kBackspace:
        case envs::Key::kR:
          episodes.reset(std::nullopt);
          break;
        case envs::Key::kUp:
        case envs::Key::kPlus:
          speed = std::min(speed * 2, kMaxSpeed);
          break;
        case envs::Key::kDown:
        case envs::Key::kMinus:
          speed = std::max(speed / 2, kMinSpeed);
          break;
        case envs::Key::kEscape:
        case envs::Key::kQ:
          quit = true;
          break;
        case envs::Key::kOther:
          break;
      }
    }
    if (input.drag_x != 0 || input.drag_y != 0)
      renderer.drag_camera(input.drag_x, input.drag_y, input.drag_right);
    if (input.scroll != 0) renderer.zoom_camera(input.scroll);

    // simulation: as many env steps as the wall clock has moved on
    const auto now = Clock::now();
    const double wall = std::chrono::duration<double>(now - last).count();
    last = now;
    if (!paused) owed += std::min(wall, kMaxFrameSeconds) * speed;
    int steps = 0;
    while (!paused && owed >= dt && steps < kMaxStepsPerFrame) {
      episodes.advance();
      owed -= dt;
      ++steps;
    }
    behind = steps == kMaxStepsPerFrame;
    if (behind || paused) owed = 0;

    // picture
    envs::Overlay status;
    status.labels = "env\nactions\nstep\nreward\nreturn\nlast episode\nspeed";
    status.values = watch.env_id + "\n" + watch.actor.description() + "\n" +
                    std::to_string(episodes.step) + "\n" + format("%.3f", episodes.reward) + "\n" +
                    format("%.2f", episodes.episode_return) + "\n" +
                    (episodes.have_last ? format("%.2f", episodes.last_return) + " in " +
                                              std::to_string(episodes.last_length) + " steps"
                                        : std::string("-")) +
                    "\n" + (paused ? std::string("paused") : speed_text(speed)) +
                    (behind ? " (slower: cannot keep up)" : "");
    envs::Overlay help;
    help.corner = envs::Overlay::Corner::kBottomLeft;
    help.labels = "space\nright\nbackspace\nup / down\nmouse\nesc";
    help.values = "pause\nstep (paused)\nreset\nspeed\nrotate, pan, zoom\nquit";
    renderer.render_to_window(watch.mujoco->data(), window.framebuffer_width(),
                              window.framebuffer_height(), {status, help});
    window.swap_buffers();
    ++outcome.frames;
    if (options.max_frames > 0 && outcome.frames >= options.max_frames) quit = true;
  }
  outcome.env_steps = episodes.steps_total;
  outcome.episodes_finished = episodes.finished;
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return outcome;
}

ViewCommand::ViewCommand(CLI::App& app)
    : command_(app.add_subcommand("view",
                                  "watch a policy act in a MuJoCo env: a window, in real "
                                  "time (needs a display, or xvfb-run)")) {
  command_->footer(
      "keys: space pause, right arrow one step (paused), backspace or r reset, up/down (+/-) "
      "speed x2 / x0.5, esc or q quit; mouse: left drag rotate, right drag pan, wheel zoom");
  add_watch_options(*command_, &options_.watch);
  command_->add_option("--width", options_.width, "window width")->capture_default_str();
  command_->add_option("--height", options_.height, "window height")->capture_default_str();
  command_->add_option("--camera", options_.camera,
                       "a camera of the model (default: tracking the main body)");
  command_->add_option("--speed", options_.speed, "sim seconds per wall second")
      ->capture_default_str();
  command_->add_option("--max-frames", options_.max_frames,
                       "quit after N frames (scripted runs; default: when the window closes)");
}

bool ViewCommand::chosen() const { return command_->parsed(); }

int ViewCommand::run() {
  const ViewOutcome o = run_view(options_);
  std::printf("viewer: %lld frames, %lld env steps, %lld episodes finished, %.1f s\n",
              static_cast<long long>(o.frames), static_cast<long long>(o.env_steps),
              static_cast<long long>(o.episodes_finished), o.seconds);
  return 0;
}

}  // namespace tandem::suites
