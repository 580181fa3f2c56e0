#pragma once
// ember-train's CSV files in the run directory (metrics.csv per epoch, steps.csv every
// --log-every steps), and the confusion matrix it prints at the end of a run (the library's).
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

// One row of steps.csv: the batch's loss, the learning rate it was trained with, the
// throughput since the previous row and the gradients' global 2-norm (before the update).
struct StepMetrics {
  int64_t step, epoch;
  double loss, lr, images_per_s, grad_norm;
};

// steps.csv, one row per logged step, flushed after each.
class StepsFile {
 public:
  // Starts the file with the header and the rows of `done`.
  explicit StepsFile(const std::filesystem::path& path, const std::vector<StepMetrics>& done = {});
  void write(const StepMetrics& m);

 private:
  metrics::MetricsLogger log_;
};

// A numeric CSV file as ember-train writes them: a header, then rows of numbers ("nan" and
// "inf" allowed), each line ended by a newline. IOError naming the file and the 1-based line
// for a missing file, a missing or unexpected header, a row with another number of fields, a
// field that is not a number, or a last line without its newline (a write cut short: its last
// number may have lost digits). A file with only its header has no rows. With `problem`, a bad
// row ends the reading instead: the rows before it are returned and *problem says what was
// wrong (empty when nothing was).
std::vector<std::vector<double>> read_metric_rows(const std::filesystem::path& path,
                                                  const std::vector<std::string>& header,
                                                  std::string* problem = nullptr);
const std::vector<std::string>& metrics_header();
const std::vector<std::string>& steps_header();
std::vector<EpochMetrics> read_metrics_file(const std::filesystem::path& path);
std::vector<StepMetrics> read_steps_file(const std::filesystem::path& path, std::string* problem = nullptr);

using metrics::ConfusionMatrix;

}  // namespace ember::train
