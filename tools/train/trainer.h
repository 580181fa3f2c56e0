#pragma once
#include <string>
#include <utility>
#include <vector>

#include <ember/core/tensor.h>

#include "tools/train/options.h"
#include "tools/train/report.h"

namespace ember::train {

struct RunResult {
  double test_acc = 0;                // after the last epoch (0 when stopped before it)
  std::vector<EpochMetrics> metrics;  // every finished epoch, those of a resumed run's past included
  int64_t steps = 0;                  // optimizer steps done in all
  bool stopped = false;               // --stop-after-steps ended the run early
  std::vector<std::pair<std::string, Tensor>> weights;  // the model's final state dict
};

// Runs the whole training described by the options (or its rest, with --resume), writing
// metrics.csv, checkpoints and the final weights under the run directory.
RunResult run(const Options& o);

}  // namespace ember::train
