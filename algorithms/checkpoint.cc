#include "algorithms/checkpoint.h"

#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "envs/error.h"

namespace tandem::algorithms {

void save_checkpoint(const std::string& path, const agents::PolicyImpl& policy,
                     const torch::optim::Optimizer* optimizer, const json& counters,
                     const RunStateWriter& run_state) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive policy_archive;
  policy.save(policy_archive);
  archive.write("policy", policy_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  if (run_state) {
    torch::serialize::OutputArchive state_archive;
    run_state(state_archive);
    archive.write("run_state", state_archive);
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
                     torch::optim::Optimizer* optimizer, bool restore_rng,
                     const RunStateReader& run_state) {
  if (!std::ifstream(path).good()) throw Error(path + ": checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
    torch::serialize::InputArchive policy_archive;
    archive.read("policy", policy_archive);
    // Module::load replaces the parameters' storage, which would cut them off from anything
    // holding views of them (FlatParameters and the optimizer built on it): load into a copy,
    // then copy the values into the policy's own tensors in place
    std::shared_ptr<agents::PolicyImpl> loaded = policy.clone_policy();
    loaded->load(policy_archive);
    agents::copy_policy_state(*loaded, policy);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    if (run_state) {
      torch::serialize::InputArchive state_archive;
      if (!archive.try_read("run_state", state_archive))
        throw Error(path +
                    ": this checkpoint has no run state (written by an older tandem): "
                    "it cannot be continued exactly; start the run afresh in a new --out");
      run_state(state_archive);
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
