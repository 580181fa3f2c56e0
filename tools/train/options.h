#pragma once
// ember-train's settings, parsed from the command line.
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace ember::train {

struct Options {
  std::string model = "resnet20";
  std::string dataset = "fashion-mnist";
  std::string data_dir;  // empty: the dataset's default location
  int64_t epochs = 5;
  int64_t batch_size = 128;
  std::optional<double> lr;  // default depends on the optimizer
  double momentum = 0.9;
  std::string optimizer = "sgd";
  std::string schedule = "onecycle";
  double warmup_epochs = 0.0;
  double weight_decay = 5e-4;
  bool decay_norm_and_bias = false;  // default: no weight decay on BN parameters and biases
  double label_smoothing = 0.0;
  std::string augment = "crop";  // none | flip | crop | crop+flip | translate
  std::string device = "cpu";
  int threads = 0;  // 0: OpenMP's default
  int workers = 1;
  uint64_t seed = 0;
  std::string out = "runs/latest";
  int64_t train_subset = 0;  // 0: the whole training set
  int64_t test_subset = 0;
  bool quiet = false;  // no progress output
  double progress_seconds = 30;  // where stderr is not a terminal: a progress line this often
  // TensorBoard event files (OUT/tb unless a folder is given; none with tensorboard_off),
  // step scalars and steps.csv every log_every optimizer steps, weight and gradient
  // histograms once per epoch when asked.
  std::string tensorboard;
  bool tensorboard_off = false;
  int64_t log_every = 20;
  bool histograms = false;
  // Checkpoints (see checkpoint.h): every N optimizer steps, or at the end of each epoch
  // when 0; the newest `keep` are kept. `resume` is a run directory (continue from its latest
  // checkpoint, in that directory) or one checkpoint directory.
  int64_t checkpoint_every = 0;
  int keep = 3;
  std::string resume;
  // Stops (after writing a checkpoint) once this many optimizer steps are done: for
  // time-boxed jobs and for the resume tests. 0: run all epochs.
  int64_t stop_after_steps = 0;
  // Anomaly mode: every op's output (and every backward node's) is checked for NaN/Inf and
  // the first one raises an error naming the op. With stop_on_nan, a non-finite loss or an
  // anomaly first writes a checkpoint of the state before the failing batch.
  bool detect_anomaly = false;
  bool stop_on_nan = false;
  // The options given on the command line, by their state.json names ("batch_size"): on
  // --resume the others come from the checkpoint (see resume_options in checkpoint.h).
  std::set<std::string> given;
};

// Parses argv; prints help (or a usage error, as a sentence naming the option) and exits the
// process for --help and bad arguments (the tool, not the library).
Options parse_options(int argc, char** argv);

}  // namespace ember::train
