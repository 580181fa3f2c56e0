#include "ember/metrics/report.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "ember/core/config.h"
#include "ember/core/error.h"

namespace ember::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Ten hues far enough apart to tell lines apart; none is grey, which the axes use.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"};

// ---------------------------------------------------------------- text

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

// Safe as element text and as a quoted attribute value; control characters (which XML, and
// so SVG, forbids) and invalid UTF-8 become U+FFFD.
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

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Labels drawn in SVG cannot wrap, so long ones are cut (the full text stays in a tooltip).
std::string shorten(std::string_view s, size_t max_cp) {
  if (code_points(s) <= max_cp) return std::string(s);
  size_t cp = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((s[i] & 0xC0) != 0x80 && cp++ == max_cp - 1) break;
  }
  return std::string(s.substr(0, i)) + "\xE2\x80\xA6";  // …
}

// Width of a label at the 12 px font, for layout without a text engine; errs on the wide side.
double text_width(std::string_view s, double px = 12) { return static_cast<double>(code_points(s)) * px * 0.6; }

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

// ---------------------------------------------------------------- numbers and ticks

double nice_step(double span, int target) {
  const double raw = span / std::max(target, 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double n = raw / mag;
  return (n < 1.5 ? 1.0 : n < 3 ? 2.0 : n < 7 ? 5.0 : 10.0) * mag;
}

// "1e-05" -> "1e-5", "1e+06" -> "1e6".
std::string tidy_exponent(std::string s) {
  const size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e), exponent = s.substr(e + 1);
  const bool negative = !exponent.empty() && exponent[0] == '-';
  if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.erase(0, 1);
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

// Labels for linear ticks `step` apart: as many decimals as the step needs, thousands as k/M/G.
std::vector<std::string> linear_labels(const std::vector<double>& ticks, double step) {
  double top = 0;
  for (double t : ticks) top = std::max(top, std::fabs(t));
  double scale = 1;
  const char* suffix = "";
  if (top >= 1e12 || (top > 0 && step < 1e-6)) {
    std::vector<std::string> out;
    for (double t : ticks) out.push_back(t == 0 ? "0" : tidy_exponent(fmt::format("{:.3g}", t)));
    return out;
  }
  if (top >= 1e9)
    scale = 1e9, suffix = "G";
  else if (top >= 1e6)
    scale = 1e6, suffix = "M";
  else if (top >= 1e4)
    scale = 1e3, suffix = "k";
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step / scale) + 1e-9)));
  std::vector<std::string> out;
  for (double t : ticks) out.push_back(t == 0 ? "0" : fmt::format("{:.{}f}{}", t / scale, decimals, suffix));
  return out;
}

// Ticks of a log axis as exponents (log10 of the values) inside [lo, hi]: powers of ten when
// the axis spans a few decades, 1-2-5 multiples of them over less, plain linear ticks over
// a small fraction of a decade.
std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> t;
  const double span = hi - lo;
  if (span >= 2.5) {
    const double step = std::max(1.0, nice_step(span, 5));
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9; ++k) t.push_back(k * step);
    return t;
  }
  for (double e = std::floor(lo); e <= std::ceil(hi); ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = e + std::log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) t.push_back(v);
    }
  if (t.size() >= 2) return t;
  t.clear();
  for (double v : nice_ticks(std::pow(10.0, lo), std::pow(10.0, hi), 4))
    if (v > 0 && std::log10(v) >= lo - 1e-9 && std::log10(v) <= hi + 1e-9) t.push_back(std::log10(v));
  return t;
}

std::string log_label(double exponent) {
  const double v = std::pow(10.0, exponent);
  const double rounded = std::round(exponent);
  if (std::fabs(exponent - rounded) < 1e-9 && (rounded < -3 || rounded > 4))
    return fmt::format("1e{}", static_cast<int>(rounded));
  return tidy_exponent(fmt::format("{:.3g}", v));
}

// Coordinates in the SVG, one decimal: enough at screen resolution, short in the page. Data
// near the limits of double (a span of 1e308 overflows) must still give valid SVG.
std::string num(double v) { return fmt::format("{:.1f}", std::isfinite(v) && std::fabs(v) >= 0.05 ? v : 0.0); }

// ---------------------------------------------------------------- line charts

