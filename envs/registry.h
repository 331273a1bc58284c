// Env ids to factories. An env registers itself with one line at the bottom of its own .cc:
//
//   TANDEM_REGISTER_ENV("Hopper-v5", Hopper);
//
// where Hopper has a constructor taking (const tandem::json& options). A duplicate id fails at
// start-up naming both files.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "envs/config.h"
#include "envs/env.h"

namespace tandem::envs {

using EnvFactory = std::function<std::unique_ptr<Env>(const json& options)>;

struct EnvRegistration {
  std::string id;
  std::string source_file;
  EnvFactory factory;
};

// Builds a registered env; unknown ids are an error that lists the registered ones.
std::unique_ptr<Env> make_env(const std::string& id, const json& options = json::object());
// All registered envs, sorted by id.
std::vector<const EnvRegistration*> registered_envs();
bool register_env(const std::string& id, const std::string& source_file, EnvFactory factory);

}  // namespace tandem::envs

#define TANDEM_ENV_CONCAT_INNER(a, b) a##b
#define TANDEM_ENV_CONCAT(a, b) TANDEM_ENV_CONCAT_INNER(a, b)
#define TANDEM_REGISTER_ENV(id, Type)                                                        \
  static const bool TANDEM_ENV_CONCAT(tandem_env_registered_, __LINE__) =                    \
      ::tandem::envs::register_env(id, __FILE__, [](const ::tandem::json& options) {         \
        return std::unique_ptr<::tandem::envs::Env>(new Type(options));                      \
      })
