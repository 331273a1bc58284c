// Drawing with gnuplot: each label's colour and dashes, gnuplot string literals, axis scales and
// ticks, the legend strip under a multiplot, and Plotter, which runs one script per figure into
// <suite>/figures/.
#pragma once

#include <cstddef>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "suites/report.h"

namespace tandem::suites::report {

// The colour of the label with index i (Okabe–Ito, colour-blind safe).
std::string colour(size_t i);
// past eight algorithms the colours repeat, with dashes to tell them apart
int dash(size_t i);
// s as a gnuplot string literal, quoted and escaped.
std::string gp_string(const std::string& s);

struct AxisScale {
  double divide = 1;
  std::string label;
};

// The unit of an x axis: steps in thousands or millions, seconds in minutes or hours.
AxisScale steps_scale(double max_steps);
AxisScale wall_scale(double max_seconds);

class Plotter {
 public:
  Plotter(const std::string& suite_dir, const ReportOptions& options, ReportOutcome& outcome);

  // Runs a gnuplot script that writes `png`; false (with a note) when it could not.
  bool draw(const std::string& name, const std::string& body);

  std::string data_path(const std::string& name) const { return (dir_ / name).string(); }
  void size(int width, int height) {
    width_ = width;
    height_ = height;
  }

 private:
  std::filesystem::path dir_;
  const ReportOptions& options_;
  ReportOutcome& outcome_;
  std::string terminal_;
  bool unavailable_ = false;
  int width_ = 1280, height_ = 480;
};

// The border, grid and tics every figure shares.
std::string common_style();
// A tick step of 1, 2 or 5 × 10^k giving at most `ticks` intervals over [lo, hi].
double nice_step(double lo, double hi, int ticks);

struct LegendEntry {
  size_t index;  // of the label in Analysis::algorithms: its colour and dashes
  std::string label;
};

// Across the full width under a multiplot's panels, a strip of height `strip` (a fraction of the
// figure) with the legend alone (keyentry items), where it never hides a curve and has room for
// four columns. `style` draws an entry ("with lines lw 2.5").
void legend_strip(std::ostringstream& gp, double strip, const std::vector<LegendEntry>& entries,
                  const std::string& style);

}  // namespace tandem::suites::report
