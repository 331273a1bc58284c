#include "envs/mujoco/gl_context.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLFW/glfw3.h>

#include <cstring>
#include <string>
#include <utility>

#include "envs/error.h"

namespace tandem::envs {
namespace {

// glGetString through the loader, so nothing here links libGL itself (MuJoCo loads its own
// OpenGL functions the same way).
using GlGetString = const unsigned char* (*)(unsigned int);
constexpr unsigned int kGlRenderer = 0x1F01;

std::string renderer_name(void* get_string) {
  if (get_string == nullptr) return "unknown renderer";
  const unsigned char* s = reinterpret_cast<GlGetString>(get_string)(kGlRenderer);
  return s ? reinterpret_cast<const char*>(s) : "unknown renderer";
}

// GLFW is process-wide state: initialized by the first window and ended with the last one.
int g_glfw_users = 0;
std::string g_glfw_error;

void on_glfw_error(int code, const char* message) { g_glfw_error = message ? message : ""; }

// Returns false (and the reason) when GLFW cannot start, which means no display.
bool acquire_glfw(std::string* why) {
  if (g_glfw_users == 0) {
    glfwSetErrorCallback(on_glfw_error);
    g_glfw_error.clear();
    if (!glfwInit()) {
      *why = g_glfw_error.empty() ? "glfwInit failed" : g_glfw_error;
      return false;
    }
  }
  ++g_glfw_users;
  return true;
}

void release_glfw() {
  if (--g_glfw_users == 0) glfwTerminate();
}

// GLFW's key codes of the keys the viewer knows
constexpr std::pair<int, Key> kKeys[] = {
    {GLFW_KEY_SPACE, Key::kSpace},
    {GLFW_KEY_RIGHT, Key::kRight},
    {GLFW_KEY_BACKSPACE, Key::kBackspace},
    {GLFW_KEY_UP, Key::kUp},
    {GLFW_KEY_DOWN, Key::kDown},
    {GLFW_KEY_ESCAPE, Key::kEscape},
    {GLFW_KEY_Q, Key::kQ},
    {GLFW_KEY_R, Key::kR},
    {GLFW_KEY_EQUAL, Key::kPlus},
    {GLFW_KEY_KP_ADD, Key::kPlus},
    {GLFW_KEY_MINUS, Key::kMinus},
    {GLFW_KEY_KP_SUBTRACT, Key::kMinus},
};

bool has_extension(const char* list, const char* name) {
  if (list == nullptr) return false;
  const size_t n = std::strlen(name);
  for (const char* p = std::strstr(list, name); p != nullptr; p = std::strstr(p + n, name)) {
    const bool starts = p == list || p[-1] == ' ';
    const bool ends = p[n] == '\0' || p[n] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

GlBackend gl_backend_from_name(const std::string& name) {
  if (name == "auto") return GlBackend::kAuto;
  if (name == "egl") return GlBackend::kEgl;
  if (name == "glfw") return GlBackend::kGlfw;
  throw Error("OpenGL backend \"" + name + "\": allowed: auto, egl, glfw");
}

// ---------------------------------------------------------------------------------------------
// EGL: a context with no surface at all (MuJoCo draws into its own framebuffer object).

struct OffscreenGl::Egl {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
  EGLSurface surface = EGL_NO_SURFACE;  // a 1x1 pbuffer, only without surfaceless contexts

  ~Egl() {
    if (display == EGL_NO_DISPLAY) return;
    eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (surface != EGL_NO_SURFACE) eglDestroySurface(display, surface);
    if (context != EGL_NO_CONTEXT) eglDestroyContext(display, context);
    eglTerminate(display);
  }

  // Makes a context current on `dpy` (which this object then owns); false and the reason if not.
  bool start(EGLDisplay dpy, std::string* why) {
    EGLint major = 0, minor = 0;
    if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, &major, &minor)) {
      *why = "eglInitialize failed";
      return false;
    }
    display = dpy;
    // MuJoCo renders through fixed-function OpenGL plus framebuffer objects: a desktop OpenGL
    // (compatibility) context, 8-bit colour with depth and stencil for its shadows
    // clang-format off
    const EGLint attributes[] = {EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
                                 EGL_DEPTH_SIZE, 24, EGL_STENCIL_SIZE, 8,
                                 EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
                                 EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
                                 EGL_NONE};
    // clang-format on
    EGLConfig config;
    EGLint count = 0;
    if (!eglChooseConfig(display, attributes, &config, 1, &count) || count < 1) {
      *why = "no EGL configuration with desktop OpenGL and 8-bit colour";
      return false;
    }
    if (!eglBindAPI(EGL_OPENGL_API)) {
      *why = "EGL cannot bind desktop OpenGL";
      return false;
    }
    context = eglCreateContext(display, config, EGL_NO_CONTEXT, nullptr);
    if (context == EGL_NO_CONTEXT) {
      *why = "eglCreateContext failed";
      return false;
    }
    if (eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) return true;
    // drivers without EGL_KHR_surfaceless_context still need some surface to be current
    const EGLint pbuffer[] = {EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE};
    surface = eglCreatePbufferSurface(display, config, pbuffer);
    if (surface != EGL_NO_SURFACE && eglMakeCurrent(display, surface, surface, context))
      return true;
    *why = "eglMakeCurrent failed";
    return false;
  }
};

namespace {

// Tries the displays that need no display server, in order of preference.
std::unique_ptr<OffscreenGl::Egl> make_egl(std::string* why) {
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  auto get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
      eglGetProcAddress("eglGetPlatformDisplayEXT"));
  std::string reasons;
  auto attempt = [&](EGLDisplay dpy, const char* name) -> std::unique_ptr<OffscreenGl::Egl> {
    auto egl = std::make_unique<OffscreenGl::Egl>();
    std::string reason;
    if (egl->start(dpy, &reason)) return egl;
    reasons += std::string(reasons.empty() ? "" : "; ") + name + ": " + reason;
    return nullptr;
  };
  // Mesa without any display server (llvmpipe in software, or the GPU's Mesa driver)
  if (get_platform_display && has_extension(client, "EGL_MESA_platform_surfaceless")) {
    auto dpy = get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    if (auto egl = attempt(dpy, "surfaceless")) return egl;
  }
  // a GPU driver's own EGL (NVIDIA's), through its first device
  auto query_devices =
      reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(eglGetProcAddress("eglQueryDevicesEXT"));
  if (get_platform_display && query_devices && has_extension(client, "EGL_EXT_platform_device")) {
    EGLDeviceEXT devices[8];
    EGLint n = 0;
    if (query_devices(8, devices, &n) && n > 0) {
      auto dpy = get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[0], nullptr);
      if (auto egl = attempt(dpy, "device")) return egl;
    }
  }
  if (auto egl = attempt(eglGetDisplay(EGL_DEFAULT_DISPLAY), "default display")) return egl;
  *why = reasons;
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A hidden GLFW window: its context draws into MuJoCo's framebuffer object like EGL's.

struct OffscreenGl::Glfw {
  GLFWwindow* window = nullptr;
  ~Glfw() {
    if (window == nullptr) return;
    glfwDestroyWindow(window);
    release_glfw();
  }
};

OffscreenGl::OffscreenGl(GlBackend backend) {
  std::string egl_why, glfw_why;
  if (backend != GlBackend::kGlfw) {
    egl_ = make_egl(&egl_why);
    if (egl_) {
      description_ =
          "EGL, " + renderer_name(reinterpret_cast<void*>(eglGetProcAddress("glGetString")));
      return;
    }
    if (backend == GlBackend::kEgl)
      throw Error("no OpenGL context through EGL (" + egl_why +
                  "); install Mesa's EGL (libegl-mesa0, libgl1-mesa-dri), or use a hidden "
                  "window under an X display: xvfb-run -a tandem ... --gl glfw");
  }
  if (acquire_glfw(&glfw_why)) {
    glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
    GLFWwindow* w = glfwCreateWindow(64, 64, "tandem", nullptr, nullptr);
    if (w != nullptr) {
      glfw_ = std::make_unique<Glfw>();
      glfw_->window = w;
      glfwMakeContextCurrent(w);
      description_ = "hidden GLFW window, " +
                     renderer_name(reinterpret_cast<void*>(glfwGetProcAddress("glGetString")));
      return;
    }
    glfw_why = g_glfw_error.empty() ? "glfwCreateWindow failed" : g_glfw_error;
    release_glfw();
  }
  if (backend == GlBackend::kGlfw)
    throw Error("no hidden GLFW window (" + glfw_why +
                "): it needs an X display; run under a virtual one (xvfb-run -a tandem ...), or "
                "use EGL, which needs none (--gl egl)");
  throw Error("no OpenGL context: EGL failed (" + egl_why + ") and a hidden GLFW window failed (" +
              glfw_why +
              "); install Mesa (libegl-mesa0 libgl1-mesa-dri), or run under a "
              "virtual X display: xvfb-run -a tandem ...");
}

OffscreenGl::~OffscreenGl() = default;

// ---------------------------------------------------------------------------------------------
// The viewer's window.

struct Window::Impl {
  GLFWwindow* window = nullptr;
  WindowInput input;
  bool left = false, right = false;
  double last_x = 0, last_y = 0;

