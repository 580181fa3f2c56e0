// Overfitting against generalisation on Fashion-MNIST, with a validation split and early
// stopping on the validation loss. The same MLP is trained twice, each run stopped when its
// validation loss has not improved for --patience epochs and rolled back to its best epoch:
//   - "overfit": a small training subset, no dropout, no augmentation, no weight decay; the
//     training loss goes towards zero while the validation loss turns upwards;
//   - "generalise": many more examples, dropout, random shifts of up to 2 pixels, weight decay;
//     training and validation loss stay close.
// The validation split is held out of the training file once (stratified, seeded) and is the
// same for both runs; the test set is touched only at the end. Each epoch's losses go to a CSV
// file per run (--log-dir), to TensorBoard (--tensorboard, a folder per run) and, at the end,
// to an HTML page with both runs' curves (--report). Only ember's public API.
//
//   overfitting [--data-dir DIR] [--small N] [--large N] [--val N] [--epochs E]
//               [--patience P] [--threads T] [--log-dir DIR] [--tensorboard DIR]
//               [--report FILE] [--check]
// --check: exit 1 unless the overfit run stopped early with a training loss (eval mode) under a
// third of its validation loss, and the generalising run reached a lower validation loss. Exits 77
// when the data set is not installed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/metrics/metrics.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

struct Options {
  std::string data_dir = "/usr/share/datasets/fashion-mnist", log_dir, tensorboard, report;
  int64_t small = 500, large = 20000, val = 5000, epochs = 60, patience = 8;
  int threads = 0;
  bool check = false;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"overfitting: a validation split and early stopping, one run overfitting, one generalising"};
  app.add_option("--data-dir", o.data_dir)->capture_default_str();
  app.add_option("--log-dir", o.log_dir, "a CSV of each epoch's losses per run");
  app.add_option("--tensorboard", o.tensorboard, "TensorBoard event files, a folder per run");
  app.add_option("--report", o.report, "an HTML page with both runs' curves");
  app.add_option("--small", o.small, "training images of the overfit run")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--large", o.large, "training images of the generalising run")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--val", o.val, "images held out as the validation split")->check(CLI::Range(1, 30000))->capture_default_str();
  app.add_option("--epochs", o.epochs, "at most")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--patience", o.patience)->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--threads", o.threads, "0: OpenMP's default")->check(CLI::NonNegativeNumber);
  app.add_flag("--check", o.check, "exit 1 unless the runs overfit and generalise as they should");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

struct Run {
  const char* name;
  int64_t examples;
  double dropout, weight_decay;
  bool augment;
};

struct Outcome {
  int64_t epochs = 0, best_epoch = 0;
  // train_loss_at_stop: the last epoch's running mean in train mode (dropout, shifts);
  // train_eval_loss_at_stop: the training set evaluated like the validation set, in eval mode.
  double best_val_loss = 0, train_loss_at_stop = 0, train_eval_loss_at_stop = 0, val_loss_at_stop = 0;
  double test_acc_at_stop = 0, test_acc_best = 0;
  std::vector<double> epoch, train_loss, val_loss, val_acc;  // per epoch, for the report
};

double val_loss_last(const Outcome& r) { return r.val_loss.empty() ? 0.0 : r.val_loss.back(); }

// How many rows of scores [B, C] have their argmax at the target.
int64_t sum_all_equal(const Tensor& scores, const Tensor& targets) {
  return sum(eq(argmax(scores, 1), targets)).item<int64_t>();
}

// Both runs on one page: each run's training and validation loss, with its best epoch marked.
void write_html_report(const std::string& path, const Options& o, const Outcome& over, const Outcome& gen) {
  metrics::RunReport rep;
  rep.title = "Overfitting and generalising: an MLP on Fashion-MNIST";
  for (const auto& [name, r] : {std::pair<const char*, const Outcome*>{"overfit", &over}, {"generalise", &gen}}) {
    rep.summary.emplace_back(std::string(name) + ": best validation loss",
                             fmt::format("{:.4f} (epoch {})", r->best_val_loss, r->best_epoch));
    rep.summary.emplace_back(std::string(name) + ": test accuracy", fmt::format("{:.2f}%", 100 * r->test_acc_best));
    rep.charts.push_back({fmt::format("loss-{}", name), fmt::format("{}: loss per epoch", name), "epoch",
                          "cross-entropy",
                          {{"train (running, train mode)", r->epoch, r->train_loss}, {"validation", r->epoch, r->val_loss}},
                          false, {static_cast<double>(r->best_epoch)}});
  }
  std::vector<double> over_acc, gen_acc;
  for (double a : over.val_acc) over_acc.push_back(100 * a);
  for (double a : gen.val_acc) gen_acc.push_back(100 * a);
  rep.charts.push_back({"val-accuracy", "Validation accuracy", "epoch", "accuracy (%)",
                        {{"overfit", over.epoch, over_acc}, {"generalise", gen.epoch, gen_acc}}, false, {}});
  rep.config = {{"small", std::to_string(o.small)}, {"large", std::to_string(o.large)}, {"val", std::to_string(o.val)},
                {"epochs (at most)", std::to_string(o.epochs)}, {"patience", std::to_string(o.patience)}};
  const CpuInfo cpu = cpu_info();
  rep.machine = {{"cpu", cpu.model}, {"isa", cpu.isa}, {"threads", std::to_string(get_num_threads())}};
  rep.notes = {"The dashed line in each loss chart is the best epoch, whose weights were restored before testing."};
  metrics::write_report(path, rep);
  std::printf("wrote %s\n", path.c_str());
}