constexpr double kChartW = 560, kPlotH = 250;
constexpr double kLeft = 62, kRight = 20, kTop = 14, kBottom = 48;
constexpr double kPlotW = kChartW - kLeft - kRight;

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// A degenerate range (one value) gets room around it, so a projection never divides by zero.
void widen(Range& r, double pad_if_zero_value) {
  if (r.hi > r.lo) return;
  const double pad = r.lo == 0 ? pad_if_zero_value : std::fabs(r.lo) * 0.1;
  r.lo -= pad;
  r.hi += pad;
}

struct Axis {
  double lo, hi;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

Axis x_axis(Range r) {
  widen(r, 1);
  Axis a{r.lo, r.hi, {}, {}};
  // The x axis is tight to the data (steps, epochs): ticks inside it only.
  const std::vector<double> all = nice_ticks(r.lo, r.hi, 6);
  const double tolerance = (r.hi - r.lo) * 1e-9;
  for (double t : all)
    if (t >= r.lo - tolerance && t <= r.hi + tolerance) a.ticks.push_back(t);
  a.labels = linear_labels(a.ticks, all.size() >= 2 ? all[1] - all[0] : 1);
  return a;
}

Axis y_axis(Range r, bool log_y) {
  if (log_y) {
    // Exponents: a one-value range gets half a decade each side.
    const double pad = r.hi > r.lo ? (r.hi - r.lo) * 0.04 : 0.5;
    Axis a{r.lo - pad, r.hi + pad, log_ticks(r.lo - pad, r.hi + pad), {}};
    for (double t : a.ticks) a.labels.push_back(log_label(t));
    return a;
  }
  widen(r, 1);
  // The y axis is loose: it ends on ticks, so the top and bottom are labelled.
  Axis a{r.lo, r.hi, nice_ticks(r.lo, r.hi, 5), {}};
  if (!a.ticks.empty()) a.lo = std::min(a.lo, a.ticks.front()), a.hi = std::max(a.hi, a.ticks.back());
  a.labels = linear_labels(a.ticks, a.ticks.size() >= 2 ? a.ticks[1] - a.ticks[0] : 1);
  return a;
}

struct LegendEntry {
  std::string label;
  const char* colour;
  double x, y;
};

// Entries left to right, wrapping to another row when the plot's width is used up.
std::vector<LegendEntry> lay_out_legend(const std::vector<std::string>& labels, double top, double* height) {
  std::vector<LegendEntry> out;
  double x = kLeft, y = top;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string shown = shorten(labels[i], 40);
    const double w = 30 + text_width(shown);
    if (x > kLeft && x + w > kLeft + kPlotW) x = kLeft, y += 18;
    out.push_back({shown, kPalette[i % std::size(kPalette)], x, y});
    x += w + 14;
  }
  *height = labels.empty() ? 0 : y - top + 18;
  return out;
}

