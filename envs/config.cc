#include "envs/config.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "envs/error.h"

namespace tandem {

ConfigReader::ConfigReader(const json& object, std::string where)
    : object_(object.is_null() ? json::object() : object), where_(std::move(where)) {
  if (!object_.is_object())
    throw Error(where_ + ": expected a JSON object, got " + std::string(object_.type_name()));
}

const json* ConfigReader::find(const std::string& key) {
  known_.insert(key);
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

bool ConfigReader::has(const std::string& key) const { return object_.contains(key); }

void ConfigReader::fail(const std::string& key, const std::string& problem) const {
  throw Error(where_ + ": field '" + key + "' " + problem);
}

double ConfigReader::number(const std::string& key, double fallback, double lo, double hi) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number()) fail(key, "must be a number, got " + v->dump());
  double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    std::ostringstream os;
    os << "= " << x << " is out of range [" << lo << ", " << hi << "]";
    fail(key, os.str());
  }
  return x;
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number_integer()) fail(key, "must be an integer, got " + v->dump());
  int64_t x = v->get<int64_t>();
  if (x < lo || x > hi) {
    fail(key, "= " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
  }
  return x;
}

bool ConfigReader::flag(const std::string& key, bool fallback) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "must be true or false, got " + v->dump());
  return v->get<bool>();
}

std::string ConfigReader::text(const std::string& key, const std::string& fallback,
                               const std::vector<std::string>& allowed) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) fail(key, "must be a string, got " + v->dump());
  std::string s = v->get<std::string>();
  if (!allowed.empty()) {
    bool ok = false;
    std::string list;
    for (const auto& a : allowed) {
      ok = ok || a == s;
      list += (list.empty() ? "" : ", ") + a;
    }
    if (!ok) fail(key, "= '" + s + "' is not one of: " + list);
  }
  return s;
}

std::vector<double> ConfigReader::numbers(const std::string& key,
                                          const std::vector<double>& fallback) {
  const json* v = find(key);
  if (!v) return fallback;
  if (!v->is_array()) fail(key, "must be an array of numbers, got " + v->dump());
  std::vector<double> out;
  for (const auto& e : *v) {
    if (!e.is_number()) fail(key, "must be an array of numbers, got " + v->dump());
    out.push_back(e.get<double>());
  }
  return out;
}

std::vector<double> ConfigReader::range(const std::string& key,
                                        const std::vector<double>& fallback) {
  std::vector<double> r = numbers(key, fallback);
  if (r.size() != 2 || !(r[0] <= r[1])) fail(key, "must be [low, high] with low <= high");
  return r;
}

json ConfigReader::object(const std::string& key) {
  const json* v = find(key);
  if (!v) return json::object();
  if (!v->is_object()) fail(key, "must be a JSON object, got " + v->dump());
  return *v;
}

void ConfigReader::finish() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (known_.count(it.key())) continue;
    std::string list;
    for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
    throw Error(where_ + ": unknown field '" + it.key() + "' (valid fields: " + list + ")");
  }
}

void apply_override(json& target, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error("--set '" + assignment +
                "': expected KEY=VALUE: an algorithm field (--set learning_rate=1e-4), "
                "policy.FIELD=VALUE or env.FIELD=VALUE");
  std::string path = assignment.substr(0, eq);
  std::string raw = assignment.substr(eq + 1);
  json value = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = raw;
  json* node = &target;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw Error("--set '" + assignment + "': empty key component");
    if (!node->is_object()) *node = json::object();
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open file");
  try {
    return json::parse(in, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(tmp + ": cannot open for writing");
    out << content;
    out.flush();
    if (!out) throw Error(tmp + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot rename " + tmp + " into place");
  }
}

}  // namespace tandem
