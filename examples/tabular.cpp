// Rows of a table with missing values in, a number (regression) or a class out: a CSV read
// with missing values kept, a seeded split, imputation and standardization fitted on the
// training split only and saved with the model, an MLP trained with early stopping on the
// validation loss, and the test scores beside a baseline that ignores the features (the
// training split's mean, or its most frequent class). Only ember's public API.
//
//   tabular --csv FILE [--target NAME] [--task regression|classification] [--epochs E]
//           [--hidden H] [--lr LR] [--seed S] [--threads T] [--save FILE]
//           [--max-rmse-ratio R] [--min-accuracy A]
//   tabular --synthetic FILE ...   writes a synthetic regression table with missing values
//                                  to FILE first, then trains on it (the suite's test)
// examples/fetch_sklearn_tables.sh writes real tables (diabetes, wine, breast cancer) as CSV.
// Exits 1 when the test RMSE is above R times the baseline's or the test accuracy below A.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/metrics/metrics.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

struct Options {
  std::string csv, synthetic, target, task = "regression", save;
  int64_t epochs = 300, hidden = 32;
  double lr = 1e-3;
  uint64_t seed = 0;
  int threads = 0;
  double max_rmse_ratio = 0, min_accuracy = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  CLI::App app{"tabular: an MLP on a table with missing values, beside a baseline"};
  auto* csv = app.add_option("--csv", o.csv, "the table: a header row, numbers, empty fields where missing");
  app.add_option("--synthetic", o.synthetic, "write a synthetic regression table here and train on it")->excludes(csv);
  app.add_option("--target", o.target, "the target column's name (default: the last column)");
  app.add_option("--task", o.task)->check(CLI::IsMember({"regression", "classification"}))->capture_default_str();
  app.add_option("--save", o.save, "where to save the model (default: a temporary file, removed)");
  app.add_option("--epochs", o.epochs, "at most")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--hidden", o.hidden)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", o.lr)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", o.seed, "of the split and the shuffling")->capture_default_str();
  app.add_option("--threads", o.threads, "0: OpenMP's default")->check(CLI::NonNegativeNumber);
  app.add_option("--max-rmse-ratio", o.max_rmse_ratio, "exit 1 if the test RMSE is above this times the baseline's")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--min-accuracy", o.min_accuracy, "exit 1 below this test accuracy")->check(CLI::Range(0.0, 1.0));
  try {
    app.parse(argc, argv);
    if (o.csv.empty() && o.synthetic.empty()) throw CLI::RequiredError("--csv or --synthetic");
    if (!o.synthetic.empty() && o.task != "regression")
      throw CLI::ValidationError("--synthetic", "the synthetic table is a regression table");
    if (o.task == "regression" && app.count("--min-accuracy"))
      throw CLI::ValidationError("--min-accuracy", "is for --task classification");
    if (o.task == "classification" && app.count("--max-rmse-ratio"))
      throw CLI::ValidationError("--max-rmse-ratio", "is for --task regression");
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  return o;
}

// 800 rows of 8 features on different scales, a target that depends on them nonlinearly plus
// noise, 10% of the feature values and 2% of the targets left empty.
void write_synthetic(const std::string& path) {
  std::mt19937 rng(42);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::ofstream out(path);
  out << "f0,f1,f2,f3,f4,f5,f6,f7,y\n";
  const double scale[8] = {1, 10, 0.1, 100, 1, 5, 0.5, 20}, offset[8] = {0, 50, 1, -300, 2, 0, 0, 1000};
  for (int row = 0; row < 800; ++row) {
    double z[8], x[8];
    for (int j = 0; j < 8; ++j) {
      z[j] = normal(rng);
      x[j] = z[j] * scale[j] + offset[j];
    }
    const double y = 100 + 10 * (3 * std::sin(z[0]) + z[1] * z[2] + 0.5 * z[3] + std::abs(z[4])) + 3 * normal(rng);
    for (int j = 0; j < 8; ++j) {
      if (u(rng) >= 0.1) out << x[j];
      out << ',';
    }
    if (u(rng) >= 0.02) out << y;
    out << '\n';
  }
  if (!out) throw IOError("tabular: cannot write " + path);
}

