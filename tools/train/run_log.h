#pragma once
// What a run leaves besides metrics.csv and its checkpoints, for people to look at:
//   steps.csv                 every --log-every optimizer steps (report.h)
//   tb/                       TensorBoard event files, unless --no-tensorboard (--tensorboard DIR
//                             puts them elsewhere)
//   run.json                  the options, the machine, and one entry per session: a resumed run
//                             has one for each time it was started
//   evaluation.json, worst/   the last evaluation's confusion matrix and the worst-classified
//                             test images (worst/step-N/*.png), written when the last epoch is
//                             done: the images first, then evaluation.json atomically, then the
//                             older images go, so evaluation.json always names images that exist
// report.html is drawn from these files (run_report.h), at the end of a run or by
// `ember-train report OUT`.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ember/core/tensor.h>
#include <ember/layers/module.h>
#include <ember/metrics/summary_writer.h>

#include "tools/train/options.h"
#include "tools/train/report.h"

namespace ember::train {

struct MachineInfo {
  std::string host, cpu, isa, device;
  int threads = 0;
};

// A misclassified (or least confidently right) test example.
struct WorstExample {
  int64_t index = 0;  // in the test set
  int64_t truth = 0, predicted = 0;
  double p_truth = 0;  // the softmax probability the model gave the true class
  Tensor image;        // u8 [C, H, W] for display (float images stretched to 0..255)
};

// The `k` examples with the highest loss, kept while batches of an evaluation go by.
class WorstExamples {
 public:
  explicit WorstExamples(int64_t k) : k_(k) {}
  // Per-example losses (f32/f64 [B]), predictions and targets (i64 [B]) of a batch whose
  // first example is test example `first`.
  void add(int64_t first, const Tensor& losses, const Tensor& predicted, const Tensor& targets);
  // The kept ones, worst first, images not yet filled in.
  const std::vector<WorstExample>& examples() const { return kept_; }
  std::vector<WorstExample>& examples() { return kept_; }

 private:
  int64_t k_;
  std::vector<double> losses_;  // parallel to kept_
  std::vector<WorstExample> kept_;
};

// The TensorBoard folder of a run in run_dir with options o; none with --no-tensorboard.
std::optional<std::filesystem::path> tensorboard_folder(const Options& o, const std::filesystem::path& run_dir);
// IOError naming the folder when the output or TensorBoard folder cannot be created or
// written: checked before a run loads anything or touches any of its files.
void check_output_folders(const Options& o, const std::filesystem::path& run_dir);

class RunLog {
 public:
  // Where a resumed run's earlier sessions wrote: their run folder and TensorBoard folder.
  struct Earlier {
    std::filesystem::path run_dir;
    std::optional<std::filesystem::path> tensorboard;
  };
  // Starts a session of the run at optimizer step `from_step`. A resumed run (earlier given)
  // keeps the earlier sessions' run.json entries and steps.csv rows up to from_step (copied
  // over when the run has moved to another --out, as are its event files), and TensorBoard
  // drops what they logged after from_step. A new run replaces whatever an earlier run left
  // in the folder: its evaluation, report and TensorBoard curves. The folders are made and
  // checked first, by check_output_folders.
  RunLog(const Options& o, const std::filesystem::path& run_dir, int64_t from_step, int64_t steps_per_epoch,
         MachineInfo machine, const std::optional<Earlier>& earlier);
  bool step_due(int64_t step) const { return step % log_every_ == 0; }
  void log_step(const StepMetrics& m);
  // After an epoch's evaluation: its scalars at `step`, and with --histograms every weight's
  // and gradient's histogram.
  void log_epoch(const EpochMetrics& m, int64_t step, const nn::Module& model);
  // The last evaluation, after epoch `epoch` at optimizer step `step`: evaluation.json and
  // worst/step-N/NNN.png.
  void write_evaluation(int64_t epoch, int64_t step, const ConfusionMatrix& confusion,
                        const std::vector<std::string>& class_names, const std::vector<WorstExample>& worst);
  // The session's end ("finished" or "stopped"): run.json's last entry, and the hparams
  // summary in TensorBoard for a finished run.
  void end(int64_t to_step, const std::string& how, double test_acc);
  const std::optional<std::filesystem::path>& tensorboard_dir() const { return tb_dir_; }

 private:
  void write_run_json();

  std::filesystem::path run_dir_;
  int64_t log_every_;
  bool histograms_;
  nlohmann::json run_;  // run.json's content
  std::optional<std::filesystem::path> tb_dir_;
  std::unique_ptr<metrics::SummaryWriter> tb_;
  std::unique_ptr<StepsFile> steps_;
  double started_;  // steady-clock seconds at the session's start
};

}  // namespace ember::train
