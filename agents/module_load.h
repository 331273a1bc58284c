// Loading a saved module from a file that may be damaged or may belong to another env or
// architecture. LibTorch's Module::load takes tensors of any shape (the mismatch surfaces later,
// deep in a forward pass: "mat1 and mat2 shapes cannot be multiplied") and its reader fails with
// a multi-kilobyte backtrace and no file name; these name the file and the difference instead.
#pragma once

#include <string>

namespace torch::nn {
class Module;
}
namespace torch::serialize {
class InputArchive;
}

namespace tandem::agents {

// "" when both modules have the same parameters and buffers, by name and shape; otherwise the
// first difference in words ("its mlp.0.weight is [32,4], this run needs [32,11]").
std::string shape_difference(const torch::nn::Module& expected, const torch::nn::Module& loaded);

// archive.load_from(path); a missing, damaged or foreign file throws tandem::Error "PATH: cannot be
// read (REASON)" followed by `advice` (what to do: "delete it to rebuild it", ...).
void load_archive(torch::serialize::InputArchive& archive, const std::string& path,
                  const std::string& advice);

// module.load(archive), refused (tandem::Error naming `path`, then `advice`) when a parameter or
// buffer is missing from the archive or has another shape than the module's.
void load_module_checked(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                         const std::string& path, const std::string& advice);

}  // namespace tandem::agents
