#include "suites/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "envs/error.h"

namespace tandem::suites {

pid_t spawn_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  TANDEM_CHECK(!argv.empty(), "a command needs a program");
  // everything the child needs is prepared before fork: after it, only system calls
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> added = options.environment;
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& a : added) replaced = replaced || a.substr(0, a.find('=')) == name;
    if (!replaced) env.push_back(*e);
  }
  for (auto& a : added) env.push_back(a.data());
  env.push_back(nullptr);
  const std::string log = options.log_path.empty() ? "/dev/null" : options.log_path;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(log + ": cannot open log file: " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fd);
    throw Error("cannot start " + argv[0] + ": fork failed: " + std::strerror(err));
  }
  if (pid == 0) {
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    }
    if (!options.inherit_stdout) ::dup2(fd, STDOUT_FILENO);
    if (!options.inherit_stderr) ::dup2(fd, STDERR_FILENO);
    ::execvpe(args[0], args.data(), env.data());
    const char* why = std::strerror(errno);
    const char* what = "cannot execute ";
    ssize_t ignored = ::write(STDERR_FILENO, what, std::strlen(what));
    ignored = ::write(STDERR_FILENO, args[0], std::strlen(args[0]));
    ignored = ::write(STDERR_FILENO, ": ", 2);
    ignored = ::write(STDERR_FILENO, why, std::strlen(why));
    ignored = ::write(STDERR_FILENO, "\n", 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

std::string ExitStatus::describe() const {
  const std::string head = reason.empty() ? "" : reason + ", ";
  if (exited) return head + "exit status " + std::to_string(code);
  const char* name = ::strsignal(code);
  return head + "killed by signal " + std::to_string(code) + " (" + (name ? name : "?") + ")";
}

ExitStatus capture_process(const std::vector<std::string>& argv, std::string* output) {
  char path[] = "/tmp/tandem_capture_XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) throw Error(std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::close(fd);
  ExitStatus status;
  try {
    SpawnOptions options;
    options.log_path = path;
    status = run_process(argv, options);
  } catch (...) {
    ::unlink(path);
    throw;
  }
  std::ifstream in(path);
  output->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  ::unlink(path);
  return status;
}

bool wait_process(pid_t pid, bool block, ExitStatus* status) {
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &raw, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) throw Error("waitpid(" + std::to_string(pid) + ") failed: " + std::strerror(errno));
  if (WIFEXITED(raw)) {
    *status = {true, WEXITSTATUS(raw), ""};
  } else {
    *status = {false, WIFSIGNALED(raw) ? WTERMSIG(raw) : 0, ""};
  }
  return true;
}

ExitStatus run_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
  const pid_t pid = spawn_process(argv, options);
  ExitStatus status;
  wait_process(pid, /*block=*/true, &status);
  return status;
}

std::string self_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the running executable (/proc/self/exe): " + ec.message());
  return path.string();
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-./=+:,@") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace tandem::suites
