// Ctrl-C (SIGINT) and SIGTERM during training: the signal handler only raises a flag; a learner
// looks at it between iterations, writes its checkpoint and throws Interrupted, whose message
// says how to continue. A second signal while the first is being handled acts as usual (the
// process ends), so a stuck run can still be stopped.
#pragma once

#include <string>

#include "envs/error.h"

namespace tandem::algorithms {

// Installs the handlers for its lifetime (a training run's) and restores the previous ones.
class InterruptHandlers {
 public:
  InterruptHandlers();
  ~InterruptHandlers();
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;
};

// The signal that asked this run to stop (0: none).
int interrupt_signal();

// Thrown once the checkpoint of an interrupted run is on disk.
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& message) : Error(message), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

}  // namespace tandem::algorithms
