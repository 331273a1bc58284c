#include "algorithms/interrupt.h"

#include <signal.h>

#include <atomic>
#include <csignal>

namespace tandem::algorithms {
namespace {

volatile std::sig_atomic_t g_signal = 0;
std::atomic<int> g_installed{0};
struct sigaction g_old_int = {}, g_old_term = {};

void on_signal(int signal) { g_signal = signal; }

}  // namespace

InterruptHandlers::InterruptHandlers() {
  if (g_installed++ > 0) return;  // nested runs (an expert trained on first use) share them
  g_signal = 0;
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // one shot: a second Ctrl-C ends the process
  ::sigaction(SIGINT, &sa, &g_old_int);
  ::sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptHandlers::~InterruptHandlers() {
  if (--g_installed > 0) return;
  ::sigaction(SIGINT, &g_old_int, nullptr);
  ::sigaction(SIGTERM, &g_old_term, nullptr);
}

int interrupt_signal() { return g_signal; }

}  // namespace tandem::algorithms
