// metrics.jsonl: one JSON object per line, appended and flushed line by line, so a killed run
// loses at most the line being written (readers skip an unparsable last line).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "envs/config.h"

namespace tandem::algorithms {

class MetricsWriter {
 public:
  explicit MetricsWriter(const std::string& path);
  void write(const json& line);

 private:
  std::ofstream out_;
  std::string path_;
};

// Every complete line of a metrics file. A torn last line (a killed run's) is skipped unless
// `whole` is set: a finished run's file must be whole, so there it is an error naming the line.
std::vector<json> read_metrics(const std::string& path, bool whole = false);

}  // namespace tandem::algorithms