// Imputation, standardization and the MLP in one module, so that one file holds all the
// statistics inference needs; for regression also the target's scaler (the MLP learns the
// standardized target, predict() answers in the target's units).
class TableModel : public nn::Module {
 public:
  TableModel(int64_t features, int64_t hidden, int64_t outputs, bool regression) : Module("TableModel") {
    register_module("impute", &impute, std::make_shared<nn::Impute>(features));
    register_module("scale", &scale, std::make_shared<nn::Standardize>(features));
    register_module("mlp", &mlp, std::make_shared<nn::MLP>(std::vector<int64_t>{features, hidden, hidden, outputs}, "relu", 0.1));
    if (regression) register_module("target_scale", &target_scale, std::make_shared<nn::Standardize>(1));
  }
  void fit(const data::InMemoryDataset& train) {
    impute->fit(train.inputs());
    scale->fit((*impute)(train.inputs()));
    if (target_scale) target_scale->fit(train.targets());
  }
  Tensor forward(const Tensor& x) override { return (*mlp)((*scale)((*impute)(x))); }
  // Eval mode, no gradient: class scores, or the target in its units.
  Tensor predict(const Tensor& x) {
    NoGradGuard ng;
    eval();
    const Tensor out = forward(x);
    return target_scale ? target_scale->inverse(out) : out;
  }
  std::shared_ptr<nn::Impute> impute;
  std::shared_ptr<nn::Standardize> scale, target_scale;
  std::shared_ptr<nn::MLP> mlp;
};

