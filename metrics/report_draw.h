#pragma once
// Internal to libember: what the HTML run report's sources share. report.cpp writes the page
// and defines the text helpers; report_line_chart.cpp and report_matrix.cpp draw its SVG.
// Not installed (cmake/EmberInstall.cmake leaves it out) and not API: users include
// <ember/metrics/report.h>.
#include <cstddef>
#include <string>
#include <string_view>

#include "ember/metrics/report.h"

namespace ember::metrics::detail {

// Ten hues far enough apart to tell lines apart; none is grey, which the axes use.
inline constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                           "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#393b79"};

// ---------------------------------------------------------------- text and numbers (report.cpp)

// Safe as element text and as a quoted attribute value; control characters (which XML, and
// so SVG, forbids) and invalid UTF-8 become U+FFFD.
std::string esc(std::string_view s);

// Labels drawn in SVG cannot wrap, so long ones are cut (the full text stays in a tooltip).
std::string shorten(std::string_view s, size_t max_cp);

// Width of a label at the 12 px font, for layout without a text engine; errs on the wide side.
double text_width(std::string_view s, double px = 12);

// Coordinates in the SVG, one decimal: enough at screen resolution, short in the page. Data
// near the limits of double (a span of 1e308 overflows) must still give valid SVG.
std::string num(double v);

// ---------------------------------------------------------------- charts

// Each appends one <figure> holding an SVG to out. The confusion views take a report that
// render_html has checked: a square matrix of non-negative counts, one row per class name
// when there are names.
void render_line_chart(std::string& out, const Chart& c);    // report_line_chart.cpp
void render_heatmap(std::string& out, const RunReport& r);   // report_matrix.cpp
void render_per_class(std::string& out, const RunReport& r);  // report_matrix.cpp

}  // namespace ember::metrics::detail
