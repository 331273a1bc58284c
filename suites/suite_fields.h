// The pieces of suite-file reading that suite.cc and tuning.cc share: field checks with messages
// that name the file and the field, labels, seed lists and "config.NAME" / "policy.NAME" paths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "envs/config.h"

namespace tandem::suites {

// Throws tandem::Error naming the first field of j that is not in `valid`, and the valid ones.
void reject_unknown(const json& j, const std::string& where, const std::vector<std::string>& valid);
// Throws "<where>: field '<field>' <problem>".
[[noreturn]] void fail(const std::string& where, const std::string& field,
                       const std::string& problem);

// Labels become folder names and parts of --only patterns: letters, digits and . _ - = +.
bool valid_label_char(char c);
void check_label(const std::string& label, const std::string& where, const std::string& field);

// A value as it appears in a label: 0.001, true, relu, 64-64 for [64, 64].
std::string value_text(const json& v, const std::string& where);

// Sets target at a dotted path ("a.b.c"), making the objects on the way.
void set_path(json& target, const std::string& path, const json& value);

// A field path of a sweep or a grid: "config.NAME" or "policy.NAME" (nested with dots).
struct FieldPath {
  bool in_config = true;
  std::string path;  // NAME
};
FieldPath parse_field_path(const std::string& field, const std::string& where,
                           const std::string& key);

// j's "seeds": a list of distinct non-negative integers, or a count n (first … first + n − 1);
// absent: five seeds from first.
std::vector<uint64_t> read_seeds(const json& j, const std::string& where, uint64_t first);

}  // namespace tandem::suites