int64_t count_missing(const Tensor& x) {
  const float* p = x.data<float>();
  return std::count_if(p, p + x.numel(), [](float v) { return std::isnan(v); });
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (o.threads > 0) set_num_threads(o.threads);
  manual_seed(o.seed);
  const bool regression = o.task == "regression";
  if (!o.synthetic.empty()) write_synthetic(o.synthetic);
  const std::string path = o.csv.empty() ? o.synthetic : o.csv;

  // Missing features stay NaN (imputed below from the training split); rows without a
  // target cannot be used and are dropped.
  data::CsvOptions csv{.target_column = o.target,
                       .target = regression ? data::CsvTarget::number : data::CsvTarget::class_index,
                       .drop_missing_targets = true,
                       .missing = data::MissingPolicy::keep};
  data::CsvTable table = data::read_csv(path, csv);
  const int64_t n = table.features.size(0), f = table.features.size(1);
  std::printf("%s: %lld rows, %lld features, %lld missing feature values, %lld rows without a target dropped\n",
              path.c_str(), static_cast<long long>(n), static_cast<long long>(f),
              static_cast<long long>(count_missing(table.features)), static_cast<long long>(table.dropped_targets));

  // Regression targets as [N, 1] columns, so that a Standardize of one feature scales them.
  const Tensor targets = regression ? table.targets.reshape({n, 1}) : table.targets;
  const data::InMemoryDataset all(table.features, targets);
  const std::vector<double> fractions = {0.7, 0.15, 0.15};
  auto parts = regression ? data::random_split(all, fractions, o.seed) : data::stratified_split(all, fractions, o.seed);
  const data::InMemoryDataset &train = parts[0], &val = parts[1], &test = parts[2];
  std::printf("split %lld / %lld / %lld (train / validation / test, seed %llu)\n", static_cast<long long>(train.size()),
              static_cast<long long>(val.size()), static_cast<long long>(test.size()),
              static_cast<unsigned long long>(o.seed));

  // Everything learned from the data comes from the training split.
  const int64_t classes = regression ? 1 : train.num_classes();
  auto model = std::make_shared<TableModel>(f, o.hidden, classes, regression);
  model->fit(train);

  auto loss_of = [&](const Tensor& out, const Tensor& target) {
    return regression ? mse_loss(out, (*model->target_scale)(target)) : cross_entropy(out, target);
  };
  optim::AdamW opt(model->parameters(), {.lr = o.lr, .weight_decay = 1e-4});
  data::DataLoader loader(std::make_shared<data::InMemoryDataset>(train), {.batch_size = 32, .shuffle = true, .seed = o.seed});
  metrics::EarlyStopping stop({.patience = 30});
  int64_t epoch = 0;
  for (; epoch < o.epochs && !stop.should_stop(); ++epoch) {
    model->train();
    loader.begin_epoch(epoch);
    while (auto b = loader.next()) {
      model->zero_grad();
      Tensor loss = loss_of((*model)(b->inputs), b->targets);
      loss.backward();
      opt.step();
    }
    double val_loss = 0;
    {
      NoGradGuard ng;
      model->eval();
      val_loss = loss_of((*model)(val.inputs()), val.targets()).item<double>();
    }
    if (stop.update(val_loss, model.get()) || epoch % 50 == 0)
      std::printf("epoch %3lld  validation loss %.4f%s\n", static_cast<long long>(epoch + 1), val_loss,
                  stop.best_evaluation() == epoch ? "  (best)" : "");
  }
  if (!stop.has_best_weights()) {
    std::printf("FAILED: no finite validation loss in %lld epochs (training diverged)\n", static_cast<long long>(epoch));
    return 1;
  }
  stop.restore_best(*model);
  std::printf("stopped after %lld epochs; best validation loss %.4f at epoch %lld\n", static_cast<long long>(epoch),
              *stop.best(), static_cast<long long>(*stop.best_evaluation() + 1));

  // The model with its imputer and scaler is one file: a fresh model loaded from it predicts
  // the same, NaN inputs included.
  const std::filesystem::path saved =
      o.save.empty() ? std::filesystem::temp_directory_path() / ("tabular_" + std::to_string(::getpid()) + ".safetensors")
                     : std::filesystem::path(o.save);
  nn::save_weights(*model, saved);
  TableModel fresh(f, o.hidden, classes, regression);
  nn::load_weights(fresh, saved);
  if (o.save.empty()) std::filesystem::remove(saved);
  const Tensor out = model->predict(test.inputs());
  const bool same = (out - fresh.predict(test.inputs())).abs().max().item<double>() == 0.0;
  std::printf("reloaded model predicts %s\n", same ? "the same" : "DIFFERENTLY");

  bool ok = same;
  if (regression) {
    metrics::RegressionMetrics model_scores, baseline;
    model_scores.add(out, test.targets());
    baseline.add(train.targets().mean().expand(test.targets().shape()), test.targets());
    std::printf("test RMSE %.3f  MAE %.3f  R2 %.3f   baseline (training mean) RMSE %.3f  MAE %.3f\n",
                model_scores.rmse(), model_scores.mae(), model_scores.r2(), baseline.rmse(), baseline.mae());
    const double ratio = model_scores.rmse() / baseline.rmse();
    std::printf("RMSE ratio to baseline %.3f\n", ratio);
    if (o.max_rmse_ratio > 0 && !(ratio <= o.max_rmse_ratio)) {
      std::printf("FAILED: RMSE ratio %.3f above %.3f\n", ratio, o.max_rmse_ratio);
      ok = false;
    }
  } else {
    metrics::ConfusionMatrix confusion(classes), baseline(classes);
    confusion.add_scores(test.targets(), out);
    // The most frequent class of the training split, for every test row.
    std::vector<int64_t> counts(classes, 0);
    const int64_t* y = train.targets().data<int64_t>();
    for (int64_t i = 0; i < train.size(); ++i) ++counts[y[i]];
    const int64_t majority = std::max_element(counts.begin(), counts.end()) - counts.begin();
    const int64_t* t = test.targets().data<int64_t>();
    for (int64_t i = 0; i < test.size(); ++i) baseline.add(t[i], majority);
    std::printf("%s", confusion.render().c_str());
    std::printf("test accuracy %.4f  macro F1 %.4f   baseline (class %lld always) accuracy %.4f\n", confusion.accuracy(),
                confusion.macro_f1(), static_cast<long long>(majority), baseline.accuracy());
    if (!(confusion.accuracy() >= o.min_accuracy)) {
      std::printf("FAILED: accuracy %.4f below %.4f\n", confusion.accuracy(), o.min_accuracy);
      ok = false;
    }
  }
  return ok ? 0 : 1;
}
