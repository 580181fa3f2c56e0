#pragma once
// report.html of an ember-train run, drawn from the files the run leaves (run_log.h): the
// loss, accuracy, learning-rate, throughput and gradient-norm curves, the last evaluation's
// confusion matrix, per-class accuracy and worst-classified test images, and the options,
// machine and timings of every session of a resumed run.
#include <filesystem>

#include <ember/metrics/report.h>

namespace ember::train {

// Everything is read and checked before anything is written: IOError naming the folder or
// file for a run folder that does not exist, a missing, truncated or malformed metrics.csv,
// steps.csv, run.json or evaluation.json, or a missing worst-example image.
metrics::RunReport build_run_report(const std::filesystem::path& run_dir);
// Writes run_dir/report.html (atomically: an old report stays whole until the new one is
// complete). Returns its path.
std::filesystem::path write_run_report(const std::filesystem::path& run_dir);
// `ember-train report OUT`: argv[0] is "report". Returns the process's exit code.
int report_main(int argc, char** argv);

}  // namespace ember::train
