#include "suites/report/gnuplot.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "suites/process.h"

namespace tandem::suites::report {
namespace fs = std::filesystem;

namespace {

// Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
// deficiency. Yellow comes last: it is hard to see on white.
const std::vector<std::string> kPalette = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                           "#CC79A7", "#56B4E9", "#000000", "#F0E442"};

}  // namespace

std::string colour(size_t i) { return kPalette[i % kPalette.size()]; }
int dash(size_t i) { return 1 + static_cast<int>(i / kPalette.size()); }

std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

AxisScale steps_scale(double max_steps) {
  if (max_steps >= 2e6) return {1e6, "environment steps (millions)"};
  if (max_steps >= 2e4) return {1e3, "environment steps (thousands)"};
  return {1, "environment steps"};
}

AxisScale wall_scale(double max_seconds) {
  if (max_seconds >= 7200) return {3600, "wall-clock time (hours)"};
  if (max_seconds >= 600) return {60, "wall-clock time (minutes)"};
  return {1, "wall-clock time (seconds)"};
}

Plotter::Plotter(const std::string& suite_dir, const ReportOptions& options, ReportOutcome& outcome)
    : dir_(fs::path(suite_dir) / "figures"), options_(options), outcome_(outcome) {}

bool Plotter::draw(const std::string& name, const std::string& body) {
  if (!options_.figures || unavailable_) return false;
  fs::create_directories(dir_);
  if (terminal_.empty()) {
    // pngcairo draws antialiased lines and real transparency; plain png is the fallback
    ExitStatus probe = run_process({options_.gnuplot, "-e", "set terminal pngcairo"}, {});
    if (probe.exited && probe.code == 127) {
      unavailable_ = true;
      outcome_.notes.push_back("no figures: '" + options_.gnuplot +
                               "' was not found (install gnuplot-nox)");
      return false;
    }
    terminal_ = probe.ok() ? "pngcairo" : "png truecolor";
  }
  const std::string png = (dir_ / (name + ".png")).string();
  const std::string script = (dir_ / (name + ".gp")).string();
  const std::string log = (dir_ / (name + ".log")).string();
  std::ofstream(script) << "set terminal " << terminal_ << " size " << width_ << "," << height_
                        << " font \"DejaVu Sans,11\"\nset output " << gp_string(png)
                        << "\nset termoption noenhanced\n"
                        << body << "unset output\n";
  fs::remove(log);
  fs::remove(png);
  SpawnOptions spawn;
  spawn.log_path = log;
  ExitStatus status = run_process({options_.gnuplot, script}, spawn);
  if (!status.ok() || !fs::exists(png)) {
    outcome_.notes.push_back("figure " + name + ": gnuplot failed (" + status.describe() +
                             "), see " + log);
    return false;
  }
  fs::remove(log);
  outcome_.figures.push_back(png);
  return true;
}

std::string common_style() {
  return "set border lw 1 lc rgb \"#444444\"\n"
         "set grid xtics ytics lw 1 lc rgb \"#e5e5e5\"\n"
         "set tics nomirror out\nset border 3\n";
}

double nice_step(double lo, double hi, int ticks) {
  const double span = std::max(hi - lo, 1e-12);
  const double base = std::pow(10.0, std::floor(std::log10(span / ticks)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (span / (m * base) <= ticks) return m * base;
  return 10 * base;
}

void legend_strip(std::ostringstream& gp, double strip, const std::vector<LegendEntry>& entries,
                  const std::string& style) {
  gp << "set origin 0, 0\nset size 1, " << strip
     << "\nunset border\nunset tics\nunset grid\nunset xlabel\nunset ylabel\n"
        "set xrange [0:1]\nset yrange [0:1]\nset lmargin 0\nset rmargin 0\nset tmargin 0\n"
        "set bmargin 0\nset key center center horizontal maxcols 4 reverse Left samplen 3 "
        "width 3\n"
        // an invisible curve below the range: a plot of keyentry items alone trips an
        // assertion in gnuplot 5.4
        "plot -1 with lines notitle";
  for (const auto& e : entries) {
    gp << ", keyentry " << style << " dt " << dash(e.index) << " lc rgb \"" << colour(e.index)
       << "\" title " << gp_string(e.label);
  }
  gp << '\n';
}

}  // namespace tandem::suites::report
