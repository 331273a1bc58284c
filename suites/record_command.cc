#include "suites/record_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "envs/error.h"
#include "envs/mujoco/gl_context.h"
#include "envs/mujoco/renderer.h"
#include "suites/process.h"

namespace tandem::suites {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kMaxImageSide = 8192;
constexpr double kMaxMp4Fps = 60, kMaxGifFps = 25;

std::string frame_name(int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "frame_%06lld.png", static_cast<long long>(index));
  return buf;
}

std::string format(const char* fmt, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// True when `program` is an executable file in one of PATH's folders.
bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string dirs = path;
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = dirs.substr(start, end - start);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

void check_options(const RecordOptions& o) {
  if (o.out_dir.empty()) throw Error("record: --out DIR is required (the frames' folder)");
  if (o.width < 16 || o.height < 16 || o.width > kMaxImageSide || o.height > kMaxImageSide)
    throw Error("image size " + std::to_string(o.width) + "x" + std::to_string(o.height) +
                ": each side between 16 and " + std::to_string(kMaxImageSide) + " pixels");
  if (o.episodes < 1) throw Error("--episodes " + std::to_string(o.episodes) + ": at least 1");
  if (o.max_frames < 0) throw Error("--frames " + std::to_string(o.max_frames) + ": 0 or more");
  if (o.every < 1) throw Error("--every " + std::to_string(o.every) + ": at least 1");
  envs::gl_backend_from_name(o.gl);
  if (o.video.empty()) return;
  if (!ends_with(o.video, ".mp4") && !ends_with(o.video, ".gif"))
    throw Error("--video " + o.video + ": the name must end in .mp4 or .gif");
  // before any rendering: a missing encoder should not cost the whole recording first
  if (!on_path("ffmpeg"))
    throw Error(
        "--video needs ffmpeg, which is not on PATH: install it (apt-get install ffmpeg), "
        "or leave out --video and keep the PNG frames");
}

// Frames of earlier recordings into the same folder would mix with the new ones.
void clear_frames(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if ((name.rfind("frame_", 0) == 0 && ends_with(name, ".png")) || name == "record.json")
      fs::remove(entry.path());
  }
}

void encode_video(const RecordOptions& o, double fps) {
  const bool gif = ends_with(o.video, ".gif");
  const double out_fps = std::min(fps, gif ? kMaxGifFps : kMaxMp4Fps);
  std::string filter = "fps=" + format("%g", out_fps);
  if (gif) {
    // one palette made for this clip: far fewer banding artefacts than GIF's default palette
    filter += ",split[a][b];[a]palettegen[p];[b][p]paletteuse";
  } else {
    // H.264 in yuv420p (what browsers play) needs even sides
    filter += ",pad=ceil(iw/2)*2:ceil(ih/2)*2";
  }
  std::vector<std::string> argv = {"ffmpeg",     "-y",
                                   "-loglevel",  "error",
                                   "-framerate", format("%.6g", fps),
                                   "-i",         (fs::path(o.out_dir) / "frame_%06d.png").string(),
                                   "-vf",        filter};
  if (!gif) argv.insert(argv.end(), {"-pix_fmt", "yuv420p"});
  argv.push_back(o.video);
  SpawnOptions spawn;
  spawn.log_path = (fs::path(o.out_dir) / "ffmpeg.log").string();
  fs::remove(spawn.log_path);
  const ExitStatus status = run_process(argv, spawn);
  if (!status.ok())
    throw Error("ffmpeg could not write " + o.video + " (" + status.describe() +
                "); its messages: " + spawn.log_path + "; the PNG frames are in " + o.out_dir);
}

}  // namespace

