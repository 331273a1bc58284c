// Pictures of a MuJoCo model with MuJoCo's own renderer: an mjvScene and an mjrContext drawn
// from a camera that tracks the main body, either offscreen (read back as RGB images, for
// `tandem record`) or into a window (for `tandem view`). The OpenGL context comes from
// envs/mujoco/gl_context.h and must be current whenever a SceneRenderer is built, used or
// destroyed.
//
// | camera (default) | tracking body 1 (the first body after the world: Hopper's torso, Ant's   |
// |                  | torso), seen from the side (azimuth 90°, 20° from above), at a distance |
// |                  | that fits that body's subtree in view at the reset pose                  |
// | camera "NAME"    | one of the model's own cameras, fixed as the XML defines it               |
// | quality          | the model's <visual><quality> (4x multisampling, 4096 shadow map)         |
#pragma once

#include <mujoco/mujoco.h>

#include <cstdint>
#include <string>
#include <vector>

#include "envs/mujoco/mujoco_env.h"

namespace tandem::envs {

// An 8-bit RGB picture, rows from the top, 3 bytes a pixel.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
};

// PNG files through libpng; errors throw tandem::Error naming the file.
void write_png(const std::string& path, const Image& image);
Image read_png(const std::string& path);

// Text MuJoCo draws over the picture: two columns (labels, values), lines split by '\n'.
struct Overlay {
  enum class Corner { kTopLeft, kTopRight, kBottomLeft, kBottomRight };
  Corner corner = Corner::kTopLeft;
  std::string labels;
  std::string values;
};

struct RenderOptions {
  int width = 640;  // of the offscreen buffer, in pixels
  int height = 480;
  std::string camera;     // a camera of the model; empty: the tracking camera
  bool big_font = false;  // 150% text, for a window on a desktop screen
};

class SceneRenderer {
 public:
  // The model is copied (the offscreen buffer's size is a model setting); data rendered later
  // must belong to a model with the same structure. Throws tandem::Error for an unknown camera
  // or a buffer larger than the OpenGL implementation allows.
  SceneRenderer(const mjModel* model, const RenderOptions& options);
  ~SceneRenderer();
  SceneRenderer(const SceneRenderer&) = delete;
  SceneRenderer& operator=(const SceneRenderer&) = delete;

  // Puts the tracking camera on its body at once (after a reset), instead of letting it glide
  // there from wherever the last episode ended.
  void center_camera(const mjData* data);
  // Mouse control of the camera, in window heights: rotate (left drag), pan (right drag).
  void drag_camera(double dx, double dy, bool right_button);
  void zoom_camera(double wheel_steps);

  // Draws `data` offscreen with the overlays and reads the picture back.
  Image render(const mjData* data, const std::vector<Overlay>& overlays = {});
  // Draws `data` into the current window's back buffer, `width` × `height` pixels.
  void render_to_window(const mjData* data, int width, int height,
                        const std::vector<Overlay>& overlays = {});

  int width() const { return options_.width; }
  int height() const { return options_.height; }

 private:
  void draw(const mjData* data, const mjrRect& viewport, const std::vector<Overlay>& overlays);

  RenderOptions options_;
  MjModelPtr model_;
  mjvScene scene_;
  mjrContext context_;
  mjvCamera camera_;
  mjvOption visual_;
  mjvPerturb perturb_;           // none: the viewer only watches
  std::vector<uint8_t> pixels_;  // what glReadPixels returns: rows from the bottom
};

}  // namespace tandem::envs
