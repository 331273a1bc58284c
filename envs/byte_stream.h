// Length-checked binary fields in a byte string: how an env's or a vector env's state travels
// into a checkpoint (algorithms/checkpoint.h) and back. Reading past the end or a size that does
// not match throws tandem::Error, so a damaged or foreign state is refused, never half-applied.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "envs/error.h"

namespace tandem::envs {

class ByteWriter {
 public:
  template <class T>
  void pod(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    bytes(&value, sizeof(T));
  }
  void bytes(const void* data, size_t size) {
    const uint64_t n = size;
    out_.append(reinterpret_cast<const char*>(&n), sizeof(n));
    out_.append(static_cast<const char*>(data), size);
  }
  void text(const std::string& s) { bytes(s.data(), s.size()); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

class ByteReader {
 public:
  ByteReader(const std::string& in, std::string what) : in_(in), what_(std::move(what)) {}
  template <class T>
  T pod() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    bytes(&value, sizeof(T));
    return value;
  }
  // Reads a field of exactly `size` bytes into `data`.
  void bytes(void* data, size_t size) {
    const std::string s = text();
    if (s.size() != size)
      throw Error(what_ + ": a saved state field has " + std::to_string(s.size()) +
                  " bytes, this env needs " + std::to_string(size) +
                  " (a state from another env or model?)");
    std::memcpy(data, s.data(), size);
  }
  std::string text() {
    uint64_t n = 0;
    need(sizeof(n));
    std::memcpy(&n, in_.data() + pos_, sizeof(n));
    pos_ += sizeof(n);
    need(n);
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  void need(uint64_t n) const {
    if (pos_ + n > in_.size()) throw Error(what_ + ": the saved env state is truncated");
  }
  const std::string& in_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace tandem::envs
