#pragma once
#include <memory>
#include <string>
#include <vector>

#include <ember/data/data.h>

#include "tools/train/options.h"

namespace ember::train {

struct DataSetup {
  std::unique_ptr<data::DataLoader> train, test;
  int64_t channels = 1, height = 28, width = 28, num_classes = 10;
  std::vector<std::string> class_names;
};

// Loads the dataset named in the options, with per-channel normalization from the
// training set and the requested augmentation on the training loader only.
DataSetup make_data(const Options& o);

}  // namespace ember::train
