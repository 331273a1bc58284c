// Reads a JSON object field by field: every field has a default, every number is range-checked
// where it is read, and finish() rejects keys nobody asked for, listing the valid ones.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "envs/error.h"

namespace tandem {

using json = nlohmann::json;

class ConfigReader {
 public:
  // `where` names the source for messages, e.g. "suites/quickstart.json: algorithm 'ppo'".
  ConfigReader(const json& object, std::string where);

  double number(const std::string& key, double fallback, double lo, double hi);
  int64_t integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi);
  bool flag(const std::string& key, bool fallback);
  std::string text(const std::string& key, const std::string& fallback,
                   const std::vector<std::string>& allowed = {});
  std::vector<double> numbers(const std::string& key, const std::vector<double>& fallback);
  // A [low, high] pair with low <= high.
  std::vector<double> range(const std::string& key, const std::vector<double>& fallback);
  // A sub-object, passed through unread (the caller reads it with its own ConfigReader).
  json object(const std::string& key);
  bool has(const std::string& key) const;

  // Throws if the object held keys that were never read.
  void finish() const;

  // Every field read so far with the value in effect: the given one, else the default — what a
  // run's config.json records. JSON has no infinity: an infinite number is written "inf"/"-inf",
  // which numbers() and range() read back.
  const json& resolved() const { return resolved_; }

  const std::string& where() const { return where_; }

 private:
  const json* find(const std::string& key);
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

  json object_;
  std::string where_;
  std::set<std::string> known_;
  json resolved_ = json::object();
};

// Applies "a.b.c=value" overrides (value parsed as JSON, else taken as a string) to `target`.
void apply_override(json& target, const std::string& assignment);

// Reads a JSON file, naming the file and the parse error's position on failure.
json read_json_file(const std::string& path);
// `text` parsed, or a discarded value when it is not JSON — including a number too large for a
// double, which the JSON library throws for even when asked not to throw.
json parse_json_or_discarded(const std::string& text);

// Arrays and objects nested deeper than this are refused before parsing: the JSON library's
// recursion would overflow the stack long before a document that deep could mean anything.
constexpr int kMaxJsonDepth = 512;
// Throws tandem::Error naming `where` when `text` nests deeper than kMaxJsonDepth (brackets inside
// strings and // or /* */ comments do not count).
void check_json_depth(const std::string& text, const std::string& where);

// Writes `content` to `path` through a temporary file (fsynced) and a rename, so a killed process
// or a power cut never leaves a half-written file behind. A failed write (a full disk: "disk
// full" in words) removes its temporary file, leaves `path` as it was, and throws tandem::Error.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace tandem

namespace tandem {

// Config structs list their fields once, in a visit() member:
//
//   template <class V> void visit(V& v) {
//     v.field("learning_rate", learning_rate, 0.0, 1.0, "Adam step size");
//     v.field("epochs", epochs, int64_t{1}, int64_t{1000}, "passes over each rollout");
//     v.field("anneal_lr", anneal_lr, "decay the step size linearly to 0");
//     v.field("whiten", whiten, {"batch", "none"}, "advantage whitening");
//   }
//
// and that one list gives reading with defaults and range checks, writing the resolved config,
// and the documented fields `tandem list algorithms` prints (FieldDocs).

// Every field read while a FieldDocs is alive on this thread, with its range (or choices) and help:
// building an algorithm from its defaults inside one lists its fields, nested configs included.
class FieldDocs {
 public:
  struct Field {
    std::string key, range, help;
  };
  FieldDocs() : outer_(current()) { current() = this; }
  ~FieldDocs() { current() = outer_; }
  FieldDocs(const FieldDocs&) = delete;
  FieldDocs& operator=(const FieldDocs&) = delete;
  static void note(const char* key, std::string range, const char* help) {
    if (FieldDocs* d = current()) d->fields.push_back({key, std::move(range), help});
  }
  // A field read straight through a ConfigReader (an env's options, a policy's fields): its range
  // and no help. A key already noted is kept, except that a later read's range replaces an
  // earlier one's where neither came with help (range() reads through numbers()).
  static void note_read(const std::string& key, std::string range);
  static std::string interval(double lo, double hi);
  std::vector<Field> fields;

