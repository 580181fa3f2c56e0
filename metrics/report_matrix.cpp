#include "ember/metrics/report.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "metrics/report_draw.h"

namespace ember::metrics {

// ---------------------------------------------------------------- confusion matrix

namespace {

std::vector<std::string> class_labels(const RunReport& r) {
  std::vector<std::string> names;
  for (size_t i = 0; i < r.confusion.size(); ++i)
    names.push_back(r.class_names.empty() ? std::to_string(i) : r.class_names[i]);
  return names;
}

// White through mid blue to dark blue: a share of 0 stays the page's colour.
std::string share_colour(double s) {
  static constexpr double kStops[3][3] = {{247, 251, 255}, {107, 174, 214}, {8, 48, 107}};
  s = std::clamp(s, 0.0, 1.0);
  const int k = s < 0.5 ? 0 : 1;
  const double f = (s - 0.5 * k) * 2;
  int rgb[3];
  for (int i = 0; i < 3; ++i)
    rgb[i] = static_cast<int>(std::lround(kStops[k][i] + (kStops[k + 1][i] - kStops[k][i]) * f));
  return fmt::format("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
}

}  // namespace

namespace detail {

void render_heatmap(std::string& out, const RunReport& r) {
  const std::vector<std::string> names = class_labels(r);
  const size_t n = names.size();
  // A few classes: small enough for the per-class bars to fit beside it on a wide page. Many:
  // labels get smaller and, past what fits, only every k-th is written (all are in tooltips).
  const double cell = std::clamp(std::floor((n <= 12 ? 380.0 : 600.0) / static_cast<double>(n)), 6.0, 48.0);
  const double font = std::clamp(std::floor(cell * 0.8), 8.0, 12.0);
  const size_t label_every = static_cast<size_t>(std::ceil((font + 1) / cell));
  std::vector<std::string> shown;
  double label_w = 0;
  for (const std::string& s : names) {
    shown.push_back(shorten(s, 18));
    label_w = std::max(label_w, text_width(shown.back(), font));
  }
  label_w = std::clamp(label_w + 8, 24.0, 140.0);
  const double grid = cell * static_cast<double>(n);
  const bool rotate = label_w - 8 > cell - 4;
  const double left = 26 + label_w, top = 8;
  const double col_labels_h = rotate ? label_w * 0.72 + 10 : 20;
  const double width = left + grid + 70, height = top + grid + col_labels_h + 30;
  const bool counts_fit = cell >= 22;

  fmt::format_to(std::back_inserter(out),
                 "<figure class=\"chart\" data-chart=\"confusion\" data-kind=\"heatmap\" data-series=\"1\">\n"
                 "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"confusion matrix\" "
                 "font-family=\"system-ui, sans-serif\" font-size=\"12\">\n"
                 "<defs><linearGradient id=\"ember-share-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">",
                 num(width), num(height), num(width), num(height));
  for (int i = 0; i <= 4; ++i)
    fmt::format_to(std::back_inserter(out), "<stop offset=\"{}\" stop-color=\"{}\"/>", i / 4.0, share_colour(i / 4.0));
  out += "</linearGradient></defs>\n";
  for (size_t t = 0; t < n; ++t) {
    int64_t row_total = 0;
    for (int64_t v : r.confusion[t]) row_total += v;
    const double y = top + cell * static_cast<double>(t);
    if (t % label_every == 0)
      fmt::format_to(std::back_inserter(out),
                     "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\" font-size=\"{}\" fill=\"#374151\">{}"
                     "<title>{}</title></text>\n",
                     num(left - 6), num(y + cell / 2), font, esc(shown[t]), esc(names[t]));
    for (size_t p = 0; p < n; ++p) {
      const int64_t v = r.confusion[t][p];
      const double share = row_total > 0 ? static_cast<double>(v) / static_cast<double>(row_total) : 0;
      const double x = left + cell * static_cast<double>(p);
      fmt::format_to(std::back_inserter(out),
                     "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"{}>"
                     "<title>true {}, predicted {}: {} ({:.1f}% of the row)</title></rect>",
                     num(x), num(y), num(cell), num(cell), share_colour(share), cell >= 10 ? " stroke=\"#ffffff\"" : "",
                     esc(names[t]), esc(names[p]), v, share * 100);
      if (counts_fit) {
        const char* ink = share > 0.45 ? "#ffffff" : v == 0 ? "#9ca3af" : "#1f2937";
        fmt::format_to(
            std::back_inserter(out),
            "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"middle\" font-size=\"{}\" fill=\"{}\">{}</text>",
            num(x + cell / 2), num(y + cell / 2), cell >= 34 ? 12 : 10, ink, v);
      }
    }
    out += "\n";
  }
  for (size_t p = 0; p < n; p += label_every) {
    const double x = left + cell * (static_cast<double>(p) + 0.5), y = top + grid + 6;
    if (rotate)
      fmt::format_to(std::back_inserter(out),
                     "<text transform=\"translate({},{}) rotate(-45)\" text-anchor=\"end\" dy=\"0.32em\" "
                     "font-size=\"{}\" fill=\"#374151\">{}<title>{}</title></text>\n",
                     num(x), num(y + 4), font, esc(shown[p]), esc(names[p]));
    else
      fmt::format_to(std::back_inserter(out),
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{}<title>{}</title></text>\n",
                     num(x), num(y + 10), esc(shown[p]), esc(names[p]));
  }
  const double bar_x = left + grid + 16;
  fmt::format_to(
      std::back_inserter(out),
      "<text transform=\"translate(12,{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#111827\">true class</text>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#111827\">predicted class</text>\n"
      "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"{}\" fill=\"url(#ember-share-scale)\" stroke=\"#d1d5db\"/>\n"
      "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" fill=\"#4b5563\">100%</text>"
      "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" fill=\"#4b5563\">0%</text>"
      "</svg></figure>\n",
      num(top + grid / 2), num(left + grid / 2), num(top + grid + col_labels_h + 20), num(bar_x), num(top), num(grid),
      num(bar_x + 19), num(top + 6), num(bar_x + 19), num(top + grid - 6));
}

void render_per_class(std::string& out, const RunReport& r) {
  const std::vector<std::string> names = class_labels(r);
  const size_t n = names.size();
  double label_w = 0;
  for (const std::string& s : names) label_w = std::max(label_w, text_width(shorten(s, 24)));
  label_w = std::clamp(label_w + 8, 24.0, 170.0);
  const double row_h = n > 40 ? 15 : 22, bar_w = 220, top = 6;
  const double width = label_w + 10 + bar_w + 130, height = top + row_h * static_cast<double>(n) + 24;
  const double x0 = label_w + 10;
  fmt::format_to(std::back_inserter(out),
                 "<figure class=\"chart\" data-chart=\"per-class\" data-kind=\"bars\" data-series=\"1\">\n"
                 "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"per-class accuracy\" "
                 "font-family=\"system-ui, sans-serif\" font-size=\"12\">\n",
                 num(width), num(height), num(width), num(height));
  for (size_t c = 0; c < n; ++c) {
    int64_t total = 0;
    for (int64_t v : r.confusion[c]) total += v;
    const int64_t right = r.confusion[c][c];
    const double y = top + row_h * static_cast<double>(c);
    fmt::format_to(
        std::back_inserter(out),
        "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\" fill=\"#374151\">{}<title>{}</title></text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#eef2f7\"/>",
        num(label_w), num(y + row_h / 2), esc(shorten(names[c], 24)), esc(names[c]), num(x0), num(y + 3), num(bar_w),
        num(row_h - 6));
    if (total == 0) {
      fmt::format_to(std::back_inserter(out),
                     "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" fill=\"#9ca3af\">no samples</text>\n", num(x0 + bar_w + 8),
                     num(y + row_h / 2));
      continue;
    }
    const double acc = static_cast<double>(right) / static_cast<double>(total);
    fmt::format_to(std::back_inserter(out),
                   "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>"
                   "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" fill=\"#374151\">{:.1f}% ({}/{})</text>\n",
                   num(x0), num(y + 3), num(acc * bar_w), num(row_h - 6), kPalette[0], num(x0 + bar_w + 8),
                   num(y + row_h / 2), acc * 100, right, total);
  }
  const double axis_y = top + row_h * static_cast<double>(n) + 2;
  for (int k = 0; k <= 4; ++k) {
    const double x = x0 + bar_w * k / 4.0;
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#9ca3af\"/>"
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#4b5563\">{}%</text>",
                   num(x), num(axis_y), num(x), num(axis_y + 4), num(x), num(axis_y + 17), k * 25);
  }
  out += "\n</svg></figure>\n";
}

}  // namespace detail
}  // namespace ember::metrics
