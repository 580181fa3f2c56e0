#include "tools/train/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace ember::train {
namespace {

// CLI11's own range checks print the bounds of a double ("0.000000 to 1797693...") and show
// the rejected value as inside them; these say what is wanted in words.
CLI::Validator whole_number_at_least(int64_t lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        int64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size())
          return fmt::format("expected a whole number, got \"{}\"", s);
        if (v < lo) return fmt::format("must be {} or more, got {}", lo, v);
        return {};
      },
      fmt::format("INT >= {}", lo));
}

CLI::Validator unsigned_whole_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc::result_out_of_range) return fmt::format("must be below 2^64, got {}", s);
        if (ec != std::errc() || end != s.data() + s.size())
          return fmt::format("expected a whole number of 0 or more, got \"{}\"", s);
        return {};
      },
      "UINT");
}

CLI::Validator number_in(double lo, double hi, bool hi_open, const char* what) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || *end != '\0') return fmt::format("expected a number, got \"{}\"", s);
        if (!std::isfinite(v) || v < lo || (hi_open ? v >= hi : v > hi))
          return fmt::format("must be {}, got {}", what, s);
        return {};
      },
      what);
}

CLI::Validator one_of(std::vector<std::string> names) {
  const std::string list = fmt::format("{}", fmt::join(names, ", "));
  return CLI::Validator(
      [names, list](std::string& s) -> std::string {
        if (std::find(names.begin(), names.end(), s) != names.end()) return {};
        return fmt::format("must be one of {}; got \"{}\"", list, s);
      },
      "{" + list + "}");
}

// The state.json name of a long option: "--batch-size" -> "batch_size".
std::string key_of(const CLI::Option* opt) {
  std::string k = opt->get_name();
  k.erase(0, k.find_first_not_of('-'));
  std::replace(k.begin(), k.end(), '-', '_');
  return k == "no_tensorboard" ? "tensorboard_off" : k;
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"ember-train: train an image classifier with ember.\n"
               "  ember-train [options]          train (see below)\n"
               "  ember-train report OUT         (re)write OUT/report.html from a run's files"};
  app.add_option("--model", o.model, "mlp, resnet20/32/56, resnet18/34/50 (small-image stem)")->capture_default_str();
  app.add_option("--dataset", o.dataset, "fashion-mnist, mnist, cifar10, cifar100, synthetic (1024 generated 12x12 images, for tests)")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "where the dataset's files are (default: Debian's location)");
  app.add_option("--epochs", o.epochs)->check(whole_number_at_least(1))->capture_default_str();
  app.add_option("--batch-size", o.batch_size)->check(whole_number_at_least(1))->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate (default: 0.1 for sgd, 1e-3 for adam/adamw)")
      ->check(number_in(0, INFINITY, true, "a positive number"));
  app.add_option("--momentum", o.momentum)->check(number_in(0, 1, true, "at least 0 and below 1"))->capture_default_str();
  app.add_option("--optimizer", o.optimizer)->check(one_of({"sgd", "adam", "adamw"}))->capture_default_str();
  app.add_option("--schedule", o.schedule)
      ->check(one_of({"constant", "cosine", "step", "onecycle"}))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_epochs, "linear warmup, in epochs (fractions allowed)")
      ->check(number_in(0, INFINITY, true, "0 or more"))
      ->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay)->check(number_in(0, INFINITY, true, "0 or more"))->capture_default_str();
  app.add_flag("--decay-norm-and-bias", o.decay_norm_and_bias, "apply weight decay to BN parameters and biases too");
  app.add_option("--label-smoothing", o.label_smoothing)
      ->check(number_in(0, 1, true, "at least 0 and below 1"))
      ->capture_default_str();
  app.add_option("--augment", o.augment)
      ->check(one_of({"none", "flip", "crop", "crop+flip", "translate"}))
      ->capture_default_str();
  app.add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", o.threads, "OpenMP threads (0: all cores)")->check(whole_number_at_least(0))->capture_default_str();
  app.add_option("--workers", o.workers, "data loader threads")->check(whole_number_at_least(0))->capture_default_str();
  app.add_option("--seed", o.seed)->check(unsigned_whole_number())->capture_default_str();
  app.add_option("--out", o.out, "directory for metrics.csv, the checkpoints, the TensorBoard logs and report.html")
      ->capture_default_str();
  app.add_option("--train-subset", o.train_subset, "use only the first N training images (0: all)")
      ->check(whole_number_at_least(0));
  app.add_option("--test-subset", o.test_subset, "use only the first N test images (0: all)")->check(whole_number_at_least(0));
  app.add_flag("--quiet", o.quiet, "no progress output");
  app.add_option("--progress-seconds", o.progress_seconds,
                 "when stderr is not a terminal (a log file, CI): a plain progress line this often")
      ->check(number_in(0, INFINITY, true, "0 or more"))
      ->capture_default_str();
  app.add_option("--tensorboard", o.tensorboard, "folder for TensorBoard event files (default: OUT/tb)");
  app.add_flag("--no-tensorboard", o.tensorboard_off, "write no TensorBoard event files");
  app.add_option("--log-every", o.log_every,
                 "log the step's loss, learning rate, throughput and gradient norm every N optimizer steps "
                 "(TensorBoard and OUT/steps.csv)")
      ->check(whole_number_at_least(1))
      ->capture_default_str();
  app.add_flag("--histograms,!--no-histograms", o.histograms,
               "TensorBoard histograms of every weight and gradient, once per epoch");
  app.add_flag("--detect-anomaly", o.detect_anomaly, "check every op's output for NaN/Inf and name the op");
  app.add_flag("--stop-on-nan", o.stop_on_nan, "on a non-finite loss or an anomaly, save a checkpoint, then stop");
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "write a checkpoint every N steps under OUT/checkpoints (0: at the end of each epoch)")
      ->check(whole_number_at_least(0))
      ->capture_default_str();
  app.add_option("--keep", o.keep, "how many checkpoints to keep")->check(whole_number_at_least(1))->capture_default_str();
  auto* resume = app.add_option(
      "--resume", o.resume,
      "continue the run in DIR from its latest checkpoint (or from a checkpoint directory), with the "
      "checkpoint's options; options given again must agree with it, except --epochs (to extend the run), "
      "--threads, --workers, --device, --data-dir, --checkpoint-every, --keep and the output and logging "
      "flags, which may change");
  app.add_option("--stop-after-steps", o.stop_after_steps,
                 "stop after N optimizer steps, writing a checkpoint (0: train all epochs)")
      ->check(whole_number_at_least(0));
  auto* out = app.get_option("--out");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  for (const CLI::Option* opt : app.get_options())
    if (opt->count() > 0 && !opt->get_lnames().empty()) o.given.insert(key_of(opt));
  // --resume continues in the run's own directory: its checkpoints and metrics.csv live there.
  if (resume->count() > 0 && out->count() == 0) o.out.clear();
  // Saved in checkpoints, so a resume from another working directory finds the same folder.
  if (!o.tensorboard.empty()) o.tensorboard = std::filesystem::absolute(o.tensorboard).string();
  return o;
}

}  // namespace ember::train
