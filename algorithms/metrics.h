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

// Every complete line of a metrics file (a torn last line is skipped).
std::vector<json> read_metrics(const std::string& path);

}  // namespace tandem::algorithms