RecordOutcome run_record(const RecordOptions& options) {
  check_options(options);
  Watch watch = make_watch(options.watch);
  const fs::path dir(options.out_dir);
  fs::create_directories(dir);
  clear_frames(dir);

  RecordOutcome outcome;
  envs::OffscreenGl gl(envs::gl_backend_from_name(options.gl));
  outcome.gl = gl.description();
  envs::RenderOptions render;
  render.width = options.width;
  render.height = options.height;
  render.camera = options.camera;
  envs::SceneRenderer renderer(watch.mujoco->model(), render);

  json frames = json::array();
  const auto start = Clock::now();
  int64_t episode = 0, step = 0;
  double episode_return = 0, reward = 0;
  auto take_frame = [&] {
    std::vector<envs::Overlay> overlays;
    if (options.overlay) {
      envs::Overlay o;
      o.labels = "episode\nstep\nreward\nreturn";
      o.values = std::to_string(episode + 1) + "\n" + std::to_string(step) + "\n" +
                 format("%.3f", reward) + "\n" + format("%.2f", episode_return);
      overlays.push_back(o);
    }
    const auto t0 = Clock::now();
    envs::Image image = renderer.render(watch.mujoco->data(), overlays);
    outcome.render_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    const std::string name = frame_name(outcome.frames);
    envs::write_png((dir / name).string(), image);
    frames.push_back({{"file", name}, {"episode", episode}, {"step", step}});
    ++outcome.frames;
  };
  auto frames_left = [&] { return options.max_frames == 0 || outcome.frames < options.max_frames; };

  for (episode = 0; episode < options.episodes && frames_left(); ++episode) {
    // the first episode from the seed, the next ones continuing the env's random stream
    std::vector<float> obs =
        watch.env->reset(episode == 0 ? std::optional<uint64_t>(options.watch.seed) : std::nullopt);
    watch.actor.start_episode();
    renderer.center_camera(watch.mujoco->data());
    step = 0;
    episode_return = reward = 0;
    take_frame();
    RecordedEpisode done;
    done.ended = "frame limit";
    while (frames_left()) {
      envs::StepResult r = watch.env->step(watch.actor.act(obs));
      obs = std::move(r.obs);
      reward = r.reward;
      episode_return += r.reward;
      ++step;
      const bool ended = r.terminated || r.truncated;
      // the last state of an episode is always drawn, whatever `every` says
      if (step % options.every == 0 || ended) take_frame();
      if (ended) {
        done.ended = r.terminated ? "terminated" : "truncated";
        break;
      }
    }
    done.episode_return = episode_return;
    done.length = step;
    outcome.episodes.push_back(done);
  }
  outcome.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const double fps = 1.0 / (watch.mujoco->dt() * options.every);
  json episodes = json::array();
  for (const auto& e : outcome.episodes)
    episodes.push_back({{"return", e.episode_return}, {"length", e.length}, {"ended", e.ended}});
  const json manifest = {{"env", watch.env_id},
                         {"actions", watch.actor.description()},
                         {"seed", options.watch.seed},
                         {"width", options.width},
                         {"height", options.height},
                         {"camera", options.camera.empty() ? "tracking" : options.camera},
                         {"every", options.every},
                         {"fps", fps},
                         {"frames", frames},
                         {"episodes", episodes},
                         {"video", options.video}};
  write_file_atomic((dir / "record.json").string(), manifest.dump(2) + "\n");

  if (!options.video.empty()) {
    encode_video(options, fps);
    outcome.video = options.video;
  }
  return outcome;
}

RecordCommand::RecordCommand(CLI::App& app)
    : command_(app.add_subcommand("record",
                                  "render a MuJoCo env's episodes offscreen to PNG frames (and a "
                                  "video with ffmpeg); needs no display")) {
  add_watch_options(*command_, &options_.watch);
  command_->add_option("--out", options_.out_dir, "folder for frame_NNNNNN.png and record.json")
      ->required();
  command_->add_option("--video", options_.video, "also encode FILE.mp4 or FILE.gif (ffmpeg)");
  command_->add_option("--width", options_.width, "frame width in pixels")->capture_default_str();
  command_->add_option("--height", options_.height, "frame height in pixels")
      ->capture_default_str();
  command_->add_option("--camera", options_.camera,
                       "a camera of the model (default: tracking the main body)");
  command_->add_option("--episodes", options_.episodes, "episodes to record")
      ->capture_default_str();
  command_->add_option("--frames", options_.max_frames,
                       "stop after N frames (default 0: when the episodes end)");
  command_->add_option("--every", options_.every, "env steps between frames")
      ->capture_default_str();
  command_->add_flag("--overlay", options_.overlay, "print step, reward and return on the frames");
  command_
      ->add_option("--gl", options_.gl,
                   "OpenGL: egl (no display needed), glfw (hidden window on an X display), "
                   "auto (egl, then glfw)")
      ->capture_default_str();
}

bool RecordCommand::chosen() const { return command_->parsed(); }

int RecordCommand::run() {
  const RecordOutcome o = run_record(options_);
  std::printf(
      "recorded %lld frames (%dx%d) to %s in %.1f s: %.1f frames/s, %.1f frames/s "
      "drawing alone (%s)\n",
      static_cast<long long>(o.frames), options_.width, options_.height, options_.out_dir.c_str(),
      o.seconds, o.frames / std::max(o.seconds, 1e-9), o.frames / std::max(o.render_seconds, 1e-9),
      o.gl.c_str());
  for (size_t k = 0; k < o.episodes.size(); ++k)
    std::printf("episode %zu: return %.2f over %lld steps (%s)\n", k + 1,
                o.episodes[k].episode_return, static_cast<long long>(o.episodes[k].length),
                o.episodes[k].ended.c_str());
  if (!o.video.empty()) std::printf("video: %s\n", o.video.c_str());
  return 0;
}

}  // namespace tandem::suites
