// The HTML run report: every caller string escaped, 1-2-5 ticks, charts that stay well-formed
// for degenerate data (nothing, one point, all equal, gaps, log of non-positive values, 100k
// points), a page that loads nothing, and a write that is all or nothing. Rendering in a real
// browser is tests/report/.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ember/core/error.h>
#include <ember/core/ops/factory.h>
#include <ember/data/image_io.h>
#include <ember/metrics/report.h>

namespace ember::metrics {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

// The part of the page that belongs to one chart's figure.
std::string figure(const std::string& page, const std::string& id) {
  const size_t begin = page.find("data-chart=\"" + id + "\"");
  if (begin == std::string::npos) return {};
  return page.substr(begin, page.find("</figure>", begin) - begin);
}

// Empty when every tag is closed in order (void HTML elements and "/>" need no closing
// tag); otherwise what went wrong. Attribute values never hold '<' or '>' once escaped, so
// scanning from '<' to '>' finds the tags.
std::string unbalanced(const std::string& page) {
  static const std::vector<std::string> kVoid = {"meta", "img", "br", "hr", "link", "input", "!DOCTYPE"};
  std::vector<std::string> open;
  for (size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1)) {
    const size_t end = page.find('>', at);
    if (end == std::string::npos) return "a tag is never closed by '>'";
    const std::string tag = page.substr(at + 1, end - at - 1);
    const bool closing = !tag.empty() && tag[0] == '/';
    const std::string name = tag.substr(closing, tag.find_first_of(" \n/", closing) - closing);
    if (name.empty()) return "an empty tag name at " + std::to_string(at);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes " + (open.empty() ? std::string("nothing") : "<" + open.back() + ">");
      open.pop_back();
    } else if (tag.back() != '/' && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> is never closed";
}

std::vector<uint8_t> tiny_png() { return data::encode_png(from_vector<uint8_t>({0, 255, 128, 64}, {1, 2, 2})); }

RunReport full_report() {
  RunReport r;
  r.title = "run";
  r.summary = {{"test accuracy", "91.2%"}};
  Chart loss{"loss", "Loss", "step", "loss", {}, true, {50}};
  Series train{"train", {}, {}};
  for (int i = 0; i < 100; ++i) train.x.push_back(i), train.y.push_back(2.0 / (1 + i));
  loss.series = {train, Series{"val", {10, 50, 90}, {1.0, 0.4, 0.2}}};
  r.charts = {loss};
  r.class_names = {"cat", "dog", "bird"};
  r.confusion = {{8, 1, 1}, {0, 10, 0}, {2, 2, 6}};
  r.worst = {{tiny_png(), "true: cat\npredicted: dog"}};
  r.config = {{"lr", "0.1"}};
  r.machine = {{"cpu", "2 cores"}};
  r.timings = {{"epoch", "1.5 s"}};
  r.notes = {"resumed at epoch 3 (step 1200)"};
  return r;
}

TEST(Report, EveryUserStringIsEscaped) {
  const std::string evil = "<script>alert('x')</script>&\"";
  RunReport r = full_report();
  r.title = evil;
  r.summary.push_back({evil, evil});
  r.charts[0].title = r.charts[0].x_label = r.charts[0].y_label = evil;
  r.charts[0].series[0].name = evil;
  r.class_names[1] = evil;
  r.worst[0].caption = evil;
  r.config.push_back({evil, evil});
  r.machine.push_back({"host", evil});
  r.timings.push_back({evil, "1 s"});
  r.notes.push_back(evil);
  const std::string page = render_html(r);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("alert('x')"), std::string::npos);
  // title (twice), summary (2), chart title (2), axis labels (2), legend, the class name on
  // both heatmap axes and the per-class bars (as label and tooltip, plus cell tooltips), the
  // caption (alt and text), config (2), machine, timings, notes.
  EXPECT_GE(count(page, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"), 20u);
  EXPECT_EQ(unbalanced(page), "");
}

TEST(Report, InvalidUtf8AndControlCharactersAreReplaced) {
  RunReport r;
  r.title = std::string("bad \xC3\x28 byte, lone \x80, overlong \xC0\xAF, nul ") + '\0' + " bell \x07 ok \xC3\xA9";
  const std::string page = render_html(r);
  EXPECT_NE(page.find("bad \xEF\xBF\xBD( byte, lone \xEF\xBF\xBD, overlong \xEF\xBF\xBD\xEF\xBF\xBD, nul \xEF\xBF\xBD "
                      "bell \xEF\xBF\xBD ok \xC3\xA9"),
            std::string::npos);
  EXPECT_EQ(page.find('\0'), std::string::npos);
}

TEST(Report, TicksAreOneTwoFiveSteps) {
  auto expect = [](double lo, double hi, std::vector<double> want) {
    const std::vector<double> got = nice_ticks(lo, hi);
    ASSERT_EQ(got.size(), want.size()) << lo << ".." << hi;
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << lo << ".." << hi << " tick " << i;
  };
  expect(0, 1, {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  expect(0, 97, {0, 20, 40, 60, 80, 100});
  expect(-3, 7, {-4, -2, 0, 2, 4, 6, 8});
  expect(0.71, 0.96, {0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0});
  expect(0, 4000, {0, 1000, 2000, 3000, 4000});
  // Any range: a 1-2-5 step, covering the range, a readable number of ticks, no -0 or 1e-17.
  for (double lo : {-1e6, -3.7, 0.0, 1e-7, 0.3, 12.0, 5e9})
    for (double span : {1e-6, 0.013, 1.0, 7.5, 333.0, 1e5}) {
      if (lo != 0 && span / std::fabs(lo) < 1e-6) continue;  // below what doubles resolve
      const double hi = lo + span;
      const std::vector<double> t = nice_ticks(lo, hi);
      ASSERT_GE(t.size(), 3u) << lo << ".." << hi;
      EXPECT_LE(t.size(), 12u) << lo << ".." << hi;
      EXPECT_LE(t.front(), lo) << lo << ".." << hi;
      EXPECT_GE(t.back(), hi - 1e-9 * std::fabs(hi)) << lo << ".." << hi;
      const double step = t[1] - t[0];
      const double mantissa = step / std::pow(10.0, std::floor(std::log10(step)));
      EXPECT_TRUE(std::fabs(mantissa - 1) < 1e-6 || std::fabs(mantissa - 2) < 1e-6 || std::fabs(mantissa - 5) < 1e-6 ||
                  std::fabs(mantissa - 10) < 1e-6)
          << lo << ".." << hi << ": step " << step;
      for (double v : t) EXPECT_FALSE(v != 0 && std::fabs(v) < step * 1e-6) << "tick " << v;
    }
  // A single value is widened, not divided by; nothing finite gives nothing.
  for (double v : {0.0, 5.0, -2.5, 1e-12}) {
    const std::vector<double> t = nice_ticks(v, v);
    ASSERT_GE(t.size(), 2u) << v;
    EXPECT_LT(t.front(), v);
    EXPECT_GT(t.back(), v);
  }
  EXPECT_TRUE(nice_ticks(kNaN, 1).empty());
  EXPECT_TRUE(nice_ticks(0, kInf).empty());
  EXPECT_EQ(nice_ticks(1, 0), nice_ticks(0, 1));
}

TEST(Report, AxisLabelsShowTheTickValues) {
  RunReport r;
  r.charts = {
      Chart{"acc",
            "Accuracy",
            "epoch",
            "accuracy",
            {Series{"val", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {0.71, 0.8, 0.9, 0.96, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}}},
            false,
            {}},
      Chart{"lr", "LR", "step", "lr", {Series{"lr", {0, 50000, 100000}, {1e-5, 1e-3, 1e-1}}}, true, {}}};
  const std::string page = render_html(r);
  const std::string acc = figure(page, "acc"), lr = figure(page, "lr");
  for (const char* label : {">0.70<", ">0.75<", ">1.00<", ">2<", ">4<", ">10<"})
    EXPECT_NE(acc.find(label), std::string::npos) << label;
  for (const char* label : {">1e-5<", ">0.001<", ">0.1<", ">0<", ">20k<", ">100k<", "lr (log)"})
    EXPECT_NE(lr.find(label), std::string::npos) << label;
}

// Charts that a real run can produce and that must not break the page (or divide by zero).
TEST(Report, DegenerateChartsStayWellFormed) {
  RunReport r;
  auto chart = [](std::string id, std::vector<Series> s, bool log_y = false, std::vector<double> markers = {}) {
    return Chart{std::move(id), "t", "x", "y", std::move(s), log_y, std::move(markers)};
  };
  r.charts = {
      chart("no-series", {}),
      chart("empty-series", {Series{"a", {}, {}}, Series{"b", {}, {}}}),
      chart("not-finite", {Series{"a", {1, 2, 3}, {kNaN, kNaN, kInf}}}),
      chart("one-point", {Series{"a", {7}, {0.5}}}),
      chart("all-equal", {Series{"a", {1, 2, 3, 4}, {3, 3, 3, 3}}}),
      chart("all-zero", {Series{"a", {1, 2, 3}, {0, 0, 0}}}),
      chart("same-x", {Series{"a", {5, 5, 5}, {1, 2, 3}}}),
      chart("gaps", {Series{"a", {0, 1, 2, 3, 4, 5, 6}, {1, kNaN, 2, 3, kInf, 4, -kInf}},
                     Series{"b", {0, kNaN, 2}, {1, 1, 2}}}),
      chart("log-nonpositive", {Series{"a", {1, 2, 3, 4}, {-1, 0, 10, 100}}}, true),
      chart("log-nothing-positive", {Series{"a", {1, 2}, {0, -5}}}, true),
      chart("log-one-value", {Series{"a", {1, 2}, {0.01, 0.01}}}, true),
      chart("markers", {Series{"a", {0, 10}, {1, 2}}}, false, {-5, 5, 20, kNaN, kInf}),
      chart("huge-values", {Series{"a", {0, 1}, {1e300, -1e300}}}),
      chart("overflowing-span", {Series{"a", {-1.7e308, 1.7e308}, {1.7e308, -1.7e308}}}),
      chart("tiny-span", {Series{"a", {0, 1}, {1e15, 1e15 + 0.125}}}),
  };
  const std::string page = render_html(r);
  EXPECT_EQ(unbalanced(page), "");
  for (const Chart& c : r.charts) {
    const std::string f = figure(page, c.id);
    ASSERT_FALSE(f.empty()) << c.id;
    EXPECT_EQ(f.find("nan"), std::string::npos) << c.id;
    EXPECT_EQ(f.find("inf"), std::string::npos) << c.id;
  }
  for (const char* id : {"no-series", "empty-series", "not-finite", "log-nothing-positive"}) {
    EXPECT_NE(figure(page, id).find(">no data<"), std::string::npos) << id;
    EXPECT_NE(figure(page, id).find("data-series=\"0\""), std::string::npos) << id;
  }
  // One point is a dot; gaps split the path into pieces (M starts each).
  EXPECT_NE(figure(page, "one-point").find("<circle"), std::string::npos);
  const std::string gaps = figure(page, "gaps");
  const size_t path = gaps.find("<path d=\"");
  ASSERT_NE(path, std::string::npos);
  const std::string d = gaps.substr(path, gaps.find('"', path + 9) - path);
  EXPECT_EQ(count(d, "M"), 3u) << d;  // 0 | 2 3 | 5 (1, 4 and 6 are gaps)
  EXPECT_NE(figure(page, "log-nonpositive").find("data-series=\"1\""), std::string::npos);
  // Markers inside the range are drawn, NaN and infinite ones are not.
  EXPECT_EQ(count(figure(page, "markers"), "stroke-dasharray"), 3u);
}

TEST(Report, LongSeriesAreThinnedKeepingExtremesAndGaps) {
  Series s{"loss", {}, {}};
  for (int i = 0; i < 100000; ++i) s.x.push_back(i), s.y.push_back(std::sin(i * 0.001) + (i == 31337 ? 5.0 : 0.0));
  s.y[70000] = kNaN;
  const Series t = thin_series(s);
  EXPECT_LE(t.x.size(), kMaxChartPoints);
  EXPECT_GE(t.x.size(), kMaxChartPoints / 2);
  ASSERT_EQ(t.x.size(), t.y.size());
  EXPECT_NE(std::find(t.x.begin(), t.x.end(), 31337.0), t.x.end()) << "the spike is kept";
  EXPECT_EQ(std::count_if(t.y.begin(), t.y.end(), [](double v) { return std::isnan(v); }), 1) << "the gap is kept";
  double previous = -1;
  for (double x : t.x) {
    if (std::isnan(x)) continue;
    EXPECT_GT(x, previous);
    previous = x;
  }
  EXPECT_EQ(thin_series(Series{"short", {1, 2, 3}, {4, 5, 6}}).y, (std::vector<double>{4, 5, 6}));

  RunReport r;
  r.charts = {Chart{"big", "Big", "step", "loss", {s, s}, false, {}}};
  const std::string page = render_html(r);
  EXPECT_LT(page.size(), 150000u);
  EXPECT_LE(count(figure(page, "big"), "L"), 2 * kMaxChartPoints);
  EXPECT_EQ(unbalanced(page), "");
}

TEST(Report, FullPageHasEverySectionAndNoNetwork) {
  const std::string page = render_html(full_report());
  EXPECT_EQ(unbalanced(page), "");
  for (const char* hook : {"data-chart=\"loss\"", "data-chart=\"confusion\"", "data-chart=\"per-class\"",
                           "data-section=\"summary\"", "data-section=\"worst\"", "data-section=\"config\"",
                           "data-section=\"machine\"", "data-section=\"timings\"", "data-section=\"notes\""})
    EXPECT_NE(page.find(hook), std::string::npos) << hook;
  for (const char* forbidden : {"http://", "https://", "<script", "<link", "@import", "url(http"})
    EXPECT_EQ(page.find(forbidden), std::string::npos) << forbidden;
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  // The image is the PNG's bytes, base64.
  EXPECT_NE(page.find("src=\"data:image/png;base64,iVBORw0KGgo"), std::string::npos);
  EXPECT_NE(page.find("true: cat\npredicted: dog"), std::string::npos);
  // The resume marker and both series with distinct colours.
  const std::string loss = figure(page, "loss");
  EXPECT_EQ(count(loss, "stroke-dasharray"), 1u);
  EXPECT_NE(loss.find("#1f77b4"), std::string::npos);
  EXPECT_NE(loss.find("#ff7f0e"), std::string::npos);
}

TEST(Report, ConfusionHeatmapAndPerClassAccuracy) {
  RunReport r;
  r.class_names = {"cat", "dog", "bird", "fish"};
  r.confusion = {{8, 1, 1, 0}, {0, 10, 0, 0}, {2, 2, 6, 0}, {0, 0, 0, 0}};
  const std::string page = render_html(r);
  EXPECT_EQ(unbalanced(page), "");
  const std::string heat = figure(page, "confusion"), bars = figure(page, "per-class");
  for (const char* name : {">cat<", ">dog<", ">bird<", ">fish<"}) {
    EXPECT_EQ(count(heat, std::string(name) + "title>"), 2u) << name;  // row and column label
    EXPECT_EQ(count(bars, std::string(name) + "title>"), 1u) << name;
  }
  EXPECT_NE(heat.find(">8</text>"), std::string::npos);
  EXPECT_NE(heat.find(">6</text>"), std::string::npos);
  // Colour by share of the row: dog's row is all on the diagonal (darkest); the empty fish
  // row is all 0% (lightest), with no division by zero.
  EXPECT_NE(heat.find("predicted dog: 10 (100.0% of the row)</title>"), std::string::npos);
  EXPECT_NE(heat.find("fill=\"#08306b\""), std::string::npos);
  EXPECT_NE(heat.find("predicted fish: 0 (0.0% of the row)"), std::string::npos);
  EXPECT_NE(bars.find("80.0% (8/10)"), std::string::npos);
  EXPECT_NE(bars.find("100.0% (10/10)"), std::string::npos);
  EXPECT_NE(bars.find("60.0% (6/10)"), std::string::npos);
  EXPECT_NE(bars.find("no samples"), std::string::npos);
  // Without names the classes are numbered.
  r.class_names.clear();
  const std::string numbered = figure(render_html(r), "confusion");
  EXPECT_NE(numbered.find(">3<title>3</title>"), std::string::npos);
  // Many classes: the cells get too small for counts, which move to the tooltips.
  r.confusion.assign(100, std::vector<int64_t>(100, 1));
  const std::string many = render_html(r);
  EXPECT_EQ(unbalanced(many), "");
  EXPECT_EQ(count(figure(many, "confusion"), "<rect"), 100u * 100u + 1u);
}

TEST(Report, BadInputIsAClearError) {
  auto throws = [](auto edit, const std::string& expected) {
    RunReport r = full_report();
    edit(r);
    try {
      (void)render_html(r);
      ADD_FAILURE() << "no error, expected one containing '" << expected << "'";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  throws([](RunReport& r) { r.charts[0].id = "Loss Curve"; }, "chart id 'Loss Curve'");
  throws([](RunReport& r) { r.charts[0].id = ""; }, "chart id ''");
  throws([](RunReport& r) { r.charts.push_back(r.charts[0]); }, "chart id 'loss' is used twice");
  throws([](RunReport& r) { r.charts[0].id = "confusion"; }, "reserved");
  throws([](RunReport& r) { r.charts[0].series[1].y.pop_back(); }, "series 'val' has 3 x values but 2 y values");
  throws([](RunReport& r) { r.confusion[1].pop_back(); }, "row 1 has 2 columns, expected 3");
  throws([](RunReport& r) { r.class_names.pop_back(); }, "3 rows but there are 2 class names");
  throws([](RunReport& r) { r.confusion[2][0] = -1; }, "[2][0] is negative");
  throws([](RunReport& r) { r.worst[0].png = {1, 2, 3}; }, "worst example 0");
}

class ReportFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("ember_report_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, ec);
    fs::remove_all(dir, ec);
  }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir;
};

TEST_F(ReportFile, WriteReplacesAnExistingReportWhole) {
  const fs::path path = dir / "report.html";
  RunReport big = full_report();
  big.notes.assign(2000, "a long note that makes the first report much larger than the second");
  write_report(path, big);
  EXPECT_EQ(read(path), render_html(big));
  const RunReport small = full_report();
  write_report(path, small);
  EXPECT_EQ(read(path), render_html(small));
  EXPECT_EQ(listing(), std::vector<std::string>{"report.html"});
}

TEST_F(ReportFile, FailuresNameThePathAndLeaveNothingBehind) {
  auto expect_io_error = [](const fs::path& path) {
    try {
      write_report(path, full_report());
      ADD_FAILURE() << "no error writing " << path;
    } catch (const IOError& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  };
  expect_io_error(dir / "missing" / "report.html");
  std::ofstream(dir / "file") << "x";
  expect_io_error(dir / "file" / "report.html");  // a file where a directory should be
  // The temporary file is written, then cannot be renamed over a directory: it is removed.
  fs::create_directories(dir / "report.html" / "inside");
  expect_io_error(dir / "report.html");
  EXPECT_EQ(listing(), (std::vector<std::string>{"file", "report.html"}));
  EXPECT_TRUE(fs::is_directory(dir / "report.html" / "inside"));
  // A bad report fails before anything is written.
  RunReport bad = full_report();
  bad.charts[0].id = "Bad";
  EXPECT_THROW(write_report(dir / "bad.html", bad), ValueError);
  EXPECT_FALSE(fs::exists(dir / "bad.html"));
  if (::geteuid() != 0) {  // root writes anywhere
    fs::create_directories(dir / "locked");
    fs::permissions(dir / "locked", fs::perms::owner_read | fs::perms::owner_exec);
    expect_io_error(dir / "locked" / "report.html");
    EXPECT_TRUE(fs::is_empty(dir / "locked"));
  }
}

}  // namespace
}  // namespace ember::metrics
