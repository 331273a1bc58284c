#include "agents/module_load.h"

#include <torch/torch.h>

#include <map>
#include <vector>

#include "envs/error.h"

namespace tandem::agents {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes shapes_of(const torch::nn::Module& m) {
  Shapes out;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) out[p.key()] = p.value().sizes().vec();
  for (const auto& b : m.named_buffers(/*recurse=*/true)) out[b.key()] = b.value().sizes().vec();
  return out;
}

std::string text(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? "," : "") + std::to_string(sizes[i]);
  return s + "]";
}

std::string difference(const Shapes& want, const Shapes& have) {
  for (const auto& [name, sizes] : want) {
    auto it = have.find(name);
    if (it == have.end()) return "it has no " + name;
    if (it->second != sizes)
      return "its " + name + " is " + text(it->second) + ", this run needs " + text(sizes);
  }
  for (const auto& [name, sizes] : have)
    if (!want.count(name)) return "it has a " + name + " this run does not";
  return "";
}

// LibTorch's message without its backtrace, first line only
std::string reason(const c10::Error& e) {
  std::string s = e.what_without_backtrace();
  const size_t newline = s.find('\n');
  return newline == std::string::npos ? s : s.substr(0, newline);
}

std::string with_advice(const std::string& message, const std::string& advice) {
  return advice.empty() ? message : message + ": " + advice;
}

}  // namespace

std::string shape_difference(const torch::nn::Module& expected, const torch::nn::Module& loaded) {
  return difference(shapes_of(expected), shapes_of(loaded));
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& path,
                  const std::string& advice) {
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(with_advice(path + ": cannot be read (" + reason(e) + ")", advice));
  }
}

void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                         const std::string& path, const std::string& advice) {
  const Shapes want = shapes_of(module);
  try {
    module.load(archive);
  } catch (const c10::Error& e) {
    // a missing entry ("No such serialized tensor 'x'"): the file holds another model
    throw Error(with_advice(path + ": holds another model (" + reason(e) + ")", advice));
  }
  const std::string d = difference(want, shapes_of(module));
  if (!d.empty())
    throw Error(with_advice(path + ": holds a model of another env or architecture: " + d, advice));
}

}  // namespace tandem::agents
