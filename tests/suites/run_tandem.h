// Runs the `tandem` executable as a user would, for the end-to-end tests.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace tandem::testing {

struct Output {
  int status;
  std::string text;  // stdout and stderr together
};

// Any shell command line (a script around tandem), stdout and stderr together.
inline Output run_tandem_shell(const std::string& command) {
  FILE* p = ::popen(("( " + command + " ) 2>&1").c_str(), "r");
  Output out{-1, ""};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.text.append(buf, n);
  out.status = WEXITSTATUS(::pclose(p));
  return out;
}

// `before` goes in front of the binary on the shell command line (xvfb-run, env -u DISPLAY).
inline Output run_tandem(const std::string& args, const std::string& before = "") {
  const std::string cmd =
      before + " " + std::string(TANDEM_BINARY_DIR) + "/tandem " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  Output out{-1, ""};
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.text.append(buf, n);
  out.status = WEXITSTATUS(::pclose(p));
  return out;
}

}  // namespace tandem::testing
