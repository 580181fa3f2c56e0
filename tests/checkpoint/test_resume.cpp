// ember-train resumed from a checkpoint gives, on the CPU, the same numbers bit for bit as the
// run that never stopped: per-epoch train/test loss and accuracy, the lr, the final weights.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <ember/ember.h>

#include "checkpoint/common.h"
#include "tools/train/checkpoint.h"
#include "tools/train/trainer.h"

namespace fs = std::filesystem;
using namespace ember;
using namespace ember::train;
using ember::testing::scratch;
using ember::testing::slurp;
using ember::testing::spit;

namespace {

// Rows of metrics.csv without the time columns.
std::vector<std::string> metric_rows(const fs::path& csv) {
  std::ifstream in(csv);
  std::vector<std::string> rows;
  for (std::string line; std::getline(in, line);) {
    size_t cut = 0;
    for (int commas = 0; commas < 6 && cut != std::string::npos; ++commas) cut = line.find(',', cut + 1);
    rows.push_back(line.substr(0, cut));
  }
  return rows;
}

void expect_same_run(const RunResult& a, const RunResult& b) {
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    SCOPED_TRACE(fmt::format("epoch {}", i + 1));
    const EpochMetrics &x = a.metrics[i], &y = b.metrics[i];
    EXPECT_EQ(x.epoch, y.epoch);
    // Exact equality on purpose: the resumed run must be the same computation.
    EXPECT_EQ(x.train_loss, y.train_loss);
    EXPECT_EQ(x.train_acc, y.train_acc);
    EXPECT_EQ(x.test_loss, y.test_loss);
    EXPECT_EQ(x.test_acc, y.test_acc);
    EXPECT_EQ(x.lr, y.lr);
  }
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.test_acc, b.test_acc);
  ASSERT_EQ(a.weights.size(), b.weights.size());
  for (size_t i = 0; i < a.weights.size(); ++i) {
    const auto& [na, ta] = a.weights[i];
    const auto& [nb, tb] = b.weights[i];
    ASSERT_EQ(na, nb);
    ASSERT_EQ(ta.shape(), tb.shape()) << na;
    ASSERT_EQ(ta.dtype(), tb.dtype()) << na;
    Tensor ca = ta.cpu().contiguous(), cb = tb.cpu().contiguous();
    EXPECT_EQ(0, std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes())) << "weights differ: " << na;
  }
}

struct Recipe {
  std::string name;
  Options o;
  int64_t steps_per_epoch;
};

// Full run; run stopped after epoch 1 then resumed; run stopped in the middle of epoch 2
// (and, with --checkpoint-every, in the middle of epoch 1) then resumed.
void check_recipe(const Recipe& r) {
  Options full = r.o;
  full.out = scratch(r.name + "_full").string();
  RunResult ref = run(full);
  ASSERT_EQ(ref.metrics.size(), static_cast<size_t>(full.epochs));
  ASSERT_FALSE(ref.stopped);

  struct Stop {
    const char* what;
    int64_t at;
    int64_t every;
  };
  const Stop stops[] = {{"after epoch 1", r.steps_per_epoch, 0},
                        {"mid epoch 2", r.steps_per_epoch + 3, 0},
                        {"mid epoch 1, every 2 steps", 5, 2}};
  for (const Stop& s : stops) {
    SCOPED_TRACE(fmt::format("{}: stop {}", r.name, s.what));
    Options first = r.o;
    first.out = scratch(r.name + "_stopped").string();
    first.stop_after_steps = s.at;
    first.checkpoint_every = s.every;
    RunResult part = run(first);
    ASSERT_TRUE(part.stopped);
    EXPECT_EQ(part.steps, s.at);
    EXPECT_EQ(load_checkpoint(first.out).step, s.at);

    Options rest = r.o;
    rest.checkpoint_every = s.every;
    rest.out.clear();  // as ember-train --resume without --out: continue in the run directory
    rest.resume = first.out;
    RunResult resumed = run(rest);
    expect_same_run(ref, resumed);
    // metrics.csv continues too: the same rows as the full run's (time columns aside).
    EXPECT_EQ(metric_rows(fs::path(full.out) / "metrics.csv"), metric_rows(fs::path(first.out) / "metrics.csv"));
    fs::remove_all(first.out);
  }
  fs::remove_all(full.out);
}

}  // namespace

