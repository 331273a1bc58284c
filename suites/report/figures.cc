#include "suites/report/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "suites/report/format.h"
#include "suites/report/gnuplot.h"
#include "suites/report/run_data.h"

namespace tandem::suites::report {
namespace fs = std::filesystem;

namespace {

const char* const kGoldKey = "eval/return_mean";  // on text tasks, the gold reward
const char* const kKlK1Key = "eval/kl_ref";
const char* const kKlK3Key = "eval/kl_ref_k3";
const char* const kGradientStepsKey = "charts/gradient_steps";

}  // namespace

namespace {

// The mean over seeds and its band, "x mean low high" lines in path; range grows to hold them.
struct CurveRange {
  double x_max = 0, y_lo = INFINITY, y_hi = -INFINITY;
};
void write_curve(const std::vector<Series>& runs, const std::string& path,
                 const BootstrapOptions& boot, const std::string& pct, CurveRange& range) {
  Curve c = mean_curve(runs, boot);
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path);
  out << "# x mean low high (" << pct << "% bootstrap band over " << seeds_text(runs.size())
      << ")\n";
  for (size_t k = 0; k < c.x.size(); ++k) {
    out << c.x[k] << ' ' << c.mean[k] << ' ' << c.low[k] << ' ' << c.high[k] << '\n';
    range.y_lo = std::min(range.y_lo, c.low[k]);
    range.y_hi = std::max(range.y_hi, c.high[k]);
  }
  if (!c.x.empty()) range.x_max = std::max(range.x_max, c.x.back());
}

// One panel's curves: a band and a line per file, x divided by s.divide.
void plot_curves(std::ostringstream& gp, const AxisScale& s,
                 const std::vector<std::pair<size_t, std::string>>& files) {
  gp << "set xlabel " << gp_string(s.label) << "\nset xrange [0:*]\nset autoscale xfixmax\nplot ";
  bool first = true;
  for (const auto& [index, path] : files) {
    const std::string file = gp_string(path);
    char x_expr[64];
    std::snprintf(x_expr, sizeof(x_expr), "($1/%.17g)", s.divide);
    gp << (first ? "" : ", \\\n     ") << file << " using " << x_expr
       << ":3:4 with filledcurves fc rgb \"" << colour(index)
       << "\" fs transparent solid 0.18 noborder, \\\n     " << file << " using " << x_expr
       << ":2 with lines lw 2.5 dt " << dash(index) << " lc rgb \"" << colour(index) << "\"";
    first = false;
  }
  gp << '\n';
}

void set_y_range(std::ostringstream& gp, const CurveRange& r) {
  if (!(r.y_hi > r.y_lo)) return;
  const double step = nice_step(r.y_lo, r.y_hi, 8);
  gp << "set yrange [" << std::floor(r.y_lo / step) * step << ":" << std::ceil(r.y_hi / step) * step
     << "]\n";
}

// Learners that take gradient steps on fixed data: curves against gradient steps mean more.
bool offline_learner(const std::string& algorithm) {
  return algorithm == "reward_model" || algorithm == "dpo" || algorithm == "sft" ||
         algorithm == "aihf_dpo";
}

}  // namespace

