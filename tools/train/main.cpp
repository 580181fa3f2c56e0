// ember-train: trains an image classifier and reports per-epoch metrics.
#include <cstdio>
#include <exception>

#include "tools/train/options.h"
#include "tools/train/trainer.h"

int main(int argc, char** argv) {
  ember::train::Options o = ember::train::parse_options(argc, argv);
  try {
    ember::train::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nember-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