  static Impl& of(GLFWwindow* w) { return *static_cast<Impl*>(glfwGetWindowUserPointer(w)); }

  static void on_key(GLFWwindow* w, int key, int scancode, int action, int mods) {
    if (action == GLFW_RELEASE) return;
    Key k = Key::kOther;
    for (const auto& [glfw_key, ours] : kKeys)
      if (glfw_key == key) k = ours;
    of(w).input.keys.push_back(k);
  }

  static void on_button(GLFWwindow* w, int button, int action, int mods) {
    Impl& self = of(w);
    self.left = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_LEFT) == GLFW_PRESS;
    self.right = glfwGetMouseButton(w, GLFW_MOUSE_BUTTON_RIGHT) == GLFW_PRESS;
    glfwGetCursorPos(w, &self.last_x, &self.last_y);
  }

  static void on_cursor(GLFWwindow* w, double x, double y) {
    Impl& self = of(w);
    const double dx = x - self.last_x, dy = y - self.last_y;
    self.last_x = x;
    self.last_y = y;
    if (!self.left && !self.right) return;
    int width = 0, height = 0;
    glfwGetWindowSize(w, &width, &height);
    if (height <= 0) return;
    self.input.drag_x += dx / height;
    self.input.drag_y += dy / height;
    self.input.drag_right = self.right;
  }

