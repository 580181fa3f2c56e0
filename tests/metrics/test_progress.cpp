// The progress line: redrawn in place for a terminal, plain lines for a log file.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include <ember/core/error.h>
#include <ember/metrics/progress.h>

namespace ember::metrics {
namespace {

std::string contents(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;) s += static_cast<char>(c);
  return s;
}

TEST(Progress, LinesForALogFileHaveNoCarriageReturns) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    // automatic picks lines: a temporary file is not a terminal.
    Progress p("epoch 1/2", 4, {.style = ProgressStyle::automatic, .line_seconds = 0, .out = f});
    EXPECT_EQ(p.style(), ProgressStyle::lines);
    for (int i = 0; i < 4; ++i) p.update(10, 0.5, 5);
    p.finish();
  }
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_EQ(s.find('\r'), std::string::npos) << s;
  EXPECT_EQ(s.find('\033'), std::string::npos) << s;
  // Batches 1-3 each get a line (line_seconds 0), the last is finish()'s closing line.
  int lines = 0;
  for (char c : s) lines += c == '\n';
  EXPECT_EQ(lines, 4) << s;
  EXPECT_NE(s.find("epoch 1/2  3/4  loss 0.5000  acc 50.00%"), std::string::npos) << s;
  EXPECT_NE(s.find("4/4"), std::string::npos) << s;
  EXPECT_NE(s.find("took"), std::string::npos) << s;
}

TEST(Progress, LinesAreRateLimitedAndTheClosingLineIsOptional) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p("e", 1000, {.style = ProgressStyle::lines, .line_seconds = 3600, .out = f, .final_line = false});
  for (int i = 0; i < 1000; ++i) p.update(1, 1.0, 1);
  p.finish();
  EXPECT_EQ(contents(f), "");
  std::fclose(f);
}

TEST(Progress, LiveRedrawsOneLineInPlace) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p("epoch 1/1", 2, {.style = ProgressStyle::live, .out = f});
  p.update(4, 2.0, 1);
  p.update(4, 0.0, 3);  // the last batch is always drawn
  EXPECT_DOUBLE_EQ(p.mean_loss(), 1.0);
  EXPECT_DOUBLE_EQ(p.accuracy(), 0.5);
  p.finish();
  const std::string s = contents(f);
  std::fclose(f);
  EXPECT_NE(s.find('\r'), std::string::npos);
  EXPECT_EQ(s.back(), '\n');
  int lines = 0;
  for (char c : s) lines += c == '\n';
  EXPECT_EQ(lines, 1) << s;
  EXPECT_NE(s.find("[########################] 2/2"), std::string::npos) << s;
}

TEST(Progress, OffWritesNothingButCounts) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  Progress p("x", 3, {.style = ProgressStyle::off, .out = f});
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(p.tick(2));
  p.set_totals(3.0, 6);
  p.finish();
  EXPECT_EQ(contents(f), "");
  EXPECT_EQ(p.seen(), 6);
  EXPECT_DOUBLE_EQ(p.mean_loss(), 0.5);
  std::fclose(f);
}

TEST(Progress, BadOptionsAreErrors) {
  EXPECT_THROW(Progress("x", -1), ValueError);
  EXPECT_THROW(Progress("x", 1, {.line_seconds = -1}), ValueError);
  EXPECT_THROW(Progress("x", 1, {.style = ProgressStyle::lines, .out = nullptr}), ValueError);
}

}  // namespace
}  // namespace ember::metrics
