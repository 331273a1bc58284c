#include "suites/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "algorithms/metrics.h"
#include "envs/error.h"
#include "suites/process.h"
#include "suites/stats.h"

namespace tandem::suites {
namespace fs = std::filesystem;

namespace {

MetricSpec section(const std::string& key, const std::string& title, const std::string& unit) {
  MetricSpec m;
  m.key = key;
  m.title = title;
  m.unit = unit;
  return m;
}

// A column of a compact per-task table: no aggregate (KL or a length is no score to normalize);
// curves when asked for as a section.
MetricSpec column(MetricPlace place, const std::string& key, const std::string& header,
                  const std::string& title, const std::string& unit, bool higher_is_better,
                  const std::string& note) {
  MetricSpec m = section(key, title, unit);
  m.higher_is_better = higher_is_better;
  m.aggregate = false;
  m.place = place;
  m.column = header;
  m.note = note;
  return m;
}

}  // namespace

std::vector<MetricSpec> default_report_metrics() {
  // text tasks: algorithm.cc's evaluation_extras and evaluation.cc; DPO: dpo.cc. A key no run
  // logs is skipped, so listing one costs nothing where it does not apply.
  const MetricPlace text = MetricPlace::kTextColumn, pref = MetricPlace::kPreferenceColumn;
  return {
      section("eval/return_mean", "evaluation return", ""),
      column(text, "eval/kl_ref", "KL k1", "KL to the reference, k1 estimate",
             "nats per completion", false,
             "the sum over the completion's tokens of `log π/π_ref`: unbiased, but a finite "
             "sample can make it negative, which is noise, not a negative KL"),
      column(text, "eval/kl_ref_k3", "KL k3", "KL to the reference, k3 estimate",
             "nats per completion", false,
             "the sum over the tokens of `r − 1 − log r` with `r = π_ref/π`: unbiased too, never "
             "negative, lower variance (Schulman 2020, \"Approximating KL divergence\")"),
      column(text, "eval/distinct_2", "distinct-2", "distinct-2", "", true,
             "distinct bigrams over all bigrams of the evaluation completions: falls when the "
             "policy collapses onto a few completions"),
      column(text, "eval/entropy", "entropy", "policy entropy", "nats per token", true,
             "the policy's mean per-token entropy on its completions"),
      column(text, "eval/length_mean", "length", "completion length", "tokens", true,
             "mean completion length: a length that grows with the reward hints at reward "
             "hacking by length"),
      column(text, "eval/proxy_reward", "proxy reward", "proxy reward", "", true,
             "the learned reward model's score (RLHF runs): far above a flat gold reward, the "
             "policy exploits the reward model"),
      column(pref, "dpo/train_chosen_reward", "chosen (train)", "implicit reward of chosen", "",
             true,
             "`β·(log π − log π_ref)` of the preferred completion, mean over the training pairs "
             "since the previous evaluation; 0 at the start (`π = π_ref`)"),
      column(pref, "dpo/train_rejected_reward", "rejected (train)", "implicit reward of rejected",
             "", false, "the same for the other completion"),
      column(pref, "dpo/train_margin", "margin (train)", "implicit reward margin", "", true,
             "chosen − rejected, what the loss pushes up; a chosen reward going down while the "
             "margin grows means both completions lose likelihood, the rejected one faster"),
      column(pref, "dpo/heldout_chosen_reward", "chosen (held-out)",
             "held-out implicit reward of chosen", "", true, "the same on held-out pairs"),
      column(pref, "dpo/heldout_rejected_reward", "rejected (held-out)",
             "held-out implicit reward of rejected", "", false, ""),
      column(pref, "dpo/heldout_margin", "margin (held-out)", "held-out implicit reward margin", "",
             true, ""),
      column(pref, "dpo/heldout_accuracy", "accuracy (held-out)", "held-out pair accuracy", "",
             true,
             "the share of held-out pairs whose chosen completion has the larger implicit "
             "reward"),
  };
}

MetricSpec metric_spec_for(const std::string& key) {
  for (auto m : default_report_metrics()) {
    if (m.key != key) continue;
    m.place = MetricPlace::kSection;  // asked for by name: a section of its own
    return m;
  }
  return section(key, key, "");
}

namespace {

// ---- the document: built once, written as Markdown and as HTML ----

struct Cell {
  std::string text;
  bool bold = false;
  bool verbatim = false;  // text a run wrote (a prompt, a completion): shown as it is, escaped
};

struct Block {
  enum class Kind { kHeading, kParagraph, kList, kTable, kImage };
  Kind kind = Kind::kParagraph;
  int level = 0;                        // heading
  std::string text;                     // heading, paragraph, image caption
  std::vector<std::string> items;       // list
  std::vector<Cell> header;             // table
  std::vector<std::vector<Cell>> rows;  // table
  std::string image;                    // image path, relative to the suite folder
};

struct Document {
  std::vector<Block> blocks;
  void heading(int level, const std::string& text) {
    Block b;
    b.kind = Block::Kind::kHeading;
    b.level = level;
    b.text = text;
    blocks.push_back(b);
  }
  void paragraph(const std::string& text) {
    Block b;
    b.kind = Block::Kind::kParagraph;
    b.text = text;
    blocks.push_back(b);
  }
  void list(const std::vector<std::string>& items) {
    if (items.empty()) return;
    Block b;
    b.kind = Block::Kind::kList;
    b.items = items;
    blocks.push_back(b);
  }
  void table(std::vector<Cell> header, std::vector<std::vector<Cell>> rows) {
    Block b;
    b.kind = Block::Kind::kTable;
    b.header = std::move(header);
    b.rows = std::move(rows);
    blocks.push_back(b);
  }
  void image(const std::string& path, const std::string& caption) {
    Block b;
    b.kind = Block::Kind::kImage;
    b.image = path;
    b.text = caption;
    blocks.push_back(b);
  }
};

// Numbers are right-aligned: a column whose cells all start like a number.
bool numeric_column(const Block& b, size_t column) {
  bool any = false;
  for (const auto& row : b.rows) {
    if (column >= row.size() || row[column].text.empty()) continue;
    if (row[column].verbatim) return false;  // "1 2 3", a sorted list, is text
    const std::string& t = row[column].text;
    const bool number =
        std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-' || t.rfind("—", 0) == 0;
    if (!number) return false;
    any = true;
  }
  return any;
}

// Verbatim text in Markdown: every character that could start emphasis, code, a link, an HTML
// tag or an entity is backslash-escaped; a line break, which would end the table row, shows as ↵.
std::string md_verbatim(const std::string& text) {
  static const std::string kSpecial = "\\`*_[]<>&~#!|";
  std::string t;
  for (char ch : text) {
    if (ch == '\n') {
      t += "↵";
    } else if (ch == '\r' || ch == '\t') {
      t += ' ';
    } else {
      if (kSpecial.find(ch) != std::string::npos) t += '\\';
      t += ch;
    }
  }
  return t;
}

std::string md_cell(const Cell& c) {
  std::string t;
  if (c.verbatim) {
    t = md_verbatim(c.text);
  } else {
    for (char ch : c.text) t += ch == '|' ? std::string("\\|") : std::string(1, ch);
  }
  return c.bold && !t.empty() ? "**" + t + "**" : t;
}

std::string to_markdown(const Document& doc) {
  std::ostringstream out;
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out << std::string(static_cast<size_t>(b.level), '#') << ' ' << b.text << "\n\n";
        break;
      case Block::Kind::kParagraph:
        out << b.text << "\n\n";
        break;
      case Block::Kind::kList:
        for (const auto& item : b.items) out << "- " << item << '\n';
        out << '\n';
        break;
      case Block::Kind::kTable: {
        out << '|';
        for (const auto& h : b.header) out << ' ' << md_cell(h) << " |";
        out << "\n|";
        for (size_t i = 0; i < b.header.size(); ++i)
          out << (numeric_column(b, i) ? "---:|" : "---|");
        out << '\n';
        for (const auto& row : b.rows) {
          out << '|';
          for (const auto& c : row) out << ' ' << md_cell(c) << " |";
          out << '\n';
        }
        out << '\n';
        break;
      }
      case Block::Kind::kImage:
        out << "![" << b.text << "](" << b.image << ")\n\n";
        break;
    }
  }
  return out.str();
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Paragraphs use two bits of Markdown: `code` and **bold**.
std::string html_inline(const std::string& s) {
  std::string e = html_escape(s), out;
  bool code = false, bold = false;
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i] == '`') {
      out += code ? "</code>" : "<code>";
      code = !code;
    } else if (!code && e.compare(i, 2, "**") == 0) {
      out += bold ? "</b>" : "<b>";
      bold = !bold;
      ++i;
    } else {
      out += e[i];
    }
  }
  if (code) out += "</code>";
  if (bold) out += "</b>";
  return out;
}

