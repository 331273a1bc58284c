#include "algorithms/metrics.h"

#include "envs/error.h"

namespace tandem::algorithms {

MetricsWriter::MetricsWriter(const std::string& path) : out_(path, std::ios::app), path_(path) {
  if (!out_) throw Error(path + ": cannot open metrics file for appending");
}

void MetricsWriter::write(const json& line) {
  // generated text may hold bytes that are not UTF-8: written as U+FFFD, never an exception
  out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
  out_.flush();
  if (!out_) throw Error(path_ + ": write failed (disk full?)");
}

std::vector<json> read_metrics(const std::string& path, bool whole) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open metrics file");
  std::vector<json> lines;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    check_json_depth(line, path + ":" + std::to_string(number));
    json j = parse_json_or_discarded(line);
    if (j.is_discarded()) {
      if (!whole && in.peek() == EOF) break;  // torn last line of a killed run
      throw Error(path + ":" + std::to_string(number) + ": not a JSON line");
    }
    lines.push_back(std::move(j));
  }
  return lines;
}

}  // namespace tandem::algorithms
