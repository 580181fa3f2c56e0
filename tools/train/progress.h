#pragma once
// A live progress line for one epoch: batches, running loss and accuracy, images/s, ETA.
#include <chrono>
#include <cstdint>
#include <string>

namespace ember::train {

class Progress {
 public:
  Progress(std::string label, int64_t total_batches, bool live);
  // After each batch: its size, loss and number of correct predictions.
  void update(int64_t batch_size, double loss, int64_t correct);
  // Ends the line; returns the elapsed seconds.
  double finish();
  double mean_loss() const { return seen_ ? loss_sum_ / static_cast<double>(seen_) : 0.0; }
  double accuracy() const { return seen_ ? static_cast<double>(correct_) / static_cast<double>(seen_) : 0.0; }
  double images_per_second() const;

 private:
  void draw(bool final) const;

  std::string label_;
  int64_t total_, done_ = 0, seen_ = 0, correct_ = 0;
  double loss_sum_ = 0;
  bool live_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ember::train
