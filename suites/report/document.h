// The report as a document: headings, paragraphs, lists, tables and images, built once and
// written both as Markdown (report.md) and as one self-contained HTML page (report.html).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tandem::suites::report {

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

std::string to_markdown(const Document& doc);
// Images (paths relative to suite_dir) are inlined as base64 data, so the page is one file.
std::string to_html(const Document& doc, const std::string& title, const std::string& suite_dir);

}  // namespace tandem::suites::report