void task_curves(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  const MetricSpec& m = c.m;
  const ReportOptions& options = c.options;
  Plotter& plotter = c.plotter;
  const std::string& pct = c.pct;
  const std::string& title = c.title;
  BootstrapOptions curve_boot = c.boot;
  curve_boot.resamples = options.curve_resamples;
  const std::string stem = file_safe(task) + "__" + file_safe(m.key);
  std::vector<std::pair<size_t, std::string>> steps_files, wall_files;
  std::vector<LegendEntry> legend;
  CurveRange by_steps_range, by_wall_range;  // one y range for both panels, to compare them
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    std::vector<Series> by_steps, by_wall;
    for (const auto* r : runs_of(a, task, algo)) {
      Series s = series_of(*r, "env_steps", m.key), w = series_of(*r, "wall_seconds", m.key);
      if (s.empty() || w.empty()) continue;
      by_steps.push_back(s);
      by_wall.push_back(w);
    }
    if (by_steps.empty()) continue;
    steps_files.push_back({i, plotter.data_path(stem + "__" + file_safe(algo) + "__steps.dat")});
    wall_files.push_back({i, plotter.data_path(stem + "__" + file_safe(algo) + "__wall.dat")});
    write_curve(by_steps, steps_files.back().second, curve_boot, pct, by_steps_range);
    write_curve(by_wall, wall_files.back().second, curve_boot, pct, by_wall_range);
    legend.push_back({i, algo + " (" + seeds_text(by_steps.size()) + ")"});
  }
  if (legend.empty() || !options.figures) return;
  CurveRange y = by_steps_range;
  y.y_lo = std::min(y.y_lo, by_wall_range.y_lo);
  y.y_hi = std::max(y.y_hi, by_wall_range.y_hi);
  // two panels side by side, and under them, across the full width, a strip with the legend
  // alone (keyentry items), where it never hides a curve and has room for four columns
  const int key_rows = static_cast<int>((legend.size() + 3) / 4);
  const int height = 470 + 24 * key_rows;
  const double strip = (14.0 + 24.0 * key_rows) / height, top = 1.0 - 34.0 / height;
  std::ostringstream gp;
  gp << common_style() << "unset key\nset multiplot title "
     << gp_string(task + ": " + m.title + ", mean and " + pct + "% bootstrap CI over seeds")
     << "\nset ylabel " << gp_string(title) << '\n';
  set_y_range(gp, y);
  for (int panel = 0; panel < 2; ++panel) {
    gp << "set origin " << 0.5 * panel << ", " << strip << "\nset size 0.5, " << top - strip
       << '\n';
    plot_curves(gp,
                panel == 0 ? steps_scale(by_steps_range.x_max) : wall_scale(by_wall_range.x_max),
                panel == 0 ? steps_files : wall_files);
  }
  legend_strip(gp, strip, legend, "with lines lw 2.5");
  gp << "unset multiplot\n";
  plotter.size(1280, height);
  if (plotter.draw(stem, gp.str())) {
    doc.image("figures/" + stem + ".png",
              task + ": " + m.title + " against env steps (left) and wall-clock time (right)");
  }
}

void gradient_step_curves(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  const MetricSpec& m = c.m;
  Plotter& plotter = c.plotter;
  BootstrapOptions curve_boot = c.boot;
  curve_boot.resamples = c.options.curve_resamples;
  const std::string stem = file_safe(task) + "__" + file_safe(m.key) + "__gradient_steps";
  std::vector<std::pair<size_t, std::string>> files;
  std::vector<LegendEntry> legend;
  CurveRange range;
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    if (!offline_learner(a.algo_name.at(algo))) continue;
    std::vector<Series> runs;
    for (const auto* r : runs_of(a, task, algo)) {
      Series s = series_of(*r, kGradientStepsKey, m.key);
      if (!s.empty()) runs.push_back(s);
    }
    if (runs.empty()) continue;
    files.push_back({i, plotter.data_path(stem + "__" + file_safe(algo) + ".dat")});
    write_curve(runs, files.back().second, curve_boot, c.pct, range);
    legend.push_back({i, algo + " (" + seeds_text(runs.size()) + ")"});
  }
  if (legend.empty() || !c.options.figures) return;
  AxisScale x{1, "gradient steps"};
  if (range.x_max >= 2e4) x = {1e3, "gradient steps (thousands)"};
  const int key_rows = static_cast<int>((legend.size() + 3) / 4);
  const int height = 470 + 24 * key_rows;
  const double strip = (14.0 + 24.0 * key_rows) / height, top = 1.0 - 34.0 / height;
  std::ostringstream gp;
  gp << common_style() << "unset key\nset multiplot title "
     << gp_string(task + ": " + m.title + " of the offline learners against gradient steps")
     << "\nset ylabel " << gp_string(c.title) << "\nset origin 0, " << strip << "\nset size 1, "
     << top - strip << '\n';
  set_y_range(gp, range);
  plot_curves(gp, x, files);
  legend_strip(gp, strip, legend, "with lines lw 2.5");
  gp << "unset multiplot\n";
  plotter.size(900, height);
  if (plotter.draw(stem, gp.str())) {
    doc.image("figures/" + stem + ".png",
              task + ": " + m.title + " of the offline learners (" +
                  "reward_model, dpo, sft, aihf_dpo) against the gradient steps they took (`" +
                  kGradientStepsKey +
                  "`), the axis that means something for a learner on "
                  "fixed data; mean and " +
                  c.pct + "% bootstrap band over seeds");
  }
}

