#include "envs/mujoco/renderer.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "envs/error.h"

namespace tandem::envs {
namespace {

constexpr int kMaxSceneGeoms = 4000;
constexpr double kPi = 3.14159265358979323846;

// Distance from which a camera with vertical field of view `fovy_degrees` sees the whole
// subtree of `body` at the model's reset pose (qpos0), with a margin.
double fitted_distance(const mjModel* m, int body, double fovy_degrees) {
  mjData* d = mj_makeData(m);
  mj_forward(m, d);
  std::vector<bool> inside(m->nbody, false);
  inside[body] = true;
  // parents come before children in MuJoCo's body order
  for (int b = body + 1; b < m->nbody; ++b) inside[b] = inside[m->body_parentid[b]];
  const mjtNum* com = d->subtree_com + 3 * body;
  double radius = 0;
  for (int g = 0; g < m->ngeom; ++g) {
    // planes and height fields are the floor, not the robot
    if (!inside[m->geom_bodyid[g]] || m->geom_type[g] == mjGEOM_PLANE ||
        m->geom_type[g] == mjGEOM_HFIELD)
      continue;
    const mjtNum* p = d->geom_xpos + 3 * g;
    const double r =
        std::sqrt((p[0] - com[0]) * (p[0] - com[0]) + (p[1] - com[1]) * (p[1] - com[1]) +
                  (p[2] - com[2]) * (p[2] - com[2])) +
        m->geom_rbound[g];
    radius = std::max(radius, r);
  }
  mj_deleteData(d);
  if (radius <= 0) radius = m->stat.extent;
  // a sphere of that radius fills the view at r / sin(fovy / 2); 1.3 leaves room to move
  return 1.3 * radius / std::sin(fovy_degrees * kPi / 360.0);
}

std::string camera_names(const mjModel* m) {
  std::string names;
  for (int i = 0; i < m->ncam; ++i) {
    const char* name = mj_id2name(m, mjOBJ_CAMERA, i);
    names += std::string(names.empty() ? "" : ", ") +
             (name ? name : "(unnamed #" + std::to_string(i) + ")");
  }
  return names.empty() ? "none" : names;
}

int grid_position(Overlay::Corner corner) {
  switch (corner) {
    case Overlay::Corner::kTopLeft:
      return mjGRID_TOPLEFT;
    case Overlay::Corner::kTopRight:
      return mjGRID_TOPRIGHT;
    case Overlay::Corner::kBottomLeft:
      return mjGRID_BOTTOMLEFT;
    case Overlay::Corner::kBottomRight:
      return mjGRID_BOTTOMRIGHT;
  }
  return mjGRID_TOPLEFT;
}

}  // namespace

void write_png(const std::string& path, const Image& image) {
  TANDEM_CHECK(image.rgb.size() == static_cast<size_t>(image.width) * image.height * 3,
               "image size");
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = image.width;
  png.height = image.height;
  png.format = PNG_FORMAT_RGB;
  png.flags = PNG_IMAGE_FLAG_FAST;  // faster filters and compression: frames come by the hundred
  if (!png_image_write_to_file(&png, path.c_str(), 0, image.rgb.data(), 0, nullptr))
    throw Error(path + ": cannot write PNG: " + png.message);
}

Image read_png(const std::string& path) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str()))
    throw Error(path + ": cannot read PNG: " + png.message);
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.rgb.data(), 0, nullptr)) {
    png_image_free(&png);
    throw Error(path + ": cannot read PNG: " + png.message);
  }
  return image;
}

