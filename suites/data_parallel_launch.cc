#include "suites/data_parallel_launch.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "envs/error.h"
#include "suites/process.h"

namespace tandem::suites {
namespace {

volatile sig_atomic_t forwarded_signal = 0;
void remember_signal(int signal) { forwarded_signal = signal; }

}  // namespace

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("cannot open a socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks a free one
  socklen_t size = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

int launch_data_parallel(const std::vector<std::string>& argv, int nproc) {
  if (const char* w = std::getenv("WORLD_SIZE"); w && *w && std::string(w) != "1")
    throw Error("--nproc starts its own workers, but this process is already one of " +
                std::string(w) + " (WORLD_SIZE is set): drop --nproc, or unset WORLD_SIZE");
  const int port = free_local_port();
  std::vector<std::string> command = argv;
  command[0] = self_executable();
  std::vector<pid_t> workers;
  // Ctrl-C reaches the workers from the terminal; a SIGTERM to this process is passed on
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &action, &old_int);
  ::sigaction(SIGTERM, &action, &old_term);
  for (int rank = 0; rank < nproc; ++rank) {
    SpawnOptions options;
    options.die_with_parent = true;
    options.inherit_stderr = true;
    options.inherit_stdout = rank == 0;  // rank 0 speaks for the run
    options.environment = {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank),
                           "WORLD_SIZE=" + std::to_string(nproc), "MASTER_ADDR=127.0.0.1",
                           "MASTER_PORT=" + std::to_string(port)};
    workers.push_back(spawn_process(command, options));
  }
  std::vector<bool> running(nproc, true);
  int alive = nproc, result = 0;
  bool stopping = false;
  auto stop_all = [&](int signal) {
    for (int r = 0; r < nproc; ++r)
      if (running[r]) ::kill(workers[r], signal);
  };
  auto since_stop = std::chrono::steady_clock::now();
  while (alive > 0) {
    if (const int signal = forwarded_signal) {
      forwarded_signal = 0;
      stop_all(signal);
    }
    for (int r = 0; r < nproc; ++r) {
      ExitStatus status;
      if (!running[r] || !wait_process(workers[r], false, &status)) continue;
      running[r] = false;
      --alive;
      if (status.ok() || result != 0) continue;
      result = status.exited ? status.code : 128 + status.code;
      if (status.exited && status.code == 130) continue;  // interrupted: the others stop too
      std::fprintf(stderr, "tandem: data-parallel worker %d of %d ended (%s); stopping the rest\n",
                   r, nproc, status.describe().c_str());
      stopping = true;
      since_stop = std::chrono::steady_clock::now();
      stop_all(SIGTERM);
    }
    // a worker blocked in a collective with a dead peer does not see SIGTERM's checkpoint request
    if (stopping && alive > 0 &&
        std::chrono::steady_clock::now() - since_stop > std::chrono::seconds(10)) {
      stop_all(SIGKILL);
      stopping = false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace tandem::suites
