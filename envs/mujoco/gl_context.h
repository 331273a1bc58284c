// OpenGL contexts for MuJoCo's renderer (mjr_*): the window system lives here and nowhere else,
// so the simulation never needs a display.
//
// | OffscreenGl, EGL  | no display server: Mesa's surfaceless platform (software llvmpipe, or the |
// |                   | GPU's driver), else an EGL device, else EGL's default display             |
// | OffscreenGl, GLFW | a hidden GLFW window: needs an X display (xvfb-run provides one)          |
// | Window            | a visible GLFW window with keyboard and mouse input, for `tandem view`    |
//
// Each object makes its context current when built and keeps it current: one context per
// thread at a time, built and used on the same thread. Failures throw tandem::Error saying what
// to do (xvfb-run, or `tandem record`, which needs no display).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace tandem::envs {

enum class GlBackend { kAuto, kEgl, kGlfw };
// "auto" (EGL, then a hidden GLFW window), "egl", "glfw"; anything else throws tandem::Error.
GlBackend gl_backend_from_name(const std::string& name);

// A current OpenGL context without a visible window (RAII).
class OffscreenGl {
 public:
  explicit OffscreenGl(GlBackend backend = GlBackend::kAuto);
  ~OffscreenGl();
  OffscreenGl(const OffscreenGl&) = delete;
  OffscreenGl& operator=(const OffscreenGl&) = delete;

  // "EGL, llvmpipe (LLVM 15.0.6, 256 bits)": the backend and the GL renderer string.
  const std::string& description() const { return description_; }

  // the two backends, defined in the .cc
  struct Egl;
  struct Glfw;

 private:
  std::unique_ptr<Egl> egl_;
  std::unique_ptr<Glfw> glfw_;
  std::string description_;
};

// Keys the viewer reacts to; every other key is kOther.
enum class Key { kSpace, kRight, kBackspace, kUp, kDown, kEscape, kQ, kR, kPlus, kMinus, kOther };

// What happened in a window since the last poll.
struct WindowInput {
  std::vector<Key> keys;  // presses and auto-repeats, in order
  // cursor movement while a button is held, in window heights (MuJoCo's camera convention)
  double drag_x = 0, drag_y = 0;
  bool drag_right = false;  // the right button was held (else the left)
  double scroll = 0;        // wheel steps, positive away from the user
};

// A visible window whose OpenGL context is current (RAII).
class Window {
 public:
  // Throws tandem::Error when there is no display, saying to use xvfb-run or `tandem record`.
  Window(const std::string& title, int width, int height);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  bool should_close() const;
  // Processes pending window-system events and returns the input they carried.
  WindowInput poll();
  // Size of the drawable area in pixels (differs from the window size on high-DPI screens).
  int framebuffer_width() const;
  int framebuffer_height() const;
  void swap_buffers();
  const std::string& description() const { return description_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string description_;
};

}  // namespace tandem::envs
