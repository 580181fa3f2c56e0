#include "ember/metrics/report.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "ember/core/config.h"
#include "ember/core/error.h"
#include "ember/data/file_util.h"
#include "metrics/report_draw.h"

namespace ember::metrics {

// ---------------------------------------------------------------- text

namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i], 0 when it is not one (overlong
// forms, surrogates and code points past U+10FFFF included).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size() || at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if ((at(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

// Shared with the charts through report_draw.h.
namespace detail {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
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
        case '\'':
          out += "&#39;";
          break;
        default:
          if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F)
            out += kReplacement;
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string shorten(std::string_view s, size_t max_cp) {
  if (code_points(s) <= max_cp) return std::string(s);
  size_t cp = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && cp++ == max_cp - 1) break;
  }
  return std::string(s.substr(0, i)) + "\xE2\x80\xA6";  // …
}

double text_width(std::string_view s, double px) { return static_cast<double>(code_points(s)) * px * 0.6; }

std::string num(double v) { return fmt::format("{:.1f}", std::isfinite(v) && std::fabs(v) >= 0.05 ? v : 0.0); }

}  // namespace detail

// ---------------------------------------------------------------- the page

using detail::esc;
using detail::render_heatmap;
using detail::render_line_chart;
using detail::render_per_class;

