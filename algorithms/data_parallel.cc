#include "algorithms/data_parallel.h"

// Debian's LibTorch is built with Gloo; its header guards the class behind this definition
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "algorithms/interrupt.h"
#include "envs/error.h"

namespace tandem::algorithms {
namespace {

std::unique_ptr<DataParallel>& instance() {
  static std::unique_ptr<DataParallel> group;
  return group;
}

const char* variable(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int64_t integer_variable(const char* name, int64_t lo, int64_t hi) {
  const char* v = variable(name);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v, &end, 10);
  if (errno || end == v || *end != '\0' || x < lo || x > hi)
    throw Error(std::string("the environment variable ") + name + "='" + v +
                "' is not a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                "] (data-parallel training reads it)");
  return x;
}

// The first host of a Slurm node list: "node[03-04,07],gpu1" → "node03".
std::string first_host(const std::string& list) {
  const size_t bracket = list.find('['), comma = list.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return list.substr(0, comma);
  const size_t stop = list.find_first_of("-,]", bracket + 1);
  return list.substr(0, bracket) + list.substr(bracket + 1, stop - bracket - 1);
}

}  // namespace

DataParallelPlace data_parallel_place_from_env() {
  DataParallelPlace place;
  if (variable("WORLD_SIZE")) {
    place.world = static_cast<int>(integer_variable("WORLD_SIZE", 1, 4096));
    if (place.world == 1) return place;
    if (!variable("RANK"))
      throw Error("WORLD_SIZE is " + std::to_string(place.world) +
                  " but RANK is not set: each worker process needs its RANK (0 .. WORLD_SIZE-1)");
    place.rank = static_cast<int>(integer_variable("RANK", 0, place.world - 1));
    place.source = "RANK/WORLD_SIZE";
  } else if (variable("SLURM_STEP_NUM_TASKS") && variable("SLURM_PROCID")) {
    // only inside an `srun` step: a batch script's own shell has SLURM_NTASKS of the allocation
    // but is one process
    place.world = static_cast<int>(integer_variable("SLURM_STEP_NUM_TASKS", 1, 1 << 20));
    if (place.world == 1) return place;
    place.rank = static_cast<int>(integer_variable("SLURM_PROCID", 0, place.world - 1));
    place.source = "SLURM_PROCID/SLURM_STEP_NUM_TASKS";
    if (const char* nodes = variable("SLURM_STEP_NODELIST")) place.master_addr = first_host(nodes);
    if (variable("SLURM_JOB_ID")) {
      const int64_t job = integer_variable("SLURM_JOB_ID", 0, INT64_MAX / 64);
      const int64_t step =
          variable("SLURM_STEP_ID") ? integer_variable("SLURM_STEP_ID", 0, 1 << 30) : 0;
      place.master_port = static_cast<int>(20000 + (job * 31 + step) % 20000);
    }
  } else {
    return place;
  }
  if (const char* addr = variable("MASTER_ADDR")) place.master_addr = addr;
  if (variable("MASTER_PORT"))
    place.master_port = static_cast<int>(integer_variable("MASTER_PORT", 1, 65535));
  return place;
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

DataParallel::DataParallel(int rank, int world) : rank_(rank), world_(world) {}
DataParallel::~DataParallel() = default;

void DataParallel::start(const DataParallelPlace& place, double timeout_seconds) {
  if (place.world <= 1) return;
  TANDEM_CHECK(!instance(), "the data-parallel group is started once");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
  std::unique_ptr<DataParallel> dp(new DataParallel(place.rank, place.world));
  dp->group_ = std::make_unique<Group>();
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(place.master_port);
    options.isServer = place.rank == 0;
    options.numWorkers = static_cast<size_t>(place.world);
    options.waitWorkers = true;
    options.timeout = timeout;
    dp->group_->store = c10::make_intrusive<c10d::TCPStore>(place.master_addr, options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
    // GLOO_SOCKET_IFNAME names the network interface, as for torch; on one machine, loopback;
    // across machines, this host's address
    if (const char* ifname = variable("GLOO_SOCKET_IFNAME"))
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (place.master_addr == "127.0.0.1" || place.master_addr == "localhost")
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    gloo_options->threads = 1;
    dp->group_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(dp->group_->store, place.rank,
                                                                   place.world, gloo_options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (const size_t cut = what.find("\nException raised from"); cut != std::string::npos)
      what.resize(cut);
    throw Error("data-parallel rank " + std::to_string(place.rank) + " of " +
                std::to_string(place.world) + " could not join the group at " + place.master_addr +
                ":" + std::to_string(place.master_port) + " (from " + place.source + "): " + what);
  }
  instance() = std::move(dp);
}

void DataParallel::average_gradients(const std::vector<at::Tensor>& parameters, double* loss) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  // one message in the gradients' type (Gloo reduces each chunk once and sends the result to
  // every rank: the ranks get the same bits): the gradients, then the loss
  int64_t total = 0;
  for (const auto& g : grads) total += g.numel();
  std::vector<at::Tensor> buffer = {
      torch::empty({total + 1}, grads.empty() ? torch::kFloat64 : grads[0].scalar_type())};
  int64_t offset = 0;
  for (const auto& g : grads) {
    buffer[0].narrow(0, offset, g.numel()).copy_(g.reshape({-1}));
    offset += g.numel();
  }
  buffer[0][total] = loss ? *loss : 0.0;
  group_->gloo->allreduce(buffer)->wait();
  buffer[0].div_(world_);
  offset = 0;
  for (auto& g : grads) {
    g.copy_(buffer[0].narrow(0, offset, g.numel()).view(g.sizes()));
    offset += g.numel();
  }
  if (loss) *loss = buffer[0][total].item<double>();
}

std::vector<double> DataParallel::mean(const std::vector<double>& values) {
  if (values.empty()) return values;
  std::vector<at::Tensor> buffer = {torch::tensor(values, torch::kFloat64)};
  group_->gloo->allreduce(buffer)->wait();
  buffer[0].div_(world_);
  std::vector<double> out(values.size());
  std::memcpy(out.data(), buffer[0].data_ptr<double>(), out.size() * sizeof(double));
  return out;
}

double DataParallel::mean(double value) { return mean(std::vector<double>{value})[0]; }

int64_t DataParallel::sum(int64_t value) {
  std::vector<at::Tensor> buffer = {torch::full({1}, value, torch::kLong)};
  group_->gloo->allreduce(buffer)->wait();
  return buffer[0].item<int64_t>();
}

int64_t DataParallel::max(int64_t value) {
  std::vector<at::Tensor> buffer = {torch::full({1}, value, torch::kLong)};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  group_->gloo->allreduce(buffer, options)->wait();
  return buffer[0].item<int64_t>();
}

void DataParallel::broadcast(const std::vector<at::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<at::Tensor> buffer = {t.is_contiguous() ? t : t.contiguous()};
    group_->gloo->broadcast(buffer)->wait();
    if (!t.is_contiguous()) t.copy_(buffer[0]);
  }
}

at::Tensor DataParallel::gather_rows(const at::Tensor& row) {
  at::Tensor flat = row.reshape({-1}).to(torch::kFloat64);
  std::vector<at::Tensor> buffer = {torch::zeros({world_, flat.numel()}, torch::kFloat64)};
  buffer[0][rank_].copy_(flat);
  group_->gloo->allreduce(buffer)->wait();  // zeros elsewhere: the sum is the rows
  return buffer[0];
}

DataParallel* data_parallel() { return instance().get(); }

WithoutDataParallel::WithoutDataParallel() : hidden_(std::move(instance())) {}
WithoutDataParallel::~WithoutDataParallel() { instance() = std::move(hidden_); }

int agreed_interrupt_signal() {
  const int signal = interrupt_signal();
  DataParallel* dp = data_parallel();
  return dp ? static_cast<int>(dp->max(signal)) : signal;
}

std::vector<int64_t> local_positions(int64_t size, double* loss_scale) {
  *loss_scale = 1;
  DataParallel* dp = data_parallel();
  const int rank = dp ? dp->rank() : 0, world = dp ? dp->world() : 1;
  std::vector<int64_t> mine;
  for (int64_t k = rank; k < size; k += world) mine.push_back(k);
  if (mine.empty() && size > 0) {
    *loss_scale = 0;
    return {0};
  }
  if (world > 1) *loss_scale = static_cast<double>(mine.size()) * world / size;
  return mine;
}

std::vector<int64_t> local_rows(const std::vector<int64_t>& rows, double* loss_scale) {
  if (!data_parallel()) {
    *loss_scale = 1;
    return rows;
  }
  std::vector<int64_t> mine;
  for (int64_t k : local_positions(static_cast<int64_t>(rows.size()), loss_scale))
    mine.push_back(rows[k]);
  return mine;
}

uint64_t parameter_digest(torch::nn::Module& module) {
  uint64_t h = 1469598103934665603ull;
  auto fold = [&](const at::Tensor& t) {
    const at::Tensor c = t.detach().contiguous();
    const auto* bytes = static_cast<const unsigned char*>(c.data_ptr());
    for (size_t i = 0, n = c.numel() * c.element_size(); i < n; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
  };
  for (const auto& p : module.parameters()) fold(p);
  for (const auto& b : module.buffers()) fold(b);
  return h;
}

uint64_t rank_seed(uint64_t seed, int rank) {
  return rank == 0 ? seed : seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(rank));
}

}  // namespace tandem::algorithms