void render_line_chart(std::string& out, const Chart& c) {
  // Points in axis space (log10 y on a log axis), thinned; a gap is a NaN.
  std::vector<Series> lines;
  Range xr, yr;
  for (const Series& s : c.series) {
    // Into axis space before thinning, so that a bucket's low point is one the axis can show;
    // the ranges come from every point, so the axes do not depend on where buckets fall.
    Series t = s;
    for (size_t i = 0; i < t.y.size(); ++i) {
      if (!std::isfinite(t.x[i])) t.y[i] = kNaN;
      if (c.log_y) t.y[i] = t.y[i] > 0 ? std::log10(t.y[i]) : kNaN;
      if (std::isfinite(t.y[i])) xr.add(t.x[i]), yr.add(t.y[i]);
    }
    lines.push_back(thin_series(t));
  }
  const bool has_data = !yr.empty();
  if (has_data)
    for (double m : c.x_markers) xr.add(m);

  std::vector<std::string> names;
  size_t drawn = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool any = std::any_of(lines[i].y.begin(), lines[i].y.end(), [](double v) { return std::isfinite(v); });
    drawn += any;
    const std::string base = lines[i].name.empty() ? fmt::format("series {}", i + 1) : lines[i].name;
    names.push_back(any ? base : base + " (no data)");
  }
  double legend_h = 0;
  const std::vector<LegendEntry> legend = lay_out_legend(names, kTop + kPlotH + kBottom, &legend_h);
  const double height = kTop + kPlotH + kBottom + legend_h + 4;

  fmt::format_to(std::back_inserter(out),
                 "<figure class=\"chart\" data-chart=\"{}\" data-kind=\"line\" data-series=\"{}\">"
                 "<figcaption>{}</figcaption>\n"
                 "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" "
                 "font-family=\"system-ui, sans-serif\" font-size=\"12\">\n",
                 c.id, drawn, esc(c.title), num(kChartW), num(height), num(kChartW), num(height), esc(c.title));
  fmt::format_to(std::back_inserter(out),
                 "<rect data-plot=\"\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" "
                 "stroke=\"#d1d5db\"/>\n",
                 num(kLeft), num(kTop), num(kPlotW), num(kPlotH));
  if (!has_data) {
    fmt::format_to(std::back_inserter(out),
                   "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#6b7280\" font-size=\"14\">no data</text>\n",
                   num(kLeft + kPlotW / 2), num(kTop + kPlotH / 2));
  } else {
    const Axis xa = x_axis(xr), ya = y_axis(yr, c.log_y);
    auto px = [&](double x) { return kLeft + (x - xa.lo) / (xa.hi - xa.lo) * kPlotW; };
    auto py = [&](double y) { return kTop + kPlotH - (y - ya.lo) / (ya.hi - ya.lo) * kPlotH; };
    for (size_t i = 0; i < ya.ticks.size(); ++i) {
      const std::string y = num(py(ya.ticks[i]));
      fmt::format_to(std::back_inserter(out),
                     "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e5e7eb\"/>"
                     "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" text-anchor=\"end\" fill=\"#4b5563\">{}</text>\n",
                     num(kLeft), y, num(kLeft + kPlotW), y, num(kLeft - 6), y, esc(ya.labels[i]));
    }
    for (size_t i = 0; i < xa.ticks.size(); ++i) {
      const std::string x = num(px(xa.ticks[i]));
      fmt::format_to(std::back_inserter(out),
                     "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#f0f1f3\"/>"
                     "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#6b7280\"/>"
                     "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#4b5563\">{}</text>\n",
                     x, num(kTop), x, num(kTop + kPlotH), x, num(kTop + kPlotH), x, num(kTop + kPlotH + 5), x,
                     num(kTop + kPlotH + 18), esc(xa.labels[i]));
    }
    for (double m : c.x_markers) {
      if (!std::isfinite(m)) continue;
      const std::string x = num(px(m));
      fmt::format_to(std::back_inserter(out),
                     "<g><title>marker at {}</title><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#6b7280\" "
                     "stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/></g>\n",
                     esc(fmt::format("{:g}", m)), x, num(kTop), x, num(kTop + kPlotH));
    }
    for (size_t s = 0; s < lines.size(); ++s) {
      const Series& l = lines[s];
      const char* colour = kPalette[s % std::size(kPalette)];
      std::string path;
      std::vector<std::pair<double, double>> dots;
      size_t run = 0, finite = 0;
      double last_x = 0, last_y = 0;
      for (size_t i = 0; i < l.y.size(); ++i) {
        if (!std::isfinite(l.y[i])) {
          if (run == 1) dots.emplace_back(last_x, last_y);
          run = 0;
          continue;
        }
        last_x = px(l.x[i]), last_y = py(l.y[i]);
        fmt::format_to(std::back_inserter(path), "{}{},{}", run == 0 ? "M" : "L", num(last_x), num(last_y));
        ++run, ++finite;
      }
      if (run == 1) dots.emplace_back(last_x, last_y);
      if (!path.empty())
        fmt::format_to(std::back_inserter(out),
                       "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" stroke-linejoin=\"round\" "
                       "stroke-linecap=\"round\"/>\n",
                       path, colour);
      // Few points (one per epoch) read better with each one marked.
      if (finite <= 30) {
        dots.clear();
        for (size_t i = 0; i < l.y.size(); ++i)
          if (std::isfinite(l.y[i])) dots.emplace_back(px(l.x[i]), py(l.y[i]));
      }
      for (const auto& [x, y] : dots)
        fmt::format_to(std::back_inserter(out), "<circle cx=\"{}\" cy=\"{}\" r=\"2.8\" fill=\"{}\"/>", num(x), num(y),
                       colour);
      if (!dots.empty()) out += "\n";
    }
    out += "<line x1=\"" + num(kLeft) + "\" y1=\"" + num(kTop + kPlotH) + "\" x2=\"" + num(kLeft + kPlotW) +
           "\" y2=\"" + num(kTop + kPlotH) + "\" stroke=\"#6b7280\"/>\n";
  }
  fmt::format_to(std::back_inserter(out),
                 "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{}</text>\n"
                 "<text transform=\"translate(14,{}) rotate(-90)\" text-anchor=\"middle\" fill=\"#374151\">{}</text>\n",
                 num(kLeft + kPlotW / 2), num(kTop + kPlotH + 38), esc(c.x_label), num(kTop + kPlotH / 2),
                 esc(c.y_label + (c.log_y && !c.y_label.empty() ? " (log)" : "")));
  for (const LegendEntry& e : legend)
    fmt::format_to(std::back_inserter(out),
                   "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"/>"
                   "<text x=\"{}\" y=\"{}\" dy=\"0.32em\" fill=\"#374151\">{}</text>\n",
                   num(e.x), num(e.y + 6), num(e.x + 22), num(e.y + 6), e.colour, num(e.x + 28), num(e.y + 6),
                   esc(e.label));
  out += "</svg></figure>\n";
}

