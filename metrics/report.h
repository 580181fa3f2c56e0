#pragma once
// A training run as one self-contained HTML page: headline figures, line charts, the
// confusion matrix as a heatmap, per-class accuracy, the worst-classified examples and the
// run's configuration, machine and timings.
//
// The page needs nothing but itself: no network, no fonts, no JavaScript. Charts are inline
// SVG drawn here rather than by a charting library, because the charting libraries Debian
// packages draw with JavaScript: the page would have to inline a few hundred kilobytes of
// script and would then show nothing where scripts do not run (mail clients, viewers that
// block them, a printout). SVG renders anywhere and the drawing code is small. Images are
// PNG in data: URIs. A Content-Security-Policy in the page forbids every load but data:
// images, so an accidental external reference fails visibly instead of calling out.
//
// Every string from the caller is escaped (and invalid UTF-8 replaced), so class names,
// captions and configuration values can hold anything.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ember::metrics {

// One line of a chart. x and y have the same length; a NaN or infinite y (or x) is a gap in
// the line, a point with gaps on both sides is drawn as a dot.
struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct Chart {
  std::string id;  // unique in the report, [a-z0-9-]+; the chart's element gets data-chart="<id>"
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_y = false;             // non-positive y values are gaps on a log axis
  std::vector<double> x_markers;  // vertical dashed lines, e.g. where a run was resumed
};

struct ReportImage {
  std::vector<uint8_t> png;  // a PNG file's bytes
  std::string caption;       // e.g. "true: cat\npredicted: dog (0.93)"; newlines are kept
};

struct RunReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> summary;  // headline figures: (label, value)
  std::vector<Chart> charts;
  std::vector<std::string> class_names;         // empty: classes are shown as 0, 1, ...
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted] counts; empty: no section
  std::vector<ReportImage> worst;               // empty: no section
  std::vector<std::pair<std::string, std::string>> config, machine, timings;
  std::vector<std::string> notes;  // free text lines, e.g. "resumed at epoch 3 (step 1200)"
};

// The whole page. Element hooks for tests and tools: each chart's figure has
// data-chart="<id>" and data-kind="line"; the heatmap data-chart="confusion" (data-kind
// "heatmap"), per-class accuracy data-chart="per-class" (data-kind "bars"); the sections
// data-section="summary", "charts", "confusion", "per-class", "worst", "config", "machine",
// "timings", "notes" (only those with content); a line chart's plotting area is the rect
// with data-plot. A series longer than kMaxChartPoints is
// thinned by thin_series. Throws ValueError for a chart id that is malformed, repeated or one
// of the reserved "confusion"/"per-class", series whose x and y lengths differ, a confusion
// matrix that is not square, has negative counts or does not match class_names, or an image
// that is not a PNG.
std::string render_html(const RunReport& report);

// Writes render_html(report) to <path>.tmp-<pid>, then renames it over path, so a reader (or
// a crash) never sees half a report. Throws IOError naming the path when the directory cannot
// be written; the temporary file is removed then.
void write_report(const std::filesystem::path& path, const RunReport& report);

// The most points a chart draws per series; more would make the page large and slow to draw
// without showing more at a few hundred pixels' width.
inline constexpr size_t kMaxChartPoints = 2000;

// At most max_points points of s (max_points >= 4): the points are cut into consecutive
// buckets and each bucket keeps its lowest and highest finite y, in their order, so spikes
// survive; a bucket that held a gap (non-finite x or y) ends with a NaN point, so the gap
// does too. A series that is short enough comes back unchanged.
Series thin_series(const Series& s, size_t max_points = kMaxChartPoints);

// Axis ticks at a 1-2-5 step (1, 2 or 5 times a power of ten) giving about `target` intervals
// over [lo, hi]: the first tick is <= lo and the last >= hi. lo == hi is widened around the
// value; non-finite bounds give no ticks.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace ember::metrics
