#include "envs/registry.h"

#include <cstdio>
#include <cstdlib>
#include <map>

#include "envs/error.h"

namespace tandem::envs {
namespace {

std::map<std::string, EnvRegistration>& table() {
  static std::map<std::string, EnvRegistration> envs;
  return envs;
}

}  // namespace

bool register_env(const std::string& id, const std::string& source_file, EnvFactory factory) {
  auto [it, inserted] = table().emplace(id, EnvRegistration{id, source_file, std::move(factory)});
  if (!inserted) {
    // Runs before main(): nothing can catch an exception here, so say it and stop.
    std::fprintf(stderr, "tandem: env id '%s' is registered twice: in %s and in %s\n", id.c_str(),
                 it->second.source_file.c_str(), source_file.c_str());
    std::abort();
  }
  return true;
}

std::unique_ptr<Env> make_env(const std::string& id, const json& options) {
  auto it = table().find(id);
  if (it == table().end()) {
    std::string list;
    for (const auto& [name, reg] : table()) list += (list.empty() ? "" : ", ") + name;
    throw Error("unknown env '" + id + "' (registered: " + list + "; see `tandem list envs`)");
  }
  return it->second.factory(options);
}

std::vector<const EnvRegistration*> registered_envs() {
  std::vector<const EnvRegistration*> out;
  for (const auto& [name, reg] : table()) out.push_back(&reg);
  return out;
}

}  // namespace tandem::envs