std::string base64(const std::string& data) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t v = (uint32_t(uint8_t(data[i])) << 16) | (uint32_t(uint8_t(data[i + 1])) << 8) |
                       uint32_t(uint8_t(data[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < data.size()) {
    uint32_t v = uint32_t(uint8_t(data[i])) << 16;
    if (i + 1 < data.size()) v |= uint32_t(uint8_t(data[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string to_html(const Document& doc, const std::string& title, const std::string& suite_dir) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>"
      << html_escape(title) << "</title>\n<style>\n"
      << "body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;max-width:1320px;"
         "margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\n"
      << "table{border-collapse:collapse;margin:0.5em 0 1.2em}\n"
      << "th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left}\n"
      << ".n{text-align:right;font-variant-numeric:tabular-nums}\n"
      << ".v{white-space:pre-wrap;font-family:ui-monospace,'DejaVu Sans Mono',monospace}\n"
      << "th{background:#f3f3f3}\ncode{background:#f3f3f3;padding:0 0.2em}\n"
      << "img{max-width:100%;border:1px solid #eee}\nfigure{margin:0.5em 0 1.5em}\n"
      << "figcaption{color:#555;font-size:0.9em}\n</style></head><body>\n";
  for (const auto& b : doc.blocks) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out << "<h" << b.level << '>' << html_inline(b.text) << "</h" << b.level << ">\n";
        break;
      case Block::Kind::kParagraph:
        out << "<p>" << html_inline(b.text) << "</p>\n";
        break;
      case Block::Kind::kList:
        out << "<ul>\n";
        for (const auto& item : b.items) out << "<li>" << html_inline(item) << "</li>\n";
        out << "</ul>\n";
        break;
      case Block::Kind::kTable:
        out << "<table>\n<tr>";
        for (size_t i = 0; i < b.header.size(); ++i) {
          out << (numeric_column(b, i) ? "<th class=\"n\">" : "<th>")
              << html_escape(b.header[i].text) << "</th>";
        }
        out << "</tr>\n";
        for (const auto& row : b.rows) {
          out << "<tr>";
          for (size_t i = 0; i < row.size(); ++i) {
            const Cell& c = row[i];
            out << (numeric_column(b, i) ? "<td class=\"n\">"
                    : c.verbatim         ? "<td class=\"v\">"
                                         : "<td>")
                << (c.bold ? "<b>" : "") << html_escape(c.text) << (c.bold ? "</b>" : "")
                << "</td>";
          }
          out << "</tr>\n";
        }
        out << "</table>\n";
        break;
      case Block::Kind::kImage: {
        // inlined, so the page is one file that can be mailed or attached
        const std::string png = read_file((fs::path(suite_dir) / b.image).string());
        out << "<figure><img alt=\"" << html_escape(b.text) << "\" src=\"data:image/png;base64,"
            << base64(png) << "\"><figcaption>" << html_escape(b.text)
            << "</figcaption></figure>\n";
        break;
      }
    }
  }
  out << "</body></html>\n";
  return out.str();
}

// ---- numbers ----

std::string fmt(double x) {
  if (!std::isfinite(x)) return "—";
  char buf[64];
  const double a = std::fabs(x);
  const char* f = a >= 1000 ? "%.0f" : a >= 100 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
  std::snprintf(buf, sizeof(buf), f, x);
  return buf;
}

std::string fmt2(double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

std::string fmt_interval(const Interval& i, std::string (*f)(double)) {
  return f(i.estimate) + " [" + f(i.low) + ", " + f(i.high) + "]";
}

// An estimate and its interval with the same number of decimals, those fmt() picks for the
// largest of the three: "148.3 [47.7, 248.9]", not "148.3 [47.74, 248.9]".
std::string fmt_interval(const Interval& i) {
  const double a = std::max({std::fabs(i.estimate), std::fabs(i.low), std::fabs(i.high)});
  const int decimals = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 1 ? 2 : 3;
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%.*f [%.*f, %.*f]", decimals, i.estimate, decimals, i.low,
                decimals, i.high);
  return buf;
}

bool better(double a, double b, bool higher_is_better) { return higher_is_better ? a > b : a < b; }

std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
            c == '=' || c == '+')
               ? c
               : '_';
  return out;
}

// ---- what the runs logged ----

std::optional<double> number_at(const json& line, const std::string& key) {
  auto it = line.find(key);
  if (it == line.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<double> final_value(const RunRecord& run, const std::string& key) {
  for (auto it = run.metrics.rbegin(); it != run.metrics.rend(); ++it)
    if (auto v = number_at(*it, key)) return v;
  return std::nullopt;
}

std::optional<double> initial_value(const RunRecord& run, const std::string& key) {
  for (const auto& line : run.metrics) {
    auto steps = number_at(line, "env_steps");
    if (steps && *steps == 0)
      if (auto v = number_at(line, key)) return v;
  }
  return std::nullopt;
}

using Series = std::vector<std::pair<double, double>>;  // (x, y), x increasing

Series series_of(const RunRecord& run, const std::string& x_key, const std::string& y_key) {
  Series s;
  for (const auto& line : run.metrics) {
    auto x = number_at(line, x_key);
    auto y = number_at(line, y_key);
    if (x && y && (s.empty() || *x >= s.back().first)) s.emplace_back(*x, *y);
  }
  return s;
}

double interpolate(const Series& s, double x) {
  if (x <= s.front().first) return s.front().second;
  if (x >= s.back().first) return s.back().second;
  auto it =
      std::lower_bound(s.begin(), s.end(), x, [](const auto& p, double v) { return p.first < v; });
  const auto& [x1, y1] = *it;
  const auto& [x0, y0] = *(it - 1);
  return x1 == x0 ? y1 : y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

struct Curve {
  std::vector<double> x, mean, low, high;
};

// The x values every seed reaches: every logged x up to the shortest seed's last one (so each point
// averages all seeds), thinned to at most 200 points.
std::vector<double> common_grid(const std::vector<Series>& runs) {
  double x_max = INFINITY;
  std::vector<double> grid;
  for (const auto& s : runs) {
    x_max = std::min(x_max, s.back().first);
    for (const auto& p : s) grid.push_back(p.first);
  }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  grid.erase(std::remove_if(grid.begin(), grid.end(), [&](double x) { return x > x_max; }),
             grid.end());
  if (grid.size() > 200) {
    std::vector<double> thin;
    for (size_t i = 0; i < 200; ++i) thin.push_back(grid[i * (grid.size() - 1) / 199]);
    grid = thin;
  }
  return grid;
}

// Mean and bootstrap band over seeds on their common grid.
Curve mean_curve(const std::vector<Series>& runs, const BootstrapOptions& options) {
  Curve c;
  for (double x : common_grid(runs)) {
    std::vector<double> ys;
    for (const auto& s : runs) ys.push_back(interpolate(s, x));
    const Interval ci = mean_ci(ys, options);
    c.x.push_back(x);
    c.mean.push_back(ci.estimate);
    c.low.push_back(ci.low);
    c.high.push_back(ci.high);
  }
  return c;
}

// ---- figures ----

// Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
// deficiency. Yellow comes last: it is hard to see on white.
const std::vector<std::string> kPalette = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                           "#CC79A7", "#56B4E9", "#000000", "#F0E442"};

std::string colour(size_t i) { return kPalette[i % kPalette.size()]; }
// past eight algorithms the colours repeat, with dashes to tell them apart
int dash(size_t i) { return 1 + static_cast<int>(i / kPalette.size()); }

std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct AxisScale {
  double divide = 1;
  std::string label;
};

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

class Plotter {
 public:
  Plotter(const std::string& suite_dir, const ReportOptions& options, ReportOutcome& outcome)
      : dir_(fs::path(suite_dir) / "figures"), options_(options), outcome_(outcome) {}

  // Runs a gnuplot script that writes `png`; false (with a note) when it could not.
  bool draw(const std::string& name, const std::string& body) {
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
    ExitStatus status = run_process({options_.gnuplot, script}, {log});
    if (!status.ok() || !fs::exists(png)) {
      outcome_.notes.push_back("figure " + name + ": gnuplot failed (" + status.describe() +
                               "), see " + log);
      return false;
    }
    fs::remove(log);
    outcome_.figures.push_back(png);
    return true;
  }

  std::string data_path(const std::string& name) const { return (dir_ / name).string(); }
  void size(int width, int height) {
    width_ = width;
    height_ = height;
  }

 private:
  fs::path dir_;
  const ReportOptions& options_;
  ReportOutcome& outcome_;
  std::string terminal_;
  bool unavailable_ = false;
  int width_ = 1280, height_ = 480;
};

std::string common_style() {
  return "set border lw 1 lc rgb \"#444444\"\n"
         "set grid xtics ytics lw 1 lc rgb \"#e5e5e5\"\n"
         "set tics nomirror out\nset border 3\n";
}

// A tick step of 1, 2 or 5 × 10^k giving at most `ticks` intervals over [lo, hi].
double nice_step(double lo, double hi, int ticks) {
  const double span = std::max(hi - lo, 1e-12);
  const double base = std::pow(10.0, std::floor(std::log10(span / ticks)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (span / (m * base) <= ticks) return m * base;
  return 10 * base;
}

// ---- the report ----

struct Analysis {
  std::vector<std::string> tasks, algorithms;    // display order
  std::map<std::string, std::string> algo_name;  // label → registered algorithm
  std::map<std::string, std::string> env_id;     // task → env id (config.json)
  std::vector<const RunRecord*> finished;
};

std::vector<const RunRecord*> runs_of(const Analysis& a, const std::string& task,
                                      const std::string& algo) {
  std::vector<const RunRecord*> out;
  for (const auto* r : a.finished)
    if (r->task == task && r->algorithm == algo) out.push_back(r);
  return out;
}

std::vector<double> finals_of(const Analysis& a, const std::string& task, const std::string& algo,
                              const std::string& key) {
  std::vector<double> out;
  for (const auto* r : runs_of(a, task, algo))
    if (auto v = final_value(*r, key)) out.push_back(*v);
  return out;
}

std::string seeds_text(size_t n) { return std::to_string(n) + (n == 1 ? " seed" : " seeds"); }

void describe_setup(Document& doc, const Analysis& a, const std::vector<RunRecord>& runs) {
  doc.heading(2, "Setup");
  // tasks: env, budget, evaluation, runs
  std::vector<std::vector<Cell>> rows;
  for (const auto& task : a.tasks) {
    const RunRecord* any = nullptr;
    int64_t total = 0, done = 0;
    double wall = 0;
    for (const auto& r : runs) {
      if (r.task != task) continue;
      ++total;
      if (!any && r.config.is_object()) any = &r;
      if (!r.finished) continue;
      ++done;
      if (!r.metrics.empty())
        if (auto w = number_at(r.metrics.back(), "wall_seconds")) wall += *w;
    }
    std::string env = "?", steps = "?", eval = "?";
    if (any) {
      const json& c = any->config;
      env = c.value(json::json_pointer("/env/id"), std::string("?"));
      if (c.contains("steps")) steps = c["steps"].dump();
      if (c.contains("eval"))
        eval = "every " + c["eval"].value("interval", json()).dump() + " steps, " +
               c["eval"].value("episodes", json()).dump() + " episodes";
    }
    rows.push_back({{task},
                    {env},
                    {steps},
                    {eval},
                    {std::to_string(done) + " / " + std::to_string(total)},
                    {done ? fmt(wall / static_cast<double>(done)) : "—"}});
  }
  doc.table(
      {{"task"}, {"env"}, {"steps per run"}, {"evaluation"}, {"runs finished"}, {"wall s per run"}},
      rows);

  // algorithms: the settings that tell labels of the same algorithm apart
  std::map<std::string, json> settings;  // label → algorithm fields and "policy.FIELD"s
  for (const auto& label : a.algorithms) {
    for (const auto& r : runs) {
      if (r.algorithm != label || !r.config.is_object()) continue;
      json flat = json::object();
      const json config = r.config.value(json::json_pointer("/algorithm/config"), json::object());
      for (auto it = config.begin(); it != config.end(); ++it) flat[it.key()] = *it;
      const json policy = r.config.value("policy", json::object());
      for (auto it = policy.begin(); it != policy.end(); ++it) flat["policy." + it.key()] = *it;
      settings[label] = flat;
      break;
    }
  }
  rows.clear();
  for (const auto& label : a.algorithms) {
    std::vector<std::string> differing;
    const json& mine = settings[label];
    for (const auto& [other, theirs] : settings) {
      if (other == label || a.algo_name.at(other) != a.algo_name.at(label)) continue;
      std::set<std::string> keys;
      for (auto it = theirs.begin(); it != theirs.end(); ++it) keys.insert(it.key());
      for (auto it = mine.begin(); it != mine.end(); ++it) keys.insert(it.key());
      for (const auto& k : keys) {
        const bool differs = !mine.contains(k) || !theirs.contains(k) || mine[k] != theirs[k];
        if (differs && std::find(differing.begin(), differing.end(), k) == differing.end())
          differing.push_back(k);
      }
    }
    std::string text;
    for (const auto& k : differing)
      text += (text.empty() ? "" : ", ") + k + " = " +
              (mine.contains(k) ? mine[k].dump() : std::string("(default)"));
    rows.push_back({{label}, {a.algo_name.at(label)}, {text.empty() ? "—" : text}});
  }
  doc.table({{"label"}, {"algorithm"}, {"settings that differ from other labels"}}, rows);
}

// What the sections of one metric share.
struct MetricContext {
  const Analysis& a;
  const MetricSpec& m;
  const ReportOptions& options;
  Plotter& plotter;
  BootstrapOptions boot;
  std::string pct;    // the confidence level in percent, "95"
  std::string title;  // the metric's title with its unit
  std::map<std::pair<std::string, std::string>, Interval> cis;  // (task, label) → final mean
};

struct LegendEntry {
  size_t index;  // of the label in Analysis::algorithms: its colour and dashes
  std::string label;
};

// Across the full width under a multiplot's panels, a strip of height `strip` (a fraction of the
// figure) with the legend alone (keyentry items), where it never hides a curve and has room for
// four columns. `style` draws an entry ("with lines lw 2.5").
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

// The task's figure: the metric against env steps and against wall-clock seconds.
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
  struct Drawn {
    size_t index;
    std::string label, steps_file, wall_file;
  };
  std::vector<Drawn> drawn;
  double max_steps = 0, max_wall = 0;
  double y_lo = INFINITY, y_hi = -INFINITY;  // one y range for both panels, to compare them
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
    Drawn d{i, algo + " (" + seeds_text(by_steps.size()) + ")",
            plotter.data_path(stem + "__" + file_safe(algo) + "__steps.dat"),
            plotter.data_path(stem + "__" + file_safe(algo) + "__wall.dat")};
    auto write_curve = [&](const std::vector<Series>& curve_runs, const std::string& path) {
      Curve c = mean_curve(curve_runs, curve_boot);
      fs::create_directories(fs::path(path).parent_path());
      std::ofstream out(path);
      out << "# x mean low high (" << pct << "% bootstrap band over "
          << seeds_text(curve_runs.size()) << ")\n";
      for (size_t k = 0; k < c.x.size(); ++k)
        out << c.x[k] << ' ' << c.mean[k] << ' ' << c.low[k] << ' ' << c.high[k] << '\n';
      for (size_t k = 0; k < c.x.size(); ++k) {
        y_lo = std::min(y_lo, c.low[k]);
        y_hi = std::max(y_hi, c.high[k]);
      }
      return c.x.empty() ? 0.0 : c.x.back();
    };
    max_steps = std::max(max_steps, write_curve(by_steps, d.steps_file));
    max_wall = std::max(max_wall, write_curve(by_wall, d.wall_file));
    drawn.push_back(d);
  }
  if (drawn.empty() || !options.figures) return;
  const AxisScale sx = steps_scale(max_steps), wx = wall_scale(max_wall);
  // two panels side by side, and under them, across the full width, a strip with the legend
  // alone (keyentry items), where it never hides a curve and has room for four columns
  const int key_rows = static_cast<int>((drawn.size() + 3) / 4);
  const int height = 470 + 24 * key_rows;
  const double strip = (14.0 + 24.0 * key_rows) / height, top = 1.0 - 34.0 / height;
  std::ostringstream gp;
  gp << common_style() << "unset key\nset multiplot title "
     << gp_string(task + ": " + m.title + ", mean and " + pct + "% bootstrap CI over seeds")
     << "\nset ylabel " << gp_string(title) << '\n';
  if (y_hi > y_lo) {
    const double step = nice_step(y_lo, y_hi, 8);
    gp << "set yrange [" << std::floor(y_lo / step) * step << ":" << std::ceil(y_hi / step) * step
       << "]\n";
  }
  for (int panel = 0; panel < 2; ++panel) {
    const AxisScale& s = panel == 0 ? sx : wx;
    gp << "set origin " << 0.5 * panel << ", " << strip << "\nset size 0.5, " << top - strip
       << "\nset xlabel " << gp_string(s.label)
       << "\nset xrange [0:*]\nset autoscale xfixmax\nplot ";
    bool first = true;
    for (const auto& d : drawn) {
      const std::string file = gp_string(panel == 0 ? d.steps_file : d.wall_file);
      char x_expr[64];
      std::snprintf(x_expr, sizeof(x_expr), "($1/%.17g)", s.divide);
      gp << (first ? "" : ", \\\n     ") << file << " using " << x_expr
         << ":3:4 with filledcurves fc rgb \"" << colour(d.index)
         << "\" fs transparent solid 0.18 noborder, \\\n     " << file << " using " << x_expr
         << ":2 with lines lw 2.5 dt " << dash(d.index) << " lc rgb \"" << colour(d.index) << "\"";
      first = false;
    }
    gp << '\n';
  }
  std::vector<LegendEntry> legend;
  for (const auto& d : drawn) legend.push_back({d.index, d.label});
  legend_strip(gp, strip, legend, "with lines lw 2.5");
  gp << "unset multiplot\n";
  plotter.size(1280, height);
  if (plotter.draw(stem, gp.str())) {
    doc.image("figures/" + stem + ".png",
              task + ": " + m.title + " against env steps (left) and wall-clock time (right)");
  }
}

// One row of the aggregate table.
struct AggregateRow {
  size_t index;  // of the label in Analysis::algorithms: its colour
  std::string label;
  Interval mean, iqm, poi;
  bool has_poi = false;
};

// rliable's interval plot: one row per algorithm, a point and its interval per panel.
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

// Scores normalized per task, aggregated over tasks, with the probability of improvement over
// the baseline, as a table and rliable's interval plot.
void aggregate_section(Document& doc, const MetricContext& c) {
  const Analysis& a = c.a;
  const MetricSpec& m = c.m;
  const ReportOptions& options = c.options;
  const BootstrapOptions& boot = c.boot;
  const std::string& pct = c.pct;
  std::vector<Cell> header;
  std::vector<std::vector<Cell>> rows;
  doc.heading(3, "Aggregate over tasks (normalized " + m.title + ")");
  // per task: each run against its own start, on the task's one scale (stats.h)
  std::vector<std::string> tasks_used, skipped, scales;
  std::vector<StartNormalization> norms;
  size_t no_start = 0;
  for (const auto& task : a.tasks) {
    std::vector<std::vector<StartAndFinal>> runs(a.algorithms.size());
    size_t n_runs = 0;
    for (size_t i = 0; i < a.algorithms.size(); ++i)
      for (const auto* r : runs_of(a, task, a.algorithms[i])) {
        auto final_score = final_value(*r, m.key), start = initial_value(*r, m.key);
        if (final_score) (start ? ++n_runs : ++no_start);
        if (final_score && start) runs[i].push_back({*start, *final_score});
      }
    if (n_runs == 0) {
      skipped.push_back(task + " (no evaluation at env step 0)");
      continue;
    }
    StartNormalization n = normalize_against_starts(runs, m.higher_is_better);
    const std::string& ref_label = a.algorithms[n.reference_label];
    if (!n.scalable) {
      skipped.push_back(task + " (every label starts at or beyond the best final mean, " +
                        fmt(n.reference) + " by " + ref_label + ": nothing to scale)");
      continue;
    }
    std::string line = task + ": reference " + fmt(n.reference) + " (" + ref_label +
                       "'s final mean), lowest start " + fmt(n.lowest_start) + " (" +
                       a.algorithms[n.lowest_start_label] + "'s mean start)";
    for (size_t i = 0; i < runs.size(); ++i)
      if (!runs[i].empty() && !better(n.reference, n.mean_start[i], m.higher_is_better))
        line += "; " + a.algorithms[i] + " starts at " + fmt(n.mean_start[i]) +
                ", at or beyond the reference: only its change from there shows";
    scales.push_back(line + ".");
    tasks_used.push_back(task);
    norms.push_back(std::move(n));
  }
  const size_t base_i = static_cast<size_t>(
      std::find(a.algorithms.begin(), a.algorithms.end(), options.baseline) - a.algorithms.begin());
  const bool has_baseline = base_i < a.algorithms.size();
  doc.paragraph(
      "Per task, each run is normalized against **its own start**: (final − start) / (reference "
      "− lowest start). **start** is the run's own `" +
      m.key +
      "` at env step 0 (labels may start from different policies: fresh networks, an expert's "
      "snapshot), **reference** the best final mean of any label on the task, **lowest start** "
      "the worst mean start of any label. 0 is no change from the run's start, below 0 worse; 1 "
      "a gain as large as the span from the lowest start to the reference. One scale per task: "
      "(reference − the run's start) would blow up for a run starting just short of the "
      "reference and flip the sign of one starting beyond it. A label starting at or beyond the "
      "reference shows only its change; the one setting the reference may have got there by "
      "starting there. The aggregate ranks this suite's labels, not comparable across suites. "
      "Mean: the mean over tasks of the per-task mean; IQM: the IQM of all runs pooled. " +
      pct + "% stratified bootstrap intervals: seeds are resampled within each task." +
      (has_baseline ? " P(X > " + options.baseline +
                          "): the probability that a run of the label "
                          "gains more (normalized) over its own start than a run of " +
                          options.baseline +
                          " on the same task (ties count ½), averaged over tasks, with a "
                          "stratified bootstrap interval."
                    : ""));
  if (!scales.empty()) doc.list(scales);
  if (no_start > 0)
    doc.paragraph("Left out: " + std::to_string(no_start) + " finished run" +
                  (no_start == 1 ? "" : "s") + " without an evaluation at env step 0 (no start).");
  if (!skipped.empty()) {
    std::string list;
    for (const auto& s : skipped) list += (list.empty() ? "" : "; ") + s;
    doc.paragraph("Tasks left out of the aggregate: " + list + ".");
  }
  if (tasks_used.empty()) {
    doc.paragraph("No task can be normalized, so there is no aggregate.");
    return;
  }
  auto scores_of = [&](size_t i, std::vector<size_t>* task_index) {  // i: the label's index
    TaskScores scores;
    for (size_t t = 0; t < tasks_used.size(); ++t) {
      if (norms[t].scores[i].empty()) continue;
      scores.push_back(norms[t].scores[i]);
      if (task_index) task_index->push_back(t);
    }
    return scores;
  };
  rows.clear();
  std::vector<AggregateRow> agg;
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    const std::string& algo = a.algorithms[i];
    std::vector<size_t> index;
    TaskScores scores = scores_of(i, &index);
    if (scores.empty()) continue;
    AggregateRow row{i, algo, aggregate_mean_ci(scores, boot), aggregate_iqm_ci(scores, boot), {}};
    std::string poi_text = "—";
    if (has_baseline && algo != options.baseline) {
      // both algorithms on the tasks both have
      std::vector<size_t> base_index;
      TaskScores base = scores_of(base_i, &base_index);
      TaskScores x, y;
      for (size_t k = 0; k < index.size(); ++k) {
        auto it = std::find(base_index.begin(), base_index.end(), index[k]);
        if (it == base_index.end()) continue;
        x.push_back(scores[k]);
        y.push_back(base[static_cast<size_t>(it - base_index.begin())]);
      }
      if (!x.empty()) {
        row.poi = probability_of_improvement_ci(x, y, boot);
        row.has_poi = true;
        poi_text = fmt_interval(row.poi, fmt2);
      }
    }
    size_t n_runs = 0;
    for (const auto& t : scores) n_runs += t.size();
    std::vector<Cell> cells = {
        {algo}, {fmt_interval(row.mean, fmt2)}, {fmt_interval(row.iqm, fmt2)}};
    if (has_baseline) cells.push_back({poi_text});
    cells.push_back({std::to_string(scores.size()) + " / " + std::to_string(tasks_used.size())});
    cells.push_back({std::to_string(n_runs)});
    rows.push_back(cells);
    agg.push_back(row);
  }
  // bold: the best mean and the best IQM
  for (int column : {1, 2}) {
    double best = -INFINITY;
    for (const auto& r : agg) best = std::max(best, column == 1 ? r.mean.estimate : r.iqm.estimate);
    for (size_t k = 0; k < agg.size(); ++k)
      rows[k][static_cast<size_t>(column)].bold =
          (column == 1 ? agg[k].mean.estimate : agg[k].iqm.estimate) == best;
  }
  header = {{"label"}, {"normalized mean [" + pct + "% CI]"}, {"normalized IQM [" + pct + "% CI]"}};
  if (has_baseline) header.push_back({"P(X > " + options.baseline + ") [" + pct + "% CI]"});
  header.push_back({"tasks"});
  header.push_back({"runs"});
  doc.table(header, rows);

  if (options.figures) aggregate_figure(doc, c, agg, tasks_used.size(), has_baseline);
}

// ---- what text tasks and preference runs add to their task ----

const char* const kGoldKey = "eval/return_mean";  // on text tasks, the gold reward
const char* const kKlK1Key = "eval/kl_ref";
const char* const kKlK3Key = "eval/kl_ref_k3";
const int kSamplePrompts = 3;

bool is_text_task(const Analysis& a, const std::string& task) {
  auto it = a.env_id.find(task);
  return it != a.env_id.end() && it->second.rfind("text/", 0) == 0;
}

bool task_logs(const Analysis& a, const std::string& task, const std::string& key) {
  for (const auto* r : a.finished)
    if (r->task == task && final_value(*r, key)) return true;
  return false;
}

// The metrics placed at `place` that some finished run of the task logs, in the list's order.
std::vector<const MetricSpec*> logged_columns(const Analysis& a, const std::string& task,
                                              const std::vector<MetricSpec>& metrics,
                                              MetricPlace place) {
  std::vector<const MetricSpec*> out;
  for (const auto& m : metrics)
    if (m.place == place && task_logs(a, task, m.key)) out.push_back(&m);
  return out;
}

// The legend of some columns: header, key, unit and what to read in it.
std::vector<std::string> column_legend(const std::vector<const MetricSpec*>& columns) {
  std::vector<std::string> items;
  for (const auto* m : columns) {
    if (m->note.empty()) continue;
    items.push_back("**" + m->column + "** (`" + m->key + "`" +
                    (m->unit.empty() ? "" : ", " + m->unit) + "): " + m->note + ".");
  }
  return items;
}

// A column's cell: the mean over seeds of the final values, "—" where no run logs it.
Cell mean_cell(const std::vector<double>& values) {
  return {values.empty() ? "—" : fmt(mean(values))};
}

// The gold reward against the KL to the reference, the figure the APA paper turns on: one line per
// algorithm through its evaluations (the mean over seeds at each env step, on the seeds' common
// steps), the last marked large. Up and to the left is better.
void frontier_figure(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  Plotter& plotter = c.plotter;
  // k3 when logged: never negative, so every line starts at 0 and moves right
  const bool k3 = task_logs(a, task, kKlK3Key);
  if (!k3 && !task_logs(a, task, kKlK1Key)) return;
  const std::string kl_key = k3 ? kKlK3Key : kKlK1Key;
  const std::string stem = file_safe(task) + "__frontier";
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
     << gp_string(task +
                  ": gold reward against KL to the reference, mean over seeds at each "
                  "evaluation")
     << "\nset origin 0, " << strip << "\nset size 1, " << top - strip << "\nset xlabel "
     << gp_string(x_label) << "\nset ylabel "
     << gp_string("gold reward (" + std::string(kGoldKey) + ")") << '\n';
  // ranges on round ticks, a little past the points so the large final marker is not cut; x
  // from 0 (the base model), further left only where k1 goes negative
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
              task + ": gold reward against the KL to the reference, " + (k3 ? "k3" : "k1") +
                  " estimate" +
                  (k3 ? " (never negative; k1 is in the table)" : " (no run logs k3)") +
                  ". A point per evaluation step, the mean over seeds there (seeds that "
                  "evaluate at other steps are interpolated); the large point is the last step all "
                  "seeds reached. Up and to the left is better: more reward for less drift from "
                  "the base model.");
  }
}

