// Observation and action spaces: a Box (bounded real vector) or a Discrete set {0..n-1}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tandem::envs {

struct Space {
  enum class Kind { kBox, kDiscrete };

  Kind kind = Kind::kBox;
  std::vector<int64_t> shape;  // Box only
  std::vector<double> low;     // Box only, one bound per element (may be +-inf)
  std::vector<double> high;
  int64_t n = 0;  // Discrete only

  static Space box(int64_t size, double low, double high);
  static Space box(std::vector<double> low, std::vector<double> high);
  static Space discrete(int64_t n);

  bool is_box() const { return kind == Kind::kBox; }
  bool is_discrete() const { return kind == Kind::kDiscrete; }
  // Number of floats one element of the space takes in a flat vector (Discrete: 1, the index).
  int64_t flat_size() const;
  bool contains(const std::vector<float>& x) const;
  // "Box(11,) [-inf, inf]" or "Discrete(4096)".
  std::string describe() const;
};

}  // namespace tandem::envs