// Mean loss and accuracy of `model` on a whole dataset, in eval mode.
std::pair<double, double> evaluate(nn::Module& model, const std::shared_ptr<data::InMemoryDataset>& data) {
  NoGradGuard ng;
  model.eval();
  data::DataLoader loader(data, {.batch_size = 1000});
  loader.begin_epoch(0);
  double loss = 0;
  metrics::ConfusionMatrix m(10);
  while (auto b = loader.next()) {
    const Tensor out = model(b->inputs);
    loss += cross_entropy(out, b->targets, Reduction::sum).item<double>();
    m.add_scores(b->targets, out);
  }
  return {loss / static_cast<double>(data->size()), m.accuracy()};
}

Outcome train(const Run& run, const data::InMemoryDataset& pool, const std::shared_ptr<data::InMemoryDataset>& val,
              const std::shared_ptr<data::InMemoryDataset>& test, const Options& o) {
  // A seeded random subset of the pool (the same examples on every machine).
  const double fraction = std::min(1.0, static_cast<double>(run.examples) / static_cast<double>(pool.size()));
  const auto chosen = data::random_split(pool.size(), {fraction, 1.0 - fraction}, 3)[0];
  auto train_set = std::make_shared<data::InMemoryDataset>(pool.subset(chosen));
  std::printf("\n%s: %lld training examples, dropout %.1f, weight decay %g, %s\n", run.name,
              static_cast<long long>(train_set->size()), run.dropout, run.weight_decay,
              run.augment ? "random shifts" : "no augmentation");

  manual_seed(0);
  nn::MLP model({784, 512, 512, 10}, "relu", run.dropout);
  optim::AdamW opt(model.parameters(), {.lr = 1e-3, .weight_decay = run.weight_decay});
  data::DataLoaderOptions lo{.batch_size = 32, .shuffle = true, .seed = 1};
  if (run.augment) lo.transforms = {data::make_random_translate(2, 2)};
  data::DataLoader loader(train_set, lo);
  metrics::EarlyStopping stop({.patience = o.patience});
  std::unique_ptr<metrics::MetricsLogger> log;
  if (!o.log_dir.empty())
    log = std::make_unique<metrics::MetricsLogger>(
        std::filesystem::path(o.log_dir) / (std::string(run.name) + ".csv"),
        std::vector<metrics::Column>{{"epoch", "{}"}, {"train_loss"}, {"val_loss"}, {"val_accuracy"}});
  std::optional<metrics::SummaryWriter> tb;
  if (!o.tensorboard.empty()) tb.emplace(std::filesystem::path(o.tensorboard) / run.name);

  Outcome r;
  std::printf("epoch  train loss (running, train mode)  val loss  val acc  seconds\n");
  for (; r.epochs < o.epochs && !stop.should_stop(); ++r.epochs) {
    const auto start = std::chrono::steady_clock::now();
    model.train();
    loader.begin_epoch(r.epochs);
    // On a terminal a line redrawn in place; in a log, a plain line every 10 s.
    metrics::Progress bar(std::string(run.name) + " epoch " + std::to_string(r.epochs + 1), loader.num_batches(),
                          {.line_seconds = 10, .final_line = false});
    double sum = 0;
    while (auto b = loader.next()) {
      model.zero_grad();
      const Tensor scores = model(b->inputs);
      Tensor loss = cross_entropy(scores, b->targets);
      loss.backward();
      opt.step();
      const double lv = loss.item<double>();
      sum += lv * static_cast<double>(b->targets.numel());
      NoGradGuard ng;
      bar.update(b->targets.numel(), lv, sum_all_equal(scores, b->targets));
    }
    bar.finish();
    r.train_loss_at_stop = sum / static_cast<double>(train_set->size());
    const auto [val_loss, val_acc] = evaluate(model, val);
    r.val_loss_at_stop = val_loss;
    const bool best = stop.update(val_loss, &model);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%5lld  %34.4f  %8.4f  %7.4f  %7.2f%s\n", static_cast<long long>(r.epochs + 1), r.train_loss_at_stop,
                val_loss, val_acc, seconds, best ? "  best" : "");
    std::fflush(stdout);
    if (log) log->log({static_cast<double>(r.epochs + 1), r.train_loss_at_stop, val_loss, val_acc});
    if (tb) {
      tb->add_scalar("loss/train", r.train_loss_at_stop, r.epochs + 1);
      tb->add_scalar("loss/validation", val_loss, r.epochs + 1);
      tb->add_scalar("accuracy/validation", val_acc, r.epochs + 1);
    }
    r.epoch.push_back(static_cast<double>(r.epochs + 1));
    r.train_loss.push_back(r.train_loss_at_stop);
    r.val_loss.push_back(val_loss);
    r.val_acc.push_back(val_acc);
  }
  if (!stop.has_best_weights()) {
    std::printf("FAILED: %s: no finite validation loss in %lld epochs (training diverged)\n", run.name,
                static_cast<long long>(r.epochs));
    std::exit(1);
  }
  // The gap in eval mode on both sides: the epoch's running training loss above was taken
  // with dropout and shifts on, which alone keep it above an eval-mode loss.
  r.train_eval_loss_at_stop = evaluate(model, train_set).first;
  r.test_acc_at_stop = evaluate(model, test).second;
  stop.restore_best(model);
  r.best_epoch = *stop.best_evaluation() + 1;
  r.best_val_loss = *stop.best();
  r.test_acc_best = evaluate(model, test).second;
  if (tb)
    tb->add_hparams({{"examples", static_cast<double>(run.examples)}, {"dropout", run.dropout},
                     {"weight_decay", run.weight_decay}, {"augment", run.augment}},
                    {{"loss/validation", val_loss_last(r)}, {"best/validation_loss", r.best_val_loss},
                     {"best/test_accuracy", r.test_acc_best}});
  std::printf("%s: %s after %lld epochs; best validation loss %.4f at epoch %lld; test accuracy %.4f at the last "
              "epoch, %.4f with the best epoch's weights restored\n",
              run.name, stop.should_stop() ? "stopped early" : "ran every epoch", static_cast<long long>(r.epochs),
              r.best_val_loss, static_cast<long long>(r.best_epoch), r.test_acc_at_stop, r.test_acc_best);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.threads > 0) set_num_threads(o.threads);
  data::InMemoryDataset fm_train, fm_test;
  try {
    fm_train = data::load_mnist(o.data_dir, true);
    fm_test = data::load_mnist(o.data_dir, false);
  } catch (const IOError& e) {
    std::printf("SKIPPED: no Fashion-MNIST (Debian's dataset-fashion-mnist) in %s: %s\n", o.data_dir.c_str(), e.what());
    return 77;
  }
  if (!o.log_dir.empty()) std::filesystem::create_directories(o.log_dir);
  const double val_fraction = static_cast<double>(o.val) / static_cast<double>(fm_train.size());
  auto parts = data::stratified_split(fm_train, {val_fraction, 1.0 - val_fraction}, 2026);
  auto val = std::make_shared<data::InMemoryDataset>(std::move(parts[0]));
  const data::InMemoryDataset& pool = parts[1];
  auto test = std::make_shared<data::InMemoryDataset>(fm_test);
  std::printf("validation: %lld examples held out of the training file; test: %lld\n",
              static_cast<long long>(val->size()), static_cast<long long>(test->size()));

  const Outcome over = train({"overfit", o.small, 0.0, 0.0, false}, pool, val, test, o);
  const Outcome gen = train({"generalise", o.large, 0.3, 1e-2, true}, pool, val, test, o);

  std::printf("\n%-10s  %6s  %10s  %13s  %17s  %14s\n", "run", "epochs", "best epoch", "best val loss",
              "train/val at stop", "test acc (best)");
  for (const auto& [name, r] : {std::pair<const char*, const Outcome&>{"overfit", over}, {"generalise", gen}})
    std::printf("%-10s  %6lld  %10lld  %13.4f  %8.4f/%8.4f  %14.4f\n", name, static_cast<long long>(r.epochs),
                static_cast<long long>(r.best_epoch), r.best_val_loss, r.train_eval_loss_at_stop, r.val_loss_at_stop,
                r.test_acc_best);

  if (!o.report.empty()) write_html_report(o.report, o, over, gen);

  if (!o.check) return 0;
  bool ok = true;
  if (!(over.epochs < o.epochs && over.train_eval_loss_at_stop < over.val_loss_at_stop / 3)) {
    std::printf("FAILED: the overfit run should stop early with its training loss under a third of its validation "
                "loss (epochs %lld of %lld, %.4f vs %.4f)\n",
                static_cast<long long>(over.epochs), static_cast<long long>(o.epochs), over.train_eval_loss_at_stop,
                over.val_loss_at_stop);
    ok = false;
  }
  if (!(gen.best_val_loss < over.best_val_loss)) {
    std::printf("FAILED: the generalising run's best validation loss %.4f is not below the overfit run's %.4f\n",
                gen.best_val_loss, over.best_val_loss);
    ok = false;
  }
  return ok ? 0 : 1;
}