// The implicit rewards of DPO-type runs: final values, mean over seeds.
void preference_table(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  const auto columns = logged_columns(a, task, c.options.metrics, MetricPlace::kPreferenceColumn);
  if (columns.empty()) return;
  doc.heading(4, task + ": implicit rewards (DPO)");
  doc.paragraph(
      "The implicit reward of one side y of a preference pair (a completion, or a control "
      "segment) is `β·(log π(y) − log π_ref(y))`; each cell is the mean over seeds of the runs' "
      "last logged value.");
  doc.list(column_legend(columns));
  std::vector<Cell> header = {{"label"}};
  for (const auto* m : columns) header.push_back({m->column});
  std::vector<std::vector<Cell>> rows;
  for (const auto& algo : a.algorithms) {
    std::vector<Cell> row = {{algo}};
    bool any = false;
    for (const auto* m : columns) {
      auto finals = finals_of(a, task, algo, m->key);
      any = any || !finals.empty();
      row.push_back(mean_cell(finals));
    }
    if (any) rows.push_back(row);
  }
  doc.table(header, rows);
}

// samples.jsonl of a run: {env_steps, return, prompt, completion} lines; none when unreadable.
std::vector<json> read_samples(const RunRecord& run) {
  const fs::path path = fs::path(run.dir) / "samples.jsonl";
  if (!fs::exists(path)) return {};
  try {
    return algorithms::read_metrics(path.string());
  } catch (const Error&) {
    return {};
  }
}

