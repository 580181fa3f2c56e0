#pragma once
// Checkpoints of an ember-train run, written so that a crash (kill -9, power loss, full disk)
// at any moment leaves the newest complete checkpoint loadable.
//
// Layout, under the run directory (--out):
//   checkpoints/step-00000123/model.safetensors      the model's state dict
//   checkpoints/step-00000123/optimizer.safetensors  the optimizer's state tensors
//                                                     (keys as optim::StateDict::tensors)
//   checkpoints/step-00000123/state.json             everything else, see below
//   checkpoints/latest                                "step-00000123\n": the newest complete one
//
// state.json: {"format": "ember-train-checkpoint", "version": 1, "step", "epoch", "batch"
// (the loader position of the next training batch), "rng": {"default": {"seed", "offset"},
// "init": {...}} (ember's default generator and the trainer's init/dropout generator),
// "options" (every training option; those in resume_checked_options() must match on resume),
// "optimizer": {"type", "scalars", "strings", "tensors": [names]}, "schedule": null or
// {"type", "scalars", "strings"}, "metrics": [rows of the finished epochs], "epoch_progress":
// {"batches", "seen", "correct", "loss_sum", "seconds", "lr"} (the running totals of a
// partly done epoch), "files": {"model.safetensors": {"bytes"}, ...}}. Doubles are written so
// that they read back bit for bit; non-finite ones as the strings "nan", "inf", "-inf".
//
// Writing: the directory is built as checkpoints/.tmp-<name>-<pid>, every file is fsynced,
// the directory is renamed into place and checkpoints/ fsynced; then `latest` is replaced
// (temporary file, fsync, rename, fsync of checkpoints/); only then are checkpoints beyond
// the newest `keep` removed (renamed to .trash-* first, so no step-* directory is ever partial).
// Leftover .tmp-*/.trash-* directories of a crashed writer are removed by the next save.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <ember/core/tensor.h>
#include <ember/data/loader.h>
#include <ember/optim/state_dict.h>

#include "tools/train/options.h"
#include "tools/train/report.h"

namespace ember::train {

inline constexpr int kCheckpointVersion = 1;

struct RngState {
  uint64_t seed = 0, offset = 0;
  bool operator==(const RngState&) const = default;
};

// Running totals of the epoch in progress (a mid-epoch checkpoint's loader batch > 0).
struct EpochProgress {
  int64_t batches = 0, seen = 0, correct = 0;
  double loss_sum = 0, seconds = 0;
  double lr = 0;  // the lr reported for the epoch (the lr at its start)
};

struct Checkpoint {
  int64_t step = 0;               // optimizer steps taken
  data::LoaderPosition position;  // the next training batch
  RngState default_rng, init_rng;
  Options options;
  std::vector<std::pair<std::string, Tensor>> model;
  optim::StateDict optimizer;
  bool has_schedule = false;
  optim::StateDict schedule;          // scalars and strings only
  std::vector<EpochMetrics> metrics;  // the finished epochs
  EpochProgress progress;
};

// "step-00000123".
std::string checkpoint_name(int64_t step);

// Writes `c` as run_dir/checkpoints/<checkpoint_name(c.step)>, atomically as described above,
// points `latest` at it and then keeps only the newest `keep` (>= 1). Returns its directory.
// On failure throws IOError naming the checkpoint and the file, and leaves the previous
// checkpoints and `latest` as they were.
std::filesystem::path save_checkpoint(const std::filesystem::path& run_dir, const Checkpoint& c, int keep);

// The checkpoint directory that run_dir/checkpoints/latest names. IOError when there is none
// or it names something that is not there.
std::filesystem::path latest_checkpoint(const std::filesystem::path& run_dir);

// Reads one checkpoint: `dir` is a checkpoint directory (it holds state.json) or a run
// directory (its latest checkpoint). Checks every file (presence, sizes, JSON structure,
// format version, the safetensors files, the optimizer tensors state.json lists) and throws
// IOError naming the file and the problem. Tensors are on the CPU.
Checkpoint load_checkpoint(const std::filesystem::path& dir);

// The options a resumed run must share with the saved one (the rest, such as epochs,
// threads, workers, device and paths, may differ).
const std::vector<std::string>& resume_checked_options();
// The training options saved in a checkpoint (a checkpoint or run directory, as for
// load_checkpoint); IOError as load_checkpoint's.
Options read_checkpoint_options(const std::filesystem::path& dir);
// ember-train --resume DIR [options]: the checkpoint's options, with those given on the
// command line (cli.given) in place of the checkpoint's where they may change; ValueError
// naming every given option that is checked and differs. Output, progress and anomaly flags
// are the command line's.
Options resume_options(const Options& cli);

// The training options as state.json's "options" holds them (run.json has them too).
nlohmann::json options_to_json(const Options& o);
// Throws ValueError listing every checked option whose value differs, both values each.
void check_resume_options(const Options& saved, const Options& now, const std::filesystem::path& where);

}  // namespace ember::train
