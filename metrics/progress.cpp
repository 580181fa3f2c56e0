#include "ember/metrics/progress.h"

#include <fmt/format.h>

#include <cstdio>

namespace ember::metrics {

namespace {
std::string clock(double s) {
  auto t = static_cast<int64_t>(s + 0.5);
  return fmt::format("{}:{:02}", t / 60, t % 60);
}
}  // namespace

Progress::Progress(std::string label, int64_t total_batches, bool live)
    : label_(std::move(label)), total_(total_batches), live_(live), start_(std::chrono::steady_clock::now()) {}

void Progress::update(int64_t batch_size, double loss, int64_t correct) {
  correct_ += correct;
  loss_sum_ += loss * static_cast<double>(batch_size);
  if (tick(batch_size)) draw(false);
}

bool Progress::tick(int64_t batch_size) {
  ++done_;
  seen_ += batch_size;
  auto now = std::chrono::steady_clock::now();
  if (live_ && (now - last_draw_ > std::chrono::milliseconds(200) || done_ == total_)) {
    last_draw_ = now;
    return true;
  }
  return false;
}

void Progress::set_totals(double loss_sum, int64_t correct) {
  loss_sum_ = loss_sum;
  correct_ = correct;
}

double Progress::images_per_second() const {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 ? static_cast<double>(seen_) / s : 0.0;
}

void Progress::draw(bool final) const {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double eta = done_ ? s / static_cast<double>(done_) * static_cast<double>(total_ - done_) : 0.0;
  const int width = 24;
  int filled = total_ ? static_cast<int>(width * done_ / total_) : width;
  std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld  loss %.4f  acc %5.2f%%  %6.0f img/s  %s %s\033[K", label_.c_str(),
               bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), mean_loss(),
               100 * accuracy(), images_per_second(), final ? "took" : "ETA", clock(final ? s : eta).c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
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
  if (live_) draw(true);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace ember::metrics