// The sample of `prompt` at the run's last evaluation; the step goes to *step.
const json* final_sample(const std::vector<json>& samples, const std::string& prompt,
                         double* step) {
  std::optional<double> last;
  for (const auto& line : samples)
    if (auto s = number_at(line, "env_steps")) last = last ? std::max(*last, *s) : *s;
  if (!last) return nullptr;
  for (const auto& line : samples) {
    if (number_at(line, "env_steps") == last && line.is_object() && line.contains("prompt") &&
        line["prompt"] == prompt) {
      *step = *last;
      return &line;
    }
  }
  return nullptr;
}

std::string step_text(double step) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.0f", step);
  return buf;
}

// A few completions: the base model's (the evaluation at env step 0) beside each label's at its
// final evaluation, for the same prompts.
void samples_table(Document& doc, const MetricContext& c, const std::string& task) {
  const Analysis& a = c.a;
  // the base: the lowest seed with samples at env step 0, in the labels' display order
  std::map<const RunRecord*, std::vector<json>> samples;
  for (const auto* r : a.finished)
    if (r->task == task) samples[r] = read_samples(*r);
  const RunRecord* base = nullptr;
  std::vector<const json*> prompts;
  for (const auto& algo : a.algorithms) {
    for (const auto* r : runs_of(a, task, algo)) {
      if (base && r->seed >= base->seed) continue;
      std::vector<const json*> at_zero;
      for (const auto& line : samples[r]) {
        if (number_at(line, "env_steps") != 0.0 || !line.is_object() || !line.contains("prompt") ||
            !line["prompt"].is_string())
          continue;
        const bool seen = std::any_of(at_zero.begin(), at_zero.end(), [&](const json* p) {
          return (*p)["prompt"] == line["prompt"];
        });
        if (!seen && static_cast<int>(at_zero.size()) < kSamplePrompts) at_zero.push_back(&line);
      }
      if (at_zero.empty()) continue;
      base = r;
      prompts = at_zero;
    }
  }
  if (!base) return;
  doc.heading(4, task + ": sample completions");
  doc.paragraph("The first " + std::to_string(prompts.size()) + " evaluation prompts of seed " +
                std::to_string(base->seed) +
                ": the base model's completion (the evaluation at env step 0, before any "
                "training) and each label's at its final evaluation, as the evaluation drew "
                "them, with their gold rewards. Evaluation prompts depend on the seed alone, so "
                "every label answers the same ones (where a label lacks this seed, another of its "
                "seeds with the same prompt stands in).");
  std::vector<std::vector<Cell>> rows;
  auto text_of = [](const json& line, const char* key) {
    const json v = line.contains(key) ? line[key] : json();
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  for (const json* p : prompts) {
    const std::string prompt = (*p)["prompt"].get<std::string>();
    auto gold = number_at(*p, "return");
    rows.push_back({{prompt, false, true},
                    {"base model (env step 0)"},
                    {gold ? fmt(*gold) : "—"},
                    {text_of(*p, "completion"), false, true}});
    for (const auto& algo : a.algorithms) {
      // this seed's run first, then the label's others
      std::vector<const RunRecord*> candidates = runs_of(a, task, algo);
      std::stable_partition(candidates.begin(), candidates.end(),
                            [&](const RunRecord* r) { return r->seed == base->seed; });
      for (const auto* r : candidates) {
        double step = 0;
        const json* line = final_sample(samples[r], prompt, &step);
        if (!line || step == 0) continue;
        auto g = number_at(*line, "return");
        std::string who = algo + " (env step " + step_text(step) +
                          (r->seed == base->seed ? "" : ", seed " + std::to_string(r->seed)) + ")";
        rows.push_back({{"", false, true},
                        {who},
                        {g ? fmt(*g) : "—"},
                        {text_of(*line, "completion"), false, true}});
        break;
      }
    }
  }
  doc.table({{"prompt"}, {"model"}, {"gold reward"}, {"completion"}}, rows);
}

// A section: the metric's tables, curves and aggregate. `task_extras` (the first section): each
// task's table also carries the text tasks' columns, and each task its frontier, implicit rewards
// and samples.
void report_metric(Document& doc, const Analysis& a, const MetricSpec& m,
                   const ReportOptions& options, Plotter& plotter, bool task_extras) {
  MetricContext c{a, m, options, plotter, {}, "", "", {}};
  c.boot.resamples = options.resamples;
  c.boot.confidence = options.confidence;
  c.boot.seed = options.seed;
  c.pct = std::to_string(static_cast<int>(std::lround(options.confidence * 100)));
  c.title = m.title + (m.unit.empty() ? "" : " (" + m.unit + ")");
  const BootstrapOptions& boot = c.boot;
  const std::string& pct = c.pct;
  const std::string& title = c.title;
  auto& cis = c.cis;
  const std::string direction = m.higher_is_better ? "higher is better" : "lower is better";

  doc.heading(2, title + " — `" + m.key + "`");
  doc.paragraph("Final value: each finished run's last logged `" + m.key + "` (" + direction +
                "). Mean over seeds with a " + pct + "% percentile bootstrap interval (" +
                std::to_string(options.resamples) + " resamples); the best mean per task in " +
                "**bold**. IQM: the mean of the middle 50% of seeds (stats.h).");
  if (task_extras) {
    // the text tasks' columns, explained once
    std::vector<const MetricSpec*> columns;
    for (const auto& spec : options.metrics) {
      if (spec.place != MetricPlace::kTextColumn) continue;
      bool logged = false;
      for (const auto& task : a.tasks)
        logged = logged || (is_text_task(a, task) && task_logs(a, task, spec.key));
      if (logged) columns.push_back(&spec);
    }
    if (!columns.empty()) {
      doc.paragraph(
          "On text tasks (env ids `text/...`) the evaluation return is the **gold reward** of "
          "the completions, the task's own score, which training never sees when it learns from "
          "feedback. Each text task's table adds columns, the mean over seeds of the runs' last "
          "logged value, and a row for the **base model**: the evaluation at env step 0, before "
          "any training, averaged over every finished run of the task (its KL is 0).");
      doc.list(column_legend(columns));
    }
  }

  // overview: tasks × algorithms
  std::vector<Cell> header = {{"task"}};
  for (const auto& algo : a.algorithms) header.push_back({algo});
  std::vector<std::vector<Cell>> rows;
  for (const auto& task : a.tasks) {
    std::vector<Cell> row = {{task}};
    std::optional<double> best;
    for (const auto& algo : a.algorithms) {
      auto finals = finals_of(a, task, algo, m.key);
      if (finals.empty()) continue;
      cis[{task, algo}] = mean_ci(finals, boot);
      const double est = cis[{task, algo}].estimate;
      if (!best || better(est, *best, m.higher_is_better)) best = est;
    }
    for (const auto& algo : a.algorithms) {
      auto it = cis.find({task, algo});
      if (it == cis.end()) {
        row.push_back({"—"});
      } else {
        row.push_back({fmt_interval(it->second), it->second.estimate == *best});
      }
    }
    rows.push_back(row);
  }
  doc.heading(3, "Final " + m.title + " per task: mean [" + pct + "% CI]");
  doc.table(header, rows);

  // per task: the algorithms in detail, and the curves
  for (const auto& task : a.tasks) {
    doc.heading(3, task);
    rows.clear();
    const bool text = task_extras && is_text_task(a, task);
    const std::vector<const MetricSpec*> columns =
        text ? logged_columns(a, task, options.metrics, MetricPlace::kTextColumn)
             : std::vector<const MetricSpec*>{};
    if (!columns.empty()) {
      // the base model: every run's evaluation at env step 0
      auto initials = [&](const std::string& key) {
        std::vector<double> out;
        for (const auto* r : a.finished)
          if (r->task == task)
            if (auto v = initial_value(*r, key)) out.push_back(*v);
        return out;
      };
      std::vector<Cell> row = {
          {"base model (env step 0)"}, {"—"}, mean_cell(initials(m.key)), {"—"}};
      for (const auto* spec : columns) row.push_back(mean_cell(initials(spec->key)));
      row.push_back({"—"});
      rows.push_back(row);
    }
    std::optional<double> best;
    for (const auto& algo : a.algorithms) {
      auto it = cis.find({task, algo});
      if (it != cis.end() && (!best || better(it->second.estimate, *best, m.higher_is_better)))
        best = it->second.estimate;
    }
    for (const auto& algo : a.algorithms) {
      auto finals = finals_of(a, task, algo, m.key);
      auto it = cis.find({task, algo});
      const bool is_best = it != cis.end() && it->second.estimate == *best;
      std::vector<Cell> row = {{algo, is_best},
                               {a.algo_name.at(algo)},
                               {it == cis.end() ? "—" : fmt_interval(it->second), is_best},
                               {finals.empty() ? "—" : fmt(interquartile_mean(finals))}};
      for (const auto* spec : columns)
        row.push_back(mean_cell(finals_of(a, task, algo, spec->key)));
      row.push_back({std::to_string(finals.size())});
      rows.push_back(row);
    }
    header = {{"label"}, {"algorithm"}, {"final mean [" + pct + "% CI]"}, {"IQM"}};
    for (const auto* spec : columns) header.push_back({spec->column});
    header.push_back({"seeds finished"});
    doc.table(header, rows);
    if (m.curves) task_curves(doc, c, task);
    if (text) frontier_figure(doc, c, task);
    if (task_extras) preference_table(doc, c, task);
    if (text) samples_table(doc, c, task);
  }
  if (m.aggregate) aggregate_section(doc, c);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

std::vector<RunRecord> load_runs(const std::string& suite_dir) {
  if (!fs::is_directory(suite_dir))
    throw Error(suite_dir + ": no such results folder (expected results/<suite>/ of `tandem run`)");
  std::vector<RunRecord> runs;
  auto sorted_dirs = [](const fs::path& p) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_directory()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const auto& task : sorted_dirs(suite_dir)) {
    if (task.filename() == "figures") continue;
    for (const auto& algo : sorted_dirs(task)) {
      for (const auto& seed_dir : sorted_dirs(algo)) {
        const std::string name = seed_dir.filename().string();
        if (name.rfind("seed-", 0) != 0 || name.size() == 5 ||
            name.find_first_not_of("0123456789", 5) != std::string::npos)
          continue;
        RunRecord r;
        r.task = task.filename().string();
        r.algorithm = algo.filename().string();
        r.seed = std::stoull(name.substr(5));
        r.dir = seed_dir.string();
        r.finished = fs::exists(seed_dir / "done");
        try {
          if (fs::exists(seed_dir / "config.json"))
            r.config = read_json_file((seed_dir / "config.json").string());
          if (fs::exists(seed_dir / "metrics.jsonl"))
            r.metrics = algorithms::read_metrics((seed_dir / "metrics.jsonl").string());
        } catch (const Error&) {
          // a run folder that cannot be read is reported as unfinished, not fatal
          r.finished = false;
        }
        runs.push_back(std::move(r));
      }
    }
  }
  std::sort(runs.begin(), runs.end(), [](const RunRecord& x, const RunRecord& y) {
    return std::tie(x.task, x.algorithm, x.seed) < std::tie(y.task, y.algorithm, y.seed);
  });
  return runs;
}

ReportOutcome write_report(const std::string& suite_dir, const ReportOptions& options) {
  const std::vector<RunRecord> runs = load_runs(suite_dir);
  ReportOutcome outcome;
  Analysis a;
  std::vector<std::string> unfinished;
  for (const auto& r : runs) {
    if (std::find(a.tasks.begin(), a.tasks.end(), r.task) == a.tasks.end())
      a.tasks.push_back(r.task);
    if (!a.algo_name.count(r.algorithm)) {
      a.algorithms.push_back(r.algorithm);
      a.algo_name[r.algorithm] = "?";
    }
    if (r.config.is_object() && a.algo_name[r.algorithm] == "?")
      a.algo_name[r.algorithm] =
          r.config.value(json::json_pointer("/algorithm/name"), std::string("?"));
    if (r.config.is_object() && !a.env_id.count(r.task))
      a.env_id[r.task] = r.config.value(json::json_pointer("/env/id"), std::string());
    if (r.finished) {
      a.finished.push_back(&r);
    } else {
      unfinished.push_back(r.task + "/" + r.algorithm + "/seed-" + std::to_string(r.seed));
    }
  }
  // the baseline first, the others in name order: the same colour for a label in every figure
  std::sort(a.algorithms.begin(), a.algorithms.end(), [&](const auto& x, const auto& y) {
    return std::make_pair(x != options.baseline, x) < std::make_pair(y != options.baseline, y);
  });
  outcome.runs_finished = static_cast<int64_t>(a.finished.size());
  outcome.runs_unfinished = static_cast<int64_t>(unfinished.size());

  fs::path normal = fs::path(suite_dir).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();  // "results/smoke/"
  const std::string suite = normal.filename().string();
  Document doc;
  doc.heading(1, "Suite " + suite);
  doc.paragraph(std::to_string(a.finished.size()) + " finished runs of " +
                std::to_string(runs.size()) + " (" + std::to_string(a.tasks.size()) + " tasks × " +
                std::to_string(a.algorithms.size()) + " algorithms), read from `" + suite_dir +
                "` on " + utc_now() + " by `tandem report`.");
  if (!unfinished.empty()) {
    doc.paragraph(
        "Unfinished runs (no `done`: interrupted, failed or still running; see their "
        "`log.txt`), left out of every table and figure:");
    for (auto& u : unfinished) u = "`" + u + "`";
    doc.list(unfinished);
  }
  if (runs.empty()) doc.paragraph("There are no run folders here yet.");
  describe_setup(doc, a, runs);

  Plotter plotter(suite_dir, options, outcome);
  std::vector<std::string> absent;
  bool first = true;
  for (const auto& m : options.metrics) {
    if (m.place != MetricPlace::kSection) continue;  // columns show beside the first section
    bool logged = false;
    for (const auto* r : a.finished) logged = logged || final_value(*r, m.key).has_value();
    if (!logged) {
      absent.push_back("`" + m.key + "`");
      continue;
    }
    report_metric(doc, a, m, options, plotter, first);
    first = false;
  }
  if (!absent.empty()) {
    std::string list;
    for (const auto& k : absent) list += (list.empty() ? "" : ", ") + k;
    doc.paragraph("Metrics no finished run logs (skipped): " + list + ".");
  }
  if (!outcome.notes.empty()) {
    doc.heading(2, "Notes");
    doc.list(outcome.notes);
  }

  outcome.markdown_path = (fs::path(suite_dir) / "report.md").string();
  outcome.html_path = (fs::path(suite_dir) / "report.html").string();
  write_file_atomic(outcome.markdown_path, to_markdown(doc));
  write_file_atomic(outcome.html_path, to_html(doc, "Suite " + suite, suite_dir));
  return outcome;
}

}  // namespace tandem::suites