// ---------------------------------------------------------------- confusion matrix

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

// ---------------------------------------------------------------- the page

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

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  Range r{lo, hi};
  widen(r, 1);
  const double step = nice_step(r.hi - r.lo, target);
  if (!std::isfinite(step) || step <= 0) return {r.lo, r.hi};
  std::vector<double> ticks;
  const double first = std::floor(r.lo / step + 1e-9), last = std::ceil(r.hi / step - 1e-9);
  if (!(last - first >= 1 && last - first <= 1000)) return {r.lo, r.hi};
  for (int i = 0; i <= static_cast<int>(last - first); ++i) {
    const double v = (first + i) * step;
    ticks.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  // A span near the values' own precision (1e15 + 0.125) has no room for ticks between them.
  for (size_t i = 1; i < ticks.size(); ++i)
    if (!(ticks[i] > ticks[i - 1])) return {r.lo, r.hi};
  return ticks;
}

Series thin_series(const Series& s, size_t max_points) {
  const size_t n = std::min(s.x.size(), s.y.size());
  max_points = std::max<size_t>(max_points, 4);
  if (n <= max_points) return s;
  // Up to three points per bucket: the low, the high and a gap.
  const size_t buckets = max_points / 3;
  Series out{s.name, {}, {}};
  out.x.reserve(max_points);
  out.y.reserve(max_points);
  for (size_t b = 0; b < buckets; ++b) {
    const size_t begin = b * n / buckets, end = (b + 1) * n / buckets;
    size_t lo = end, hi = end;
    bool gap = false;
    for (size_t i = begin; i < end; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        gap = true;
        continue;
      }
      if (lo == end || s.y[i] < s.y[lo]) lo = i;
      if (hi == end || s.y[i] > s.y[hi]) hi = i;
    }
    if (lo != end) {
      const size_t first = std::min(lo, hi), second = std::max(lo, hi);
      out.x.push_back(s.x[first]), out.y.push_back(s.y[first]);
      if (second != first) out.x.push_back(s.x[second]), out.y.push_back(s.y[second]);
    }
    if (gap) out.x.push_back(kNaN), out.y.push_back(kNaN);
  }
  return out;
}

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
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp-{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EMBER_CHECK(fd >= 0, IOError, "write_report: cannot write {}: creating {} failed: {}", path.string(), tmp.string(),
              std::strerror(errno));
  try {
    const char* p = html.data();
    size_t left = html.size();
    while (left > 0) {
      const ssize_t put = ::write(fd, p, left);
      if (put < 0 && errno == EINTR) continue;
      EMBER_CHECK(put > 0, IOError, "write_report: writing {} failed: {}", tmp.string(), std::strerror(errno));
      p += put;
      left -= static_cast<size_t>(put);
    }
    // On disk before the rename, so a crash cannot leave an empty file under the final name.
    EMBER_CHECK(::fsync(fd) == 0 || errno == EINVAL, IOError, "write_report: syncing {} failed: {}", tmp.string(),
                std::strerror(errno));
    const int closing = fd;
    fd = -1;
    EMBER_CHECK(::close(closing) == 0, IOError, "write_report: closing {} failed: {}", tmp.string(),
                std::strerror(errno));
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    EMBER_CHECK(!ec, IOError, "write_report: cannot replace {}: {}", path.string(), ec.message());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

}  // namespace ember::metrics
