#include "envs/space.h"

#include <cmath>
#include <sstream>

#include "envs/error.h"

namespace tandem::envs {

Space Space::box(int64_t size, double low, double high) {
  return box(std::vector<double>(size, low), std::vector<double>(size, high));
}

Space Space::box(std::vector<double> low, std::vector<double> high) {
  TANDEM_CHECK(low.size() == high.size(), "box bounds differ in size");
  Space s;
  s.kind = Kind::kBox;
  s.shape = {static_cast<int64_t>(low.size())};
  s.low = std::move(low);
  s.high = std::move(high);
  return s;
}

Space Space::discrete(int64_t n) {
  TANDEM_CHECK(n > 0, "a discrete space needs n > 0");
  Space s;
  s.kind = Kind::kDiscrete;
  s.n = n;
  return s;
}

int64_t Space::flat_size() const {
  if (is_discrete()) return 1;
  int64_t size = 1;
  for (int64_t d : shape) size *= d;
  return size;
}

bool Space::contains(const std::vector<float>& x) const {
  if (static_cast<int64_t>(x.size()) != flat_size()) return false;
  if (is_discrete()) return x[0] >= 0 && x[0] < n && std::floor(x[0]) == x[0];
  for (size_t i = 0; i < x.size(); ++i)
    if (!(x[i] >= low[i] && x[i] <= high[i])) return false;
  return true;
}

std::string Space::describe() const {
  std::ostringstream os;
  if (is_discrete()) {
    os << "Discrete(" << n << ")";
    return os.str();
  }
  os << "Box(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
  os << (shape.size() == 1 ? ",)" : ")");
  double lo = low.empty() ? 0 : low[0], hi = high.empty() ? 0 : high[0];
  bool uniform = true;
  for (size_t i = 0; i < low.size(); ++i) uniform = uniform && low[i] == lo && high[i] == hi;
  if (uniform) {
    os << " [" << lo << ", " << hi << "]";
  } else {
    os << " [mixed bounds]";
  }
  return os.str();
}

}  // namespace tandem::envs