TEST(CheckpointResume, SyntheticResNetSgdOneCycleBitIdentical) {
  Recipe r;
  r.name = "resnet";
  r.o.model = "resnet20";
  r.o.dataset = "synthetic";
  r.o.epochs = 2;
  r.o.batch_size = 32;
  r.o.train_subset = 256;  // 8 steps per epoch
  r.o.test_subset = 64;
  r.o.augment = "crop+flip";  // the loader's per-batch generators must line up too
  r.o.threads = 2;
  r.o.seed = 11;
  r.o.quiet = true;
  r.steps_per_epoch = 8;
  check_recipe(r);
}

TEST(CheckpointResume, FashionMnistMlpAdamWCosineBitIdentical) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "no /usr/share/datasets/fashion-mnist";
  Recipe r;
  r.name = "fmnist";
  r.o.model = "mlp";
  r.o.dataset = "fashion-mnist";
  r.o.epochs = 2;
  r.o.batch_size = 64;
  r.o.train_subset = 640;  // 10 steps per epoch
  r.o.test_subset = 200;
  r.o.optimizer = "adamw";
  r.o.schedule = "cosine";
  r.o.warmup_epochs = 0.5;
  r.o.augment = "translate";
  r.o.label_smoothing = 0.1;
  r.o.threads = 2;
  r.o.seed = 3;
  r.o.quiet = true;
  r.steps_per_epoch = 10;
  check_recipe(r);
}

TEST(CheckpointResume, KeepsTheNewestAndResumesFromTheLatest) {
  Options o;
  o.model = "mlp";
  o.dataset = "synthetic";
  o.epochs = 1;
  o.batch_size = 128;  // 8 steps
  o.checkpoint_every = 1;
  o.keep = 3;
  o.quiet = true;
  o.out = scratch("keep").string();
  run(o);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(o.out) / "checkpoints")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "step-00000006", "step-00000007", "step-00000008"}));
  EXPECT_EQ(latest_checkpoint(o.out).filename(), "step-00000008");
  Checkpoint c = load_checkpoint(o.out);
  EXPECT_EQ(c.step, 8);
  EXPECT_EQ(c.position, (data::LoaderPosition{1, 0}));
  ASSERT_EQ(c.metrics.size(), 1u);

  // Resuming a finished run does nothing more and leaves the same numbers.
  Options again = o;
  again.resume = o.out;
  RunResult r = run(again);
  EXPECT_EQ(r.steps, 8);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].train_loss, c.metrics[0].train_loss);
  fs::remove_all(o.out);
}

TEST(CheckpointResume, MismatchedOptionsAreRefusedBeforeAnythingChanges) {
  Options o;
  o.model = "mlp";
  o.dataset = "synthetic";
  o.epochs = 2;
  o.batch_size = 128;
  o.stop_after_steps = 8;
  o.quiet = true;
  o.out = scratch("mismatch").string();
  run(o);
  const std::string before = metric_rows(fs::path(o.out) / "metrics.csv").back();

  Options other = o;
  other.stop_after_steps = 0;
  other.resume = o.out;
  other.batch_size = 64;
  other.seed = 5;
  other.lr = 0.1;  // the default for sgd: not a difference
  try {
    run(other);
    FAIL() << "resumed with different options";
  } catch (const ValueError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("--batch-size 128 (this run: 64)"), std::string::npos) << m;
    EXPECT_NE(m.find("--seed 0 (this run: 5)"), std::string::npos) << m;
    EXPECT_EQ(m.find("--lr"), std::string::npos) << m;
    EXPECT_NE(m.find(o.out), std::string::npos) << m;
  }
  // Nothing was touched: the checkpoint and metrics.csv are as they were.
  EXPECT_EQ(load_checkpoint(o.out).step, 8);
  EXPECT_EQ(metric_rows(fs::path(o.out) / "metrics.csv").back(), before);
  fs::remove_all(o.out);
}
