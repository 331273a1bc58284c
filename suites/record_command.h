// `tandem record`: a MuJoCo env's episodes drawn offscreen (MuJoCo's renderer, the viewer's
// tracking camera) to numbered PNG frames, and optionally a video made from them by ffmpeg.
//
// | OUT/frame_000000.png … | one frame at each reset and after every `every` env steps;     |
// |                        | numbering runs on across episodes                              |
// | OUT/record.json        | env, actions, seed, size, frames per second of real time, and  |
// |                        | per frame its episode and step; per episode its return, length |
// |                        | and how it ended                                               |
// | VIDEO (.mp4 or .gif)   | the frames at real-time speed (at most 60 frames/s for MP4,    |
// |                        | 25 for GIF, dropping frames between); needs ffmpeg              |
//
// Needs no display: the OpenGL context comes from EGL (Mesa renders in software when there is
// no GPU), or from a hidden GLFW window on an X display (xvfb-run) with --gl glfw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "suites/checkpoint_policy.h"

namespace tandem::suites {

struct RecordOptions {
  WatchRequest watch;
  std::string out_dir;  // the frames' folder (created; earlier frames in it are removed)
  std::string video;    // FILE.mp4 or FILE.gif, encoded by ffmpeg; empty: frames only
  int width = 640;
  int height = 480;
  std::string camera;  // a camera of the model; empty: the tracking camera
  int64_t episodes = 1;
  int64_t max_frames = 0;   // stop after this many frames; 0: when the episodes end
  int64_t every = 1;        // env steps between frames
  bool overlay = false;     // print step, reward and return on the frames
  std::string gl = "auto";  // OpenGL backend: auto, egl, glfw (envs/mujoco/gl_context.h)
};

struct RecordedEpisode {
  double episode_return = 0;
  int64_t length = 0;
  std::string ended;  // "terminated", "truncated", or "frame limit" (cut short by max_frames)
};

struct RecordOutcome {
  int64_t frames = 0;
  std::vector<RecordedEpisode> episodes;
  double seconds = 0;         // wall time of simulating, rendering and writing the frames
  double render_seconds = 0;  // of which drawing and reading back the pictures
  std::string gl;             // the OpenGL context used
  std::string video;          // the video written, if any
};

RecordOutcome run_record(const RecordOptions& options);

// The `record` subcommand: its flags are added to `app` when built; run() after parsing, when
// chosen(), prints the outcome and returns the exit status.
class RecordCommand {
 public:
  explicit RecordCommand(CLI::App& app);
  bool chosen() const;
  int run();

 private:
  CLI::App* command_;
  RecordOptions options_;
};

}  // namespace tandem::suites
