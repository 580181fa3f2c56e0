#pragma once
#include "tools/train/options.h"

namespace ember::train {

// Runs the whole training described by the options; returns the final test accuracy.
double run(const Options& o);

}  // namespace ember::train