 private:
  static FieldDocs*& current() {
    static thread_local FieldDocs* docs = nullptr;
    return docs;
  }
  FieldDocs* outer_;
};

class ConfigLoadVisitor {
 public:
  explicit ConfigLoadVisitor(ConfigReader& r) : r_(r) {}
  void field(const char* k, double& x, double lo, double hi, const char* help) {
    FieldDocs::note(k, FieldDocs::interval(lo, hi), help);
    x = r_.number(k, x, lo, hi);
  }
  void field(const char* k, int64_t& x, int64_t lo, int64_t hi, const char* help) {
    FieldDocs::note(k, FieldDocs::interval(static_cast<double>(lo), static_cast<double>(hi)), help);
    x = r_.integer(k, x, lo, hi);
  }
  void field(const char* k, bool& x, const char* help) {
    FieldDocs::note(k, "true|false", help);
    x = r_.flag(k, x);
  }
  void field(const char* k, std::string& x, const std::vector<std::string>& allowed,
             const char* help) {
    std::string choices;
    for (const auto& a : allowed) choices += (choices.empty() ? "" : "|") + a;
    FieldDocs::note(k, choices.empty() ? "text" : choices, help);
    x = r_.text(k, x, allowed);
  }
  void field(const char* k, std::vector<int64_t>& x, int64_t lo, int64_t hi, const char* help) {
    FieldDocs::note(
        k, "list of " + FieldDocs::interval(static_cast<double>(lo), static_cast<double>(hi)),
        help);
    std::vector<double> fallback(x.begin(), x.end());
    std::vector<double> v = r_.numbers(k, fallback);
    x.clear();
    for (double e : v) {
      if (e != static_cast<double>(static_cast<int64_t>(e)) || e < lo || e > hi) {
        throw Error(r_.where() + ": field '" + k + "' needs integers in [" + std::to_string(lo) +
                    ", " + std::to_string(hi) + "]");
      }
      x.push_back(static_cast<int64_t>(e));
    }
  }

 private:
  ConfigReader& r_;
};

class ConfigSaveVisitor {
 public:
  template <class T, class... Rest>
  void field(const char* k, const T& x, const Rest&...) {
    out[k] = x;
  }
  void field(const char* k, const std::string& x, const std::vector<std::string>&, const char*) {
    out[k] = x;
  }
  json out = json::object();
};

class ConfigDocVisitor {
 public:
  template <class T, class... Rest>
  void field(const char* k, const T& x, const Rest&... rest) {
    lines.push_back({k, json(x).dump(), last(rest...)});
  }
  void field(const char* k, const std::string& x, const std::vector<std::string>& allowed,
             const char* doc) {
    lines.push_back({k, json(x).dump(), doc});
  }
  struct Line {
    std::string key, value, doc;
  };
  std::vector<Line> lines;

 private:
  static const char* last(const char* doc) { return doc; }
  template <class A, class... Rest>
  static const char* last(const A&, const Rest&... rest) {
    return last(rest...);
  }
};

template <class T>
T config_from_json(const json& j, const std::string& where) {
  T config;
  ConfigReader r(j, where);
  ConfigLoadVisitor v(r);
  config.visit(v);
  r.finish();
  return config;
}

template <class T>
json config_to_json(const T& config) {
  ConfigSaveVisitor v;
  const_cast<T&>(config).visit(v);
  return v.out;
}

template <class T>
std::vector<ConfigDocVisitor::Line> config_doc(const T& config) {
  ConfigDocVisitor v;
  const_cast<T&>(config).visit(v);
  return v.lines;
}

}  // namespace tandem