void aggregate_figure(Document& doc, const MetricContext& c, const std::vector<AggregateRow>& agg,
                      size_t tasks, bool has_baseline) {
  const MetricSpec& m = c.m;
  const ReportOptions& options = c.options;
  Plotter& plotter = c.plotter;
  const std::string& pct = c.pct;
  const std::string stem = "aggregate__" + file_safe(m.key);
  const std::string data = plotter.data_path(stem + ".dat");
  {
    std::ofstream out(data);
    out << "# row label colour mean low high iqm low high poi low high\n";
    for (size_t k = 0; k < agg.size(); ++k) {
      const auto& r = agg[k];
      out << agg.size() - k << ' ' << gp_string(r.label) << ' '
          << std::stoul(colour(r.index).substr(1), nullptr, 16) << ' ' << r.mean.estimate << ' '
          << r.mean.low << ' ' << r.mean.high << ' ' << r.iqm.estimate << ' ' << r.iqm.low << ' '
          << r.iqm.high << ' ';
      if (r.has_poi) {
        out << r.poi.estimate << ' ' << r.poi.low << ' ' << r.poi.high << '\n';
      } else {
        out << "NaN NaN NaN\n";
      }
    }
  }
  const bool poi_panel = has_baseline && agg.size() > 1;
  std::ostringstream gp;
  gp << common_style() << "unset key\nset border 1\nset grid noytics\nset ytics scale 0\n"
     << "set yrange [0.4:" << agg.size() + 0.6 << "]\n"
     << "set multiplot layout 1," << (poi_panel ? 3 : 2) << " title "
     << gp_string("Aggregate " + m.title + " over " + std::to_string(tasks) +
                  (tasks == 1 ? " task" : " tasks") + ", " + pct + "% stratified bootstrap CIs")
     << '\n';
  // ticks chosen here: gnuplot's own crowd a narrow range ("0.550.60.65")
  double lo = 1, hi = 1;  // the guide at 1 stays in view
  for (const auto& r : agg) {
    lo = std::min({lo, r.mean.low, r.iqm.low});
    hi = std::max({hi, r.mean.high, r.iqm.high});
  }
  const double step = nice_step(lo, hi, 5);
  gp << "set xrange [" << std::floor(lo / step) * step << ":" << std::ceil(hi / step) * step
     << "]\nset xtics " << step << '\n';
  auto panel = [&](int col, const std::string& xlabel, bool labels) {
    gp << "set xlabel " << gp_string(xlabel) << '\n'
       << (labels ? "" : "set format y \"\"\n") << "plot " << gp_string(data) << " using " << col
       << ":1:" << col + 1 << ":" << col + 2 << ":3" << (labels ? ":ytic(2)" : "")
       << " with xerrorbars pt 7 ps 1.3 lw 3 lc rgb variable\n";
  };
  // dashed guides: 1 a gain from the lowest start to the best final mean, ½ "no better than"
  gp << "set arrow 1 from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb \"#888888\"\n";
  panel(4, "normalized mean", true);
  panel(7, "normalized IQM", false);
  if (poi_panel) {
    gp << "set xrange [0:1]\nset xtics 0.2\nset arrow 1 from 0.5, graph 0 to 0.5, graph 1 nohead "
          "dt 2 lc rgb "
          "\"#888888\"\n";
    panel(10, "P(X > " + options.baseline + ")", false);
  }
  gp << "unset multiplot\n";
  plotter.size(poi_panel ? 1280 : 900, 140 + 60 * static_cast<int>(agg.size()));
  if (plotter.draw(stem, gp.str())) {
    doc.image("figures/" + stem + ".png",
              "aggregate " + m.title + ": points are estimates, bars " + pct + "% CIs");
  }
}

