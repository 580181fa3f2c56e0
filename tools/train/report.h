#pragma once
// ember-train's metrics file, and the confusion matrix it prints at the end of a run (the
// library's).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <ember/metrics/classification.h>
#include <ember/metrics/logger.h>

namespace ember::train {

struct EpochMetrics {
  int64_t epoch;
  double train_loss, train_acc, test_loss, test_acc, lr, seconds, images_per_s;
};

// metrics.csv in the run directory, one row per epoch, flushed after each (a
// metrics::MetricsLogger with ember-train's columns).
class MetricsFile {
 public:
  // Starts the file with the header and the rows of `done` (the epochs a resumed run already
  // has, from its checkpoint: rows a crashed run wrote after that checkpoint are dropped).
  explicit MetricsFile(const std::filesystem::path& path, const std::vector<EpochMetrics>& done = {});
  void write(const EpochMetrics& m);

 private:
  metrics::MetricsLogger log_;
};

using metrics::ConfusionMatrix;

}  // namespace ember::train
