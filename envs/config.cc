#include "envs/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "envs/error.h"

namespace tandem {

namespace {
// A value as a message shows it: bytes that are not UTF-8 (a file's or a --set's) print as
// U+FFFD instead of throwing from inside the message.
std::string shown(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// A number as config.json records it: JSON has no infinity, so ±inf becomes "inf"/"-inf".
json recorded(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}
}  // namespace

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
  FieldDocs::note_read(key, FieldDocs::interval(lo, hi));
  const json* v = find(key);
  if (!v) {
    resolved_[key] = recorded(fallback);
    return fallback;
  }
  if (!v->is_number()) fail(key, "must be a number, got " + shown(*v));
  double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    std::ostringstream os;
    os << "= " << x << " is out of range [" << lo << ", " << hi << "]";
    fail(key, os.str());
  }
  resolved_[key] = x;
  return x;
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) {
  FieldDocs::note_read(key, FieldDocs::interval(static_cast<double>(lo), static_cast<double>(hi)));
  const json* v = find(key);
  if (!v) {
    resolved_[key] = fallback;
    return fallback;
  }
  if (!v->is_number_integer()) fail(key, "must be an integer, got " + shown(*v));
  int64_t x = v->get<int64_t>();
  if (x < lo || x > hi) {
    fail(key, "= " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "]");
  }
  resolved_[key] = x;
  return x;
}

bool ConfigReader::flag(const std::string& key, bool fallback) {
  FieldDocs::note_read(key, "true|false");
  const json* v = find(key);
  if (v && !v->is_boolean()) fail(key, "must be true or false, got " + shown(*v));
  const bool x = v ? v->get<bool>() : fallback;
  resolved_[key] = x;
  return x;
}

std::string ConfigReader::text(const std::string& key, const std::string& fallback,
                               const std::vector<std::string>& allowed) {
  std::string choices;
  for (const auto& a : allowed) choices += (choices.empty() ? "" : "|") + a;
  FieldDocs::note_read(key, choices.empty() ? "text" : choices);
  const json* v = find(key);
  if (!v) {
    resolved_[key] = fallback;
    return fallback;
  }
  if (!v->is_string()) fail(key, "must be a string, got " + shown(*v));
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
  resolved_[key] = s;
  return s;
}

std::vector<double> ConfigReader::numbers(const std::string& key,
                                          const std::vector<double>& fallback) {
  FieldDocs::note_read(key, "list of numbers");
  const json* v = find(key);
  std::vector<double> out = fallback;
  if (v) {
    if (!v->is_array()) fail(key, "must be an array of numbers, got " + shown(*v));
    out.clear();
    for (const auto& e : *v) {
      const bool infinite = e.is_string() && (e == "inf" || e == "-inf");
      if (!e.is_number() && !infinite)
        fail(key, "must be an array of numbers (\"inf\" and \"-inf\" allowed), got " + shown(*v));
      out.push_back(infinite ? (e == "inf" ? 1.0 : -1.0) * std::numeric_limits<double>::infinity()
                             : e.get<double>());
    }
  }
  json record = json::array();
  for (double x : out) record.push_back(recorded(x));
  resolved_[key] = record;
  return out;
}

std::vector<double> ConfigReader::range(const std::string& key,
                                        const std::vector<double>& fallback) {
  std::vector<double> r = numbers(key, fallback);
  FieldDocs::note_read(key, "[low, high]");
  if (r.size() != 2 || !(r[0] <= r[1])) fail(key, "must be [low, high] with low <= high");
  return r;
}

json ConfigReader::object(const std::string& key) {
  FieldDocs::note_read(key, "object");
  const json* v = find(key);
  if (v && !v->is_object()) fail(key, "must be a JSON object, got " + shown(*v));
  resolved_[key] = v ? *v : json::object();
  return resolved_[key];
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
  try {
    (void)json(assignment).dump();  // JSON holds UTF-8 only: say so here, not when it is written
  } catch (const json::type_error&) {
    const std::string quoted = shown(json(assignment));
    throw Error("--set '" + quoted.substr(1, quoted.size() - 2) + "': not valid UTF-8");
  }
  std::string path = assignment.substr(0, eq);
  std::string raw = assignment.substr(eq + 1);
  check_json_depth(raw, "--set '" + path + "'");
  json value = parse_json_or_discarded(raw);
  if (value.is_discarded()) value = raw;
  json* node = &target;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw Error("--set '" + assignment + "': empty key component");
    if (!node->is_object()) *node = json::object();
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

void FieldDocs::note_read(const std::string& key, std::string range) {
  FieldDocs* d = current();
  if (!d) return;
  for (auto& f : d->fields) {
    if (f.key != key) continue;
    if (f.help.empty()) f.range = std::move(range);
    return;
  }
  d->fields.push_back({key, std::move(range), ""});
}

std::string FieldDocs::interval(double lo, double hi) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "[%g, %g]", lo, hi);
  return buf;
}

void check_json_depth(const std::string& text, const std::string& where) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {  // skip the string, escapes included
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == std::string::npos) return;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      i = text.find("*/", i + 2);
      if (i == std::string::npos) return;
      ++i;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw Error(where + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) +
                    " levels (at byte " + std::to_string(i) + "); no tandem file needs that");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open file");
  std::ostringstream whole;
  whole << in.rdbuf();
  const std::string text = whole.str();
  check_json_depth(text, path);
  try {
    return json::parse(text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {  // parse errors, and numbers too large for a double
    throw Error(path + ": invalid JSON: " + e.what());
  }
}

json parse_json_or_discarded(const std::string& text) {
  try {
    return json::parse(text, nullptr, /*allow_exceptions=*/false);
  } catch (const json::exception&) {
    return json(json::value_t::discarded);
  }
}

namespace {

// errno in words, with what to do about the one a researcher can fix
std::string write_failure(int err) {
  if (err == ENOSPC || err == EDQUOT)
    return "disk full (" + std::string(std::strerror(err)) +
           "): free some space, then rerun with --resume";
  return std::strerror(err);
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(tmp + ": cannot open for writing: " + write_failure(errno));
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());  // never leave a partial file behind
    throw Error(path + ": " + what + ": " + write_failure(err));
  };
  for (size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  // the data reaches the disk before the name does: a power cut leaves the old file or the new
  // one, never an empty file under the final name
  if (::fsync(fd) != 0) fail("cannot flush to disk");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(path + ": cannot close: " + write_failure(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw Error(path + ": cannot rename " + tmp + " into place: " + std::strerror(err));
  }
  // and the rename itself is durable once the folder's entry is
  const size_t slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace tandem