namespace {

std::string base64(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b = uint32_t{bytes[i]} << 16 | (i + 1 < bytes.size() ? uint32_t{bytes[i + 1]} << 8 : 0) |
                       (i + 2 < bytes.size() ? uint32_t{bytes[i + 2]} : 0);
    out += kDigits[b >> 18 & 63];
    out += kDigits[b >> 12 & 63];
    out += i + 1 < bytes.size() ? kDigits[b >> 6 & 63] : '=';
    out += i + 2 < bytes.size() ? kDigits[b & 63] : '=';
  }
  return out;
}

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { margin: 0; background: #f3f4f6; color: #1f2937;
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 32px; }
h1 { font-size: 24px; margin: 4px 0 16px; }
h2 { font-size: 16px; margin: 0 0 12px; }
section { background: #ffffff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px 20px; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card .value { font-size: 22px; font-weight: 600; overflow-wrap: anywhere; }
.card .label { color: #6b7280; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px 24px; }
figure { margin: 0; }
figure.chart figcaption { font-weight: 600; margin: 0 0 4px; }
svg { display: block; max-width: 100%; height: auto; }
.matrix { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.examples { display: grid; grid-template-columns: repeat(auto-fill, minmax(132px, 1fr)); gap: 14px; }
.example img { display: block; width: 112px; height: 112px; object-fit: contain; image-rendering: pixelated;
               background: #111827; border-radius: 4px; }
.example figcaption { font-size: 12px; margin-top: 4px; white-space: pre-line; overflow-wrap: anywhere; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 0 16px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: 500; color: #4b5563; padding: 3px 16px 3px 0; vertical-align: top; width: 40%; }
td { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; padding: 3px 0; overflow-wrap: anywhere; }
tr + tr > * { border-top: 1px solid #f0f1f3; }
ul { margin: 0; padding-left: 20px; }
.note { color: #6b7280; font-size: 12px; margin: -6px 0 10px; }
footer { color: #9ca3af; font-size: 12px; }
)";

void render_table(std::string& out, const char* section, const char* heading,
                  const std::vector<std::pair<std::string, std::string>>& rows) {
  if (rows.empty()) return;
  fmt::format_to(std::back_inserter(out), "<section data-section=\"{}\"><h2>{}</h2><table>\n", section, heading);
  for (const auto& [k, v] : rows)
    fmt::format_to(std::back_inserter(out), "<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v));
  out += "</table></section>\n";
}

void check_report(const RunReport& r) {
  std::set<std::string> ids;
  for (const Chart& c : r.charts) {
    EMBER_CHECK(!c.id.empty() && std::all_of(c.id.begin(), c.id.end(),
                                             [](char ch) {
                                               return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
                                             }),
                ValueError, "render_html: chart id '{}' (\"{}\") must be one or more of a-z, 0-9 and '-'", esc(c.id),
                esc(c.title));
    EMBER_CHECK(c.id != "confusion" && c.id != "per-class", ValueError,
                "render_html: chart id '{}' is reserved for the confusion matrix sections", c.id);
    EMBER_CHECK(ids.insert(c.id).second, ValueError, "render_html: chart id '{}' is used twice", c.id);
    for (const Series& s : c.series)
      EMBER_CHECK(s.x.size() == s.y.size(), ValueError,
                  "render_html: chart '{}', series '{}' has {} x values but {} y values", c.id, esc(s.name), s.x.size(),
                  s.y.size());
  }
  const size_t n = r.confusion.size();
  EMBER_CHECK(r.class_names.empty() || n == 0 || r.class_names.size() == n, ValueError,
              "render_html: the confusion matrix has {} rows but there are {} class names", n, r.class_names.size());
  for (size_t t = 0; t < n; ++t) {
    EMBER_CHECK(r.confusion[t].size() == n, ValueError,
                "render_html: the confusion matrix must be square: row {} has {} columns, expected {}", t,
                r.confusion[t].size(), n);
    for (size_t p = 0; p < n; ++p)
      EMBER_CHECK(r.confusion[t][p] >= 0, ValueError, "render_html: confusion matrix count [{}][{}] is negative ({})",
                  t, p, r.confusion[t][p]);
  }
  static constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  for (size_t i = 0; i < r.worst.size(); ++i)
    EMBER_CHECK(r.worst[i].png.size() > 8 && std::equal(kPngSignature, kPngSignature + 8, r.worst[i].png.begin()),
                ValueError, "render_html: worst example {} (\"{}\") is not a PNG file ({} bytes)", i,
                esc(r.worst[i].caption), r.worst[i].png.size());
}

}  // namespace

std::string render_html(const RunReport& r) {
  check_report(r);
  const std::string title = r.title.empty() ? "Training report" : r.title;
  std::string out;
  // No script, no loads but data: images: an accidental external reference shows up as a
  // blocked load, never as a request leaving the machine.
  fmt::format_to(std::back_inserter(out),
                 "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                 "style-src 'unsafe-inline'\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>{}</title>\n<style>{}</style></head>\n<body><main>\n<h1>{}</h1>\n",
                 esc(title), kStyle, esc(title));
  if (!r.summary.empty()) {
    out += "<section data-section=\"summary\"><div class=\"cards\">\n";
    for (const auto& [label, value] : r.summary)
      fmt::format_to(std::back_inserter(out),
                     "<div class=\"card\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>\n",
                     esc(value), esc(label));
    out += "</div></section>\n";
  }
  if (!r.charts.empty()) {
    out += "<section data-section=\"charts\"><h2>Training curves</h2><div class=\"charts\">\n";
    for (const Chart& c : r.charts) render_line_chart(out, c);
    out += "</div></section>\n";
  }
  if (!r.confusion.empty()) {
    out +=
        "<div class=\"matrix\">\n<section data-section=\"confusion\"><h2>Confusion matrix</h2>\n"
        "<p class=\"note\">Rows: true class; columns: predicted class; colour: share of the row.</p>\n";
    render_heatmap(out, r);
    out +=
        "</section>\n<section data-section=\"per-class\"><h2>Per-class accuracy</h2>\n"
        "<p class=\"note\">Correct predictions of each true class (recall).</p>\n";
    render_per_class(out, r);
    out += "</section>\n</div>\n";
  }
  if (!r.worst.empty()) {
    out += "<section data-section=\"worst\"><h2>Worst-classified examples</h2><div class=\"examples\">\n";
    for (const ReportImage& im : r.worst)
      fmt::format_to(std::back_inserter(out),
                     "<figure class=\"example\"><img src=\"data:image/png;base64,{}\" alt=\"{}\"><figcaption>{}"
                     "</figcaption></figure>\n",
                     base64(im.png), esc(im.caption), esc(im.caption));
    out += "</div></section>\n";
  }
  if (!r.config.empty() || !r.machine.empty() || !r.timings.empty()) {
    out += "<div class=\"tables\">\n";
    render_table(out, "config", "Configuration", r.config);
    render_table(out, "machine", "Machine", r.machine);
    render_table(out, "timings", "Timings", r.timings);
    out += "</div>\n";
  }
  if (!r.notes.empty()) {
    out += "<section data-section=\"notes\"><h2>Notes</h2><ul>\n";
    for (const std::string& note : r.notes) fmt::format_to(std::back_inserter(out), "<li>{}</li>\n", esc(note));
    out += "</ul></section>\n";
  }
  fmt::format_to(std::back_inserter(out), "<footer>Written by ember {}.</footer>\n</main></body></html>\n",
                 EMBER_VERSION);
  return out;
}

void write_report(const std::filesystem::path& path, const RunReport& report) {
  const std::string html = render_html(report);  // a bad report fails before the disk is touched
  data::write_file_atomically(path, html, "write_report");
}

}  // namespace ember::metrics
