#include "algorithms/checkpoint.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>

#include "agents/archive_file.h"
#include "agents/module_load.h"
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
  agents::save_archive_atomic(archive, path);
}

json load_checkpoint(const std::string& path, agents::PolicyImpl& policy,
                     torch::optim::Optimizer* optimizer, bool restore_rng,
                     const RunStateReader& run_state) {
  if (!std::ifstream(path).good()) throw Error(path + ": checkpoint not found");
  torch::serialize::InputArchive archive;
  try {
    agents::load_archive(archive, path, "");
    torch::serialize::InputArchive policy_archive;
    archive.read("policy", policy_archive);
    // Module::load replaces the parameters' storage, which would cut them off from anything
    // holding views of them (FlatParameters and the optimizer built on it): load into a copy,
    // then copy the values into the policy's own tensors in place
    std::shared_ptr<agents::PolicyImpl> loaded = policy.clone_policy();
    agents::load_module_checked(*loaded, policy_archive, path,
                                "compare the config.json beside it with this run's");
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
