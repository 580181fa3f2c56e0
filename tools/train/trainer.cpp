#include "tools/train/trainer.h"

#include <omp.h>

#include <cmath>
#include <filesystem>
#include <unistd.h>

#include <ember/ember.h>
#include <ember/core/safetensors.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

#include "tools/train/data_setup.h"
#include "tools/train/progress.h"
#include "tools/train/report.h"

namespace ember::train {
namespace {

std::unique_ptr<optim::Optimizer> make_optimizer(const Options& o, nn::Module& model, double lr) {
  // Common recipe: no weight decay on BN parameters and biases (all 1-D parameters).
  std::vector<Tensor> decay, no_decay;
  for (auto& [name, p] : model.named_parameters()) {
    if (!p.requires_grad()) continue;
    (p.dim() <= 1 && !o.decay_norm_and_bias ? no_decay : decay).push_back(p);
  }
  std::vector<optim::ParamGroup> groups;
  groups.push_back({.params = decay, .weight_decay = o.weight_decay});
  if (!no_decay.empty()) groups.push_back({.params = no_decay, .weight_decay = 0.0});
  if (o.optimizer == "sgd")
    return std::make_unique<optim::SGD>(groups, optim::SGDOptions{.lr = lr, .momentum = o.momentum});
  if (o.optimizer == "adam") return std::make_unique<optim::Adam>(groups, optim::AdamOptions{.lr = lr});
  return std::make_unique<optim::AdamW>(groups, optim::AdamWOptions{.lr = lr});
}

std::unique_ptr<optim::LRScheduler> make_schedule(const Options& o, optim::Optimizer& opt, double lr,
                                                  int64_t steps_per_epoch) {
  const int64_t total = o.epochs * steps_per_epoch;
  const int64_t warmup = static_cast<int64_t>(std::llround(o.warmup_epochs * static_cast<double>(steps_per_epoch)));
  if (o.schedule == "onecycle") {
    optim::OneCycleOptions oc;
    if (warmup > 0) oc.pct_start = std::min(0.9, static_cast<double>(warmup) / static_cast<double>(total));
    return std::make_unique<optim::OneCycleLR>(opt, lr, total, oc);
  }
  std::unique_ptr<optim::LRScheduler> after;
  if (o.schedule == "cosine") after = std::make_unique<optim::CosineAnnealingLR>(opt, std::max<int64_t>(total - warmup, 1));
  if (o.schedule == "step")
    after = std::make_unique<optim::StepLR>(opt, std::max<int64_t>(total / 3, 1), 0.1);
  if (warmup > 0) return std::make_unique<optim::LinearWarmup>(opt, std::move(after), warmup);
  return after;
}

struct EvalResult {
  double loss = 0, acc = 0;
};

EvalResult evaluate(nn::Module& model, data::DataLoader& loader, Device dev, ConfusionMatrix* confusion) {
  NoGradGuard ng;
  model.eval();
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  loader.begin_epoch(0);
  while (auto b = loader.next()) {
    Tensor x = b->inputs.to(dev), y = b->targets.to(dev);
    Tensor logits = model(x);
    loss_sum += cross_entropy(logits, y, Reduction::Sum).item<double>();
    Tensor pred = argmax(logits, 1).cpu();
    correct += sum(eq(pred, b->targets)).item<int64_t>();
    seen += y.numel();
    if (confusion) {
      auto p = pred.to_vector<int64_t>(), t = b->targets.to_vector<int64_t>();
      for (size_t i = 0; i < p.size(); ++i) confusion->add(t[i], p[i]);
    }
  }
  model.train();
  return {seen ? loss_sum / static_cast<double>(seen) : 0.0,
          seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0};
}

}  // namespace

double run(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const Device dev = parse_device(o.device);
  manual_seed(o.seed);
  Generator init_gen(o.seed);

  DataSetup d = make_data(o);
  nn::ModelOptions mo;
  mo.num_classes = d.num_classes;
  mo.in_channels = d.channels;
  mo.small_input = true;
  mo.in_features = d.channels * d.height * d.width;
  mo.generator = &init_gen;
  std::shared_ptr<nn::Module> model = nn::make_model(o.model, mo);
  model->to(dev);

  const double lr = o.lr.value_or(o.optimizer == "sgd" ? 0.1 : 1e-3);
  auto opt = make_optimizer(o, *model, lr);
  const int64_t steps = d.train->num_batches();
  EMBER_CHECK(steps > 0, ValueError, "ember-train: batch size {} is larger than the training set ({} images)",
              o.batch_size, d.train->dataset().size());
  auto schedule = make_schedule(o, *opt, lr, steps);

  std::filesystem::create_directories(o.out);
  MetricsFile metrics(std::filesystem::path(o.out) / "metrics.csv");
  fmt::print("ember-train: {} on {} ({} train / {} test images, {}x{}x{}), {} parameters, device {}, {} threads\n",
             o.model, o.dataset, d.train->dataset().size(), d.test->dataset().size(), d.channels, d.height, d.width,
             model->num_parameters(), dev, omp_get_max_threads());
  fmt::print("  optimizer {} lr {} (schedule {}, warmup {} epochs), weight decay {}, batch {}, augment {}, seed {}\n",
             o.optimizer, lr, o.schedule, o.warmup_epochs, o.weight_decay, o.batch_size, o.augment, o.seed);
  std::fflush(stdout);

  const bool live = !o.quiet && isatty(fileno(stderr));
  double test_acc = 0;
  ConfusionMatrix confusion(d.num_classes);
  model->train();
  for (int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    Progress bar(fmt::format("epoch {}/{}", epoch + 1, o.epochs), steps, live);
    d.train->begin_epoch(epoch);
    double lr_now = opt->param_groups()[0].lr.value_or(lr);
    while (auto b = d.train->next()) {
      Tensor x = b->inputs.to(dev), y = b->targets.to(dev);
      Tensor logits = (*model)(x);
      Tensor loss = cross_entropy(logits, y, Reduction::Mean, o.label_smoothing);
      opt->zero_grad();
      loss.backward();
      opt->step();
      if (schedule) schedule->step();
      const double lv = loss.item<double>();
      EMBER_CHECK(std::isfinite(lv), ValueError,
                  "ember-train: the loss became {} at epoch {} batch {}; lower --lr (now {})", lv, epoch + 1,
                  b->index, lr_now);
      int64_t correct;
      {
        NoGradGuard ng;
        correct = sum(eq(argmax(logits, 1), y)).item<int64_t>();
      }
      bar.update(y.numel(), lv, correct);
    }
    const double secs = bar.finish();
    const bool last = epoch + 1 == o.epochs;
    EvalResult ev = evaluate(*model, *d.test, dev, last ? &confusion : nullptr);
    test_acc = ev.acc;
    const double ips = static_cast<double>(steps * o.batch_size) / secs;
    fmt::print("epoch {:>3}  train loss {:.4f} acc {:6.2f}%  test loss {:.4f} acc {:6.2f}%  lr {:.4g}  {:.1f}s  {:.0f} img/s\n",
               epoch + 1, bar.mean_loss(), 100 * bar.accuracy(), ev.loss, 100 * ev.acc, lr_now, secs, ips);
    std::fflush(stdout);
    metrics.write({epoch + 1, bar.mean_loss(), bar.accuracy(), ev.loss, ev.acc, lr_now, secs, ips});
  }
  fmt::print("\nconfusion matrix (test set)\n{}", confusion.render(d.class_names));
  std::vector<std::pair<std::string, Tensor>> weights;
  for (const auto& [name, t] : model->state_dict()) weights.emplace_back(name, t);
  auto weights_path = std::filesystem::path(o.out) / "model.safetensors";
  save_safetensors(weights_path, weights);
  fmt::print("final test accuracy {:.2f}%; wrote {} and {}\n", 100 * test_acc,
             (std::filesystem::path(o.out) / "metrics.csv").string(), weights_path.string());
  return test_acc;
}

}  // namespace ember::train
