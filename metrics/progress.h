#pragma once
// Progress of one epoch of a training loop: batches, running loss and accuracy, examples/s,
// ETA. On a terminal it is one line redrawn in place; where the output is a file or a CI log
// it is a plain line every line_seconds (carriage returns would pile up there). ember-train
// draws its progress with it; so can any training loop.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ember::metrics {

enum class ProgressStyle {
  automatic,  // live on a terminal, lines otherwise
  live,       // one line redrawn in place ("\r"), at most 5 times a second
  lines,      // a plain line every line_seconds, and one at the end
  off,
};

struct ProgressOptions {
  ProgressStyle style = ProgressStyle::automatic;
  double line_seconds = 30;  // lines: the interval between lines
  std::FILE* out = stderr;
  // lines: whether finish() writes a closing line (ember-train prints its own epoch summary).
  bool final_line = true;
};

class Progress {
 public:
  Progress(std::string label, int64_t total_batches, ProgressOptions options = {});
  // After each batch: its size, loss and number of correct predictions.
  void update(int64_t batch_size, double loss, int64_t correct);
  // After each batch whose loss and correct count stay on the device (so that the step need
  // not wait for the GPU): counts it, and returns true when a line is due. The caller then
  // reads the epoch's totals back, hands them to set_totals() and calls redraw().
  bool tick(int64_t batch_size);
  // The epoch's running loss sum (of loss * batch size) and correct count, all batches so far.
  void set_totals(double loss_sum, int64_t correct);
  void redraw() const { draw(false); }
  // Ends the line (or writes the last one); returns the elapsed seconds.
  double finish();
  double mean_loss() const { return seen_ ? loss_sum_ / static_cast<double>(seen_) : 0.0; }
  double accuracy() const { return seen_ ? static_cast<double>(correct_) / static_cast<double>(seen_) : 0.0; }
  double images_per_second() const;
  // The style in use: automatic resolved to live or lines.
  ProgressStyle style() const { return style_; }
  // Running totals, saved by a mid-epoch checkpoint and given back to restore() on resume so
  // that the epoch's mean loss and accuracy come out as if it had never stopped.
  int64_t batches_done() const { return done_; }
  int64_t seen() const { return seen_; }
  int64_t correct() const { return correct_; }
  double loss_sum() const { return loss_sum_; }
  double elapsed() const;
  void restore(int64_t batches_done, int64_t seen, int64_t correct, double loss_sum, double elapsed_seconds);

 private:
  void draw(bool final) const;

  std::string label_;
  int64_t total_, done_ = 0, seen_ = 0, correct_ = 0;
  double loss_sum_ = 0;
  ProgressStyle style_;
  double line_seconds_;
  bool final_line_;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ember::metrics