  static void on_scroll(GLFWwindow* w, double dx, double dy) { of(w).input.scroll += dy; }
};

Window::Window(const std::string& title, int width, int height) : impl_(std::make_unique<Impl>()) {
  std::string why;
  if (!acquire_glfw(&why))
    throw Error("no display to open a window on (" + why +
                "). Run the viewer under a virtual X display: xvfb-run -a tandem view ..., "
                "or render frames to files without any display: tandem record ...");
  glfwWindowHint(GLFW_SAMPLES, 4);  // multisampling, as MuJoCo's own viewer asks for
  glfwWindowHint(GLFW_VISIBLE, GLFW_TRUE);
  impl_->window = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (impl_->window == nullptr) {
    why = g_glfw_error.empty() ? "glfwCreateWindow failed" : g_glfw_error;
    release_glfw();
    throw Error("cannot open a window (" + why +
                "); run under a virtual X display (xvfb-run -a tandem view ...) or render to "
                "files with tandem record");
  }
  glfwMakeContextCurrent(impl_->window);
  glfwSwapInterval(1);  // at most one frame per screen refresh
  glfwSetWindowUserPointer(impl_->window, impl_.get());
  glfwSetKeyCallback(impl_->window, Impl::on_key);
  glfwSetMouseButtonCallback(impl_->window, Impl::on_button);
  glfwSetCursorPosCallback(impl_->window, Impl::on_cursor);
  glfwSetScrollCallback(impl_->window, Impl::on_scroll);
  description_ =
      "GLFW window, " + renderer_name(reinterpret_cast<void*>(glfwGetProcAddress("glGetString")));
}

Window::~Window() {
  glfwDestroyWindow(impl_->window);
  release_glfw();
}

bool Window::should_close() const { return glfwWindowShouldClose(impl_->window); }

WindowInput Window::poll() {
  glfwPollEvents();
  WindowInput out = std::move(impl_->input);
  impl_->input = WindowInput();
  return out;
}

int Window::framebuffer_width() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(impl_->window, &w, &h);
  return w;
}

int Window::framebuffer_height() const {
  int w = 0, h = 0;
  glfwGetFramebufferSize(impl_->window, &w, &h);
  return h;
}

void Window::swap_buffers() { glfwSwapBuffers(impl_->window); }

}  // namespace tandem::envs
