#include "ember/metrics/report.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "metrics/report_draw.h"

namespace ember::metrics {

using detail::kPalette;
using detail::shorten;
using detail::text_width;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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

}  // namespace

namespace detail {

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

}  // namespace detail

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

}  // namespace ember::metrics
