#include "tools/train/options.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace ember::train {

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"ember-train: train an image classifier with ember"};
  app.add_option("--model", o.model, "mlp, resnet20/32/56, resnet18/34/50 (small-image stem)")->capture_default_str();
  app.add_option("--dataset", o.dataset, "fashion-mnist, mnist, cifar10, cifar100, synthetic (1024 generated 12x12 images, for tests)")->capture_default_str();
  app.add_option("--data-dir", o.data_dir, "where the dataset's files are (default: Debian's location)");
  app.add_option("--epochs", o.epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", o.batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", o.lr, "peak learning rate (default: 0.1 for sgd, 1e-3 for adam/adamw)");
  app.add_option("--momentum", o.momentum)->capture_default_str();
  app.add_option("--optimizer", o.optimizer)->check(CLI::IsMember({"sgd", "adam", "adamw"}))->capture_default_str();
  app.add_option("--schedule", o.schedule)
      ->check(CLI::IsMember({"constant", "cosine", "step", "onecycle"}))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_epochs, "linear warmup, in epochs (fractions allowed)")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay)->capture_default_str();
  app.add_flag("--decay-norm-and-bias", o.decay_norm_and_bias, "apply weight decay to BN parameters and biases too");
  app.add_option("--label-smoothing", o.label_smoothing)->capture_default_str();
  app.add_option("--augment", o.augment)
      ->check(CLI::IsMember({"none", "flip", "crop", "crop+flip", "translate"}))
      ->capture_default_str();
  app.add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--threads", o.threads, "OpenMP threads (0: all cores)")->capture_default_str();
  app.add_option("--workers", o.workers, "data loader threads")->capture_default_str();
  app.add_option("--seed", o.seed)->capture_default_str();
  app.add_option("--out", o.out, "directory for metrics.csv and the final weights")->capture_default_str();
  app.add_option("--train-subset", o.train_subset, "use only the first N training images (0: all)");
  app.add_option("--test-subset", o.test_subset, "use only the first N test images (0: all)");
  app.add_flag("--quiet", o.quiet, "no live progress bar");
  app.add_flag("--detect-anomaly", o.detect_anomaly, "check every op's output for NaN/Inf and name the op");
  app.add_flag("--stop-on-nan", o.stop_on_nan, "on a non-finite loss or an anomaly, save a checkpoint, then stop");
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "write a checkpoint every N steps under OUT/checkpoints (0: at the end of each epoch)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--keep", o.keep, "how many checkpoints to keep")->check(CLI::PositiveNumber)->capture_default_str();
  auto* resume = app.add_option("--resume", o.resume,
                                "continue the run in DIR from its latest checkpoint (or from a checkpoint directory); "
                                "the training options must be the same as the run's");
  app.add_option("--stop-after-steps", o.stop_after_steps,
                 "stop after N optimizer steps, writing a checkpoint (0: train all epochs)")
      ->check(CLI::NonNegativeNumber);
  auto* out = app.get_option("--out");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  // --resume continues in the run's own directory: its checkpoints and metrics.csv live there.
  if (resume->count() > 0 && out->count() == 0) o.out.clear();
  return o;
}

}  // namespace ember::train
