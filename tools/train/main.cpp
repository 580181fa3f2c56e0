// ember-train: trains an image classifier and reports per-epoch metrics; `ember-train report
// OUT` writes a finished (or interrupted) run's report again.
#include <cstdio>
#include <cstring>
#include <exception>

#include "tools/train/checkpoint.h"
#include "tools/train/options.h"
#include "tools/train/run_report.h"
#include "tools/train/trainer.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "report") == 0) return ember::train::report_main(argc - 1, argv + 1);
  ember::train::Options o = ember::train::parse_options(argc, argv);
  try {
    if (!o.resume.empty()) o = ember::train::resume_options(o);
    ember::train::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\nember-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
