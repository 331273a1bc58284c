#include "algorithms/checkpoint.h"

#include <cstdio>
#include <fstream>

#include <unistd.h>

#include <torch/torch.h>

#include "envs/error.h"

namespace tandem::algorithms {

void save_checkpoint(const std::string& path, const agents::PolicyImpl& policy,
                     const torch::optim::Optimizer* optimizer, const json& counters) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive policy_archive;
  policy.save(policy_archive);
  archive.write("policy", policy_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  archive.write("counters", c10::IValue(counters.dump()));
  archive.write("torch_rng", torch::globalContext().defaultGenerator(torch::kCPU).get_state());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    throw Error(tmp + ": cannot write checkpoint: " + e.what_without_backtrace());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename checkpoint into place");
  }
}

json load_checkpoint(const std::string& path, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, bool restore_rng) {
  if (!std::ifstream(path).good()) throw Error(path + ": checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    torch::serialize::InputArchive policy_archive;
    archive.read("policy", policy_archive);
    policy.load(policy_archive);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    if (restore_rng) {
      torch::Tensor rng;
      archive.read("torch_rng", rng);
      at::Generator gen = torch::globalContext().defaultGenerator(torch::kCPU);
      gen.set_state(rng);
    }
    c10::IValue counters;
    archive.read("counters", counters);
    return json::parse(counters.toStringRef());
  } catch (const c10::Error& e) {
    throw Error(path + ": not a checkpoint of this policy (" +
                std::string(e.what_without_backtrace()) + ")");
  }
}

}  // namespace tandem::algorithms
