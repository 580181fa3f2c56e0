#include "ember/metrics/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include "ember/core/error.h"

namespace ember::metrics {

namespace {
std::string clock(double s) {
  auto t = static_cast<int64_t>(s + 0.5);
  return t >= 3600 ? fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60) : fmt::format("{}:{:02}", t / 60, t % 60);
}

ProgressStyle resolve(ProgressStyle s, std::FILE* out) {
  if (s != ProgressStyle::automatic) return s;
  return isatty(fileno(out)) ? ProgressStyle::live : ProgressStyle::lines;
}
}  // namespace

Progress::Progress(std::string label, int64_t total_batches, ProgressOptions options)
    : label_(std::move(label)),
      total_(total_batches),
      style_(ProgressStyle::off),
      line_seconds_(options.line_seconds),
      final_line_(options.final_line),
      out_(options.out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  EMBER_CHECK(total_batches >= 0, ValueError, "Progress: total_batches must be >= 0, got {}", total_batches);
  EMBER_CHECK(options.line_seconds >= 0, ValueError, "Progress: line_seconds must be >= 0, got {}",
              options.line_seconds);
  EMBER_CHECK(out_ != nullptr || options.style == ProgressStyle::off, ValueError, "Progress: no output stream");
  style_ = out_ ? resolve(options.style, out_) : ProgressStyle::off;
}

void Progress::update(int64_t batch_size, double loss, int64_t correct) {
  correct_ += correct;
  loss_sum_ += loss * static_cast<double>(batch_size);
  if (tick(batch_size)) draw(false);
}

bool Progress::tick(int64_t batch_size) {
  ++done_;
  seen_ += batch_size;
  if (style_ == ProgressStyle::off) return false;
  const auto now = std::chrono::steady_clock::now();
  bool due;
  if (style_ == ProgressStyle::live) {
    due = now - last_draw_ > std::chrono::milliseconds(200) || done_ == total_;
  } else {
    // The last batch is left to finish(), which writes the epoch's closing line.
    due = std::chrono::duration<double>(now - last_draw_).count() >= line_seconds_ && done_ < total_;
  }
  if (due) last_draw_ = now;
  return due;
}

void Progress::set_totals(double loss_sum, int64_t correct) {
  loss_sum_ = loss_sum;
  correct_ = correct;
}

double Progress::images_per_second() const {
  const double s = elapsed();
  return s > 0 ? static_cast<double>(seen_) / s : 0.0;
}

void Progress::draw(bool final) const {
  if (style_ == ProgressStyle::off) return;
  const double s = elapsed();
  const double eta = done_ ? s / static_cast<double>(done_) * static_cast<double>(total_ - done_) : 0.0;
  const std::string tail = fmt::format("{}/{}  loss {:.4f}  acc {:5.2f}%  {:6.0f} img/s  {} {}", done_, total_,
                                       mean_loss(), 100 * accuracy(), images_per_second(), final ? "took" : "ETA",
                                       clock(final ? s : eta));
  if (style_ == ProgressStyle::live) {
    const int width = 24;
    const int filled = total_ ? static_cast<int>(width * done_ / total_) : width;
    const std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
    fmt::print(out_, "\r{} [{}] {}\033[K{}", label_, bar, tail, final ? "\n" : "");
  } else {
    fmt::print(out_, "{}  {}\n", label_, tail);
  }
  std::fflush(out_);
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::restore(int64_t batches_done, int64_t seen, int64_t correct, double loss_sum, double elapsed_seconds) {
  done_ = batches_done;
  seen_ = seen;
  correct_ = correct;
  loss_sum_ = loss_sum;
  start_ = std::chrono::steady_clock::now() -
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(elapsed_seconds));
}

double Progress::finish() {
  if (style_ == ProgressStyle::live || final_line_) draw(true);
  return elapsed();
}

}  // namespace ember::metrics
