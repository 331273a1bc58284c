#include "suites/report/document.h"

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::suites::report {
namespace fs = std::filesystem;

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace tandem::suites::report