void frontier_figure(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  Plotter& plotter = c.plotter;
  // k3 when logged: never negative, so every line starts at 0 and moves right
  const bool k3 = task_logs(a, task, kKlK3Key);
  if (!k3 && !task_logs(a, task, kKlK1Key)) return;
  const std::string kl_key = k3 ? kKlK3Key : kKlK1Key;
  const std::string stem = file_safe(task) + "__frontier";
  // text tasks score the gold reward, control tasks the env's true reward
  const std::string reward = is_text_task(a, task) ? "gold reward" : "evaluation return";
  std::vector<LegendEntry> drawn;
  std::vector<std::string> files;
  double x_lo = 0, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    std::vector<Series> kl, y;
    for (const auto* r : runs_of(a, task, algo)) {
      Series s_kl = series_of(*r, "env_steps", kl_key), s_y = series_of(*r, "env_steps", kGoldKey);
      if (s_kl.empty() || s_y.empty()) continue;
      kl.push_back(s_kl);
      y.push_back(s_y);
    }
    if (kl.empty()) continue;
    std::vector<Series> both = kl;
    both.insert(both.end(), y.begin(), y.end());
    const std::vector<double> steps = common_grid(both);
    if (steps.empty()) continue;
    const std::string path = plotter.data_path(stem + "__" + file_safe(algo) + ".dat");
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path);
    out << "# " << kl_key << ' ' << kGoldKey << " env_steps (mean over " << seeds_text(kl.size())
        << "); index 1: the final evaluation\n";
    std::string last;
    for (double step : steps) {
      std::vector<double> xs, ys;
      for (const auto& s : kl) xs.push_back(interpolate(s, step));
      for (const auto& s : y) ys.push_back(interpolate(s, step));
      std::ostringstream line;
      line << mean(xs) << ' ' << mean(ys) << ' ' << step << '\n';
      out << line.str();
      last = line.str();
      x_lo = std::min(x_lo, mean(xs));
      x_hi = std::max(x_hi, mean(xs));
      y_lo = std::min(y_lo, mean(ys));
      y_hi = std::max(y_hi, mean(ys));
    }
    out << "\n\n" << last;
    drawn.push_back({i, algo + " (" + seeds_text(kl.size()) + ")"});
    files.push_back(path);
  }
  if (drawn.empty() || !c.options.figures) return;
  const std::string x_label =
      std::string("KL to the reference, ") + (k3 ? "k3" : "k1") + " estimate (nats per completion)";
  // one panel, and under it the legend strip of the curves' figure
  const int key_rows = static_cast<int>((drawn.size() + 3) / 4);
  const int height = 560 + 24 * key_rows;
  const double strip = (14.0 + 24.0 * key_rows) / height, top = 1.0 - 34.0 / height;
  std::ostringstream gp;
  gp << common_style() << "unset key\nset multiplot title "
     << gp_string(task + ": " + reward +
                  " against KL to the reference, mean over seeds at each evaluation")
     << "\nset origin 0, " << strip << "\nset size 1, " << top - strip << "\nset xlabel "
     << gp_string(x_label) << "\nset ylabel "
     << gp_string(reward + " (" + std::string(kGoldKey) + ")") << '\n';
  // ranges on round ticks, a little past the points so the large final marker is not cut; x
  // from 0 (the start policy), further left only where k1 goes negative
  auto range = [&](const char* axis, double lo, double hi, bool pad_low) {
    if (!(hi > lo)) return;
    const double pad = 0.04 * (hi - lo), step = nice_step(lo, hi, 8);
    gp << "set " << axis << "range [" << std::floor((pad_low ? lo - pad : lo) / step) * step << ":"
       << std::ceil((hi + pad) / step) * step << "]\n";
  };
  range("x", x_lo, x_hi, x_lo < 0);
  range("y", y_lo, y_hi, true);
  gp << "plot ";
  for (size_t k = 0; k < drawn.size(); ++k) {
    const std::string file = gp_string(files[k]), rgb = colour(drawn[k].index);
    gp << (k == 0 ? "" : ", \\\n     ") << file << " index 0 using 1:2 with linespoints lw 2 pt 7 "
       << "ps 0.9 dt " << dash(drawn[k].index) << " lc rgb \"" << rgb << "\", \\\n     " << file
       << " index 1 using 1:2 with points pt 7 ps 2.2 lc rgb \"" << rgb << "\"";
  }
  gp << '\n';
  legend_strip(gp, strip, drawn, "with linespoints lw 2 pt 7 ps 0.9");
  gp << "unset multiplot\n";
  plotter.size(1000, height);
  if (plotter.draw(stem, gp.str())) {
    doc.image("figures/" + stem + ".png",
              task + ": " + reward + " against the KL to the reference, " + (k3 ? "k3" : "k1") +
                  " estimate" +
                  (k3 ? (is_text_task(a, task) ? " (never negative; k1 is in the table)"
                                               : " (never negative)")
                      : " (no run logs k3)") +
                  ". A point per evaluation step, the mean over seeds there (seeds that "
                  "evaluate at other steps are interpolated); the large point is the last step all "
                  "seeds reached. Up and to the left is better: more reward for less drift from "
                  "the start policy.");
  }
}

}  // namespace tandem::suites::report