SceneRenderer::SceneRenderer(const mjModel* model, const RenderOptions& options)
    : options_(options), model_(mj_copyModel(nullptr, model)) {
  if (options_.width < 1 || options_.height < 1)
    throw Error("image size " + std::to_string(options_.width) + "x" +
                std::to_string(options_.height) + ": both must be at least 1 pixel");
  mjModel* m = model_.get();
  m->vis.global.offwidth = options_.width;
  m->vis.global.offheight = options_.height;

  mjv_defaultCamera(&camera_);
  if (!options_.camera.empty()) {
    const int id = mj_name2id(m, mjOBJ_CAMERA, options_.camera.c_str());
    if (id < 0)
      throw Error("camera \"" + options_.camera + "\" is not in the model (its cameras: " +
                  camera_names(m) + "); leave the camera out for the tracking camera");
    camera_.type = mjCAMERA_FIXED;
    camera_.fixedcamid = id;
  } else if (m->nbody > 1) {
    camera_.type = mjCAMERA_TRACKING;
    camera_.trackbodyid = 1;
    camera_.distance = fitted_distance(m, 1, m->vis.global.fovy);
    camera_.azimuth = 90;  // from the side: locomotion runs along +x
    camera_.elevation = -20;
  } else {
    // only the world body: look at the whole model
    camera_.type = mjCAMERA_FREE;
    mju_copy3(camera_.lookat, m->stat.center);
    camera_.distance = 1.5 * m->stat.extent;
  }
  mjv_defaultOption(&visual_);
  mjv_defaultPerturb(&perturb_);
  mjv_defaultScene(&scene_);
  mjv_makeScene(m, &scene_, kMaxSceneGeoms);
  mjr_defaultContext(&context_);
  mjr_makeContext(m, &context_, options_.big_font ? mjFONTSCALE_150 : mjFONTSCALE_100);
  if (context_.offWidth < options_.width || context_.offHeight < options_.height) {
    const std::string got =
        std::to_string(context_.offWidth) + "x" + std::to_string(context_.offHeight);
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
    throw Error("image size " + std::to_string(options_.width) + "x" +
                std::to_string(options_.height) + " is larger than this OpenGL allows (" + got +
                "); ask for a smaller one");
  }
  pixels_.resize(static_cast<size_t>(options_.width) * options_.height * 3);
}

SceneRenderer::~SceneRenderer() {
  mjr_freeContext(&context_);
  mjv_freeScene(&scene_);
}

void SceneRenderer::center_camera(const mjData* data) {
  if (camera_.type != mjCAMERA_TRACKING) return;
  mju_copy3(camera_.lookat, data->subtree_com + 3 * camera_.trackbodyid);
}

void SceneRenderer::drag_camera(double dx, double dy, bool right_button) {
  mjv_moveCamera(model_.get(), right_button ? mjMOUSE_MOVE_V : mjMOUSE_ROTATE_V, dx, dy, &scene_,
                 &camera_);
}

void SceneRenderer::zoom_camera(double wheel_steps) {
  mjv_moveCamera(model_.get(), mjMOUSE_ZOOM, 0, -0.05 * wheel_steps, &scene_, &camera_);
}

void SceneRenderer::draw(const mjData* data, const mjrRect& viewport,
                         const std::vector<Overlay>& overlays) {
  // MuJoCo 2.2 declares the data non-const but only reads it here
  mjv_updateScene(model_.get(), const_cast<mjData*>(data), &visual_, &perturb_, &camera_, mjCAT_ALL,
                  &scene_);
  mjr_render(viewport, &scene_, &context_);
  for (const Overlay& o : overlays)
    mjr_overlay(mjFONT_NORMAL, grid_position(o.corner), viewport, o.labels.c_str(),
                o.values.c_str(), &context_);
}

Image SceneRenderer::render(const mjData* data, const std::vector<Overlay>& overlays) {
  const mjrRect viewport{0, 0, options_.width, options_.height};
  mjr_setBuffer(mjFB_OFFSCREEN, &context_);
  draw(data, viewport, overlays);
  mjr_readPixels(pixels_.data(), nullptr, viewport, &context_);
  // OpenGL's rows start at the bottom, an image's at the top
  Image image;
  image.width = options_.width;
  image.height = options_.height;
  image.rgb.resize(pixels_.size());
  const size_t row = static_cast<size_t>(options_.width) * 3;
  for (int y = 0; y < options_.height; ++y)
    std::memcpy(image.rgb.data() + y * row, pixels_.data() + (options_.height - 1 - y) * row, row);
  return image;
}

void SceneRenderer::render_to_window(const mjData* data, int width, int height,
                                     const std::vector<Overlay>& overlays) {
  mjr_setBuffer(mjFB_WINDOW, &context_);
  draw(data, mjrRect{0, 0, width, height}, overlays);
}

}  // namespace tandem::envs
