#include "tools/train/trainer.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <unistd.h>

#include <ember/core/anomaly.h>
#include <ember/ember.h>
#include <ember/core/safetensors.h>
#include <ember/layers/layers.h>
#include <ember/metrics/progress.h>
#include <ember/optim/clip.h>
#include <ember/optim/optim.h>

#include "tools/train/checkpoint.h"
#include "tools/train/data_setup.h"
#include "tools/train/report.h"
#include "tools/train/run_log.h"
#include "tools/train/run_report.h"

namespace ember::train {
using metrics::Progress;
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

// A running loss sum and correct count kept on the (CUDA) device, so that a step queues its
// share of them instead of waiting for the GPU to hand back two numbers; only loss_sum() and
// correct() wait for it. The arithmetic is the host's: each loss is widened to f64 (exactly) and multiplied
// and added in f64, in the same order, so the totals do not depend on where they are summed.
class DeviceTotals {
 public:
  DeviceTotals(Device dev, double loss_sum, int64_t correct)
      : loss_sum_(from_vector<double>({loss_sum}, Shape{}, dev)),
        correct_(from_vector<int64_t>({correct}, Shape{}, dev)) {}
  // Adds loss * scale (`loss` a scalar of any float dtype, widened before the product, as the
  // host widens item<double>()) and the number of predictions equal to their targets.
  void add(const Tensor& loss, double scale, const Tensor& pred, const Tensor& targets) {
    NoGradGuard ng;
    Tensor wide = loss.detach().to(DType::f64);
    loss_sum_ = loss_sum_ + (scale == 1.0 ? wide : wide * scale);
    correct_ = correct_ + sum(eq(pred, targets));
  }
  double loss_sum() const { return loss_sum_.item<double>(); }
  int64_t correct() const { return correct_.item<int64_t>(); }

 private:
  Tensor loss_sum_, correct_;
};

struct EvalResult {
  double loss = 0, acc = 0;
};

// Fills `confusion` and `worst` where given (the last epoch's evaluation).
EvalResult evaluate(nn::Module& model, data::DataLoader& loader, Device dev, ConfusionMatrix* confusion,
                    WorstExamples* worst) {
  NoGradGuard ng;
  model.eval();
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  std::optional<DeviceTotals> totals;
  if (dev.is_cuda()) totals.emplace(dev, 0.0, 0);
  loader.begin_epoch(0);
  while (auto b = loader.next()) {
    // Non-blocking: nothing writes into a batch the loader has handed out (see the training loop).
    Tensor x = b->inputs.to(dev, true), y = b->targets.to(dev, true);
    Tensor logits = model(x);
    Tensor pred;
    if (totals) {
      Tensor on_device = argmax(logits, 1);
      totals->add(cross_entropy(logits, y, Reduction::sum), 1.0, on_device, y);
      if (confusion) pred = on_device.cpu();
    } else {
      loss_sum += cross_entropy(logits, y, Reduction::sum).item<double>();
      pred = argmax(logits, 1).cpu();
      correct += sum(eq(pred, b->targets)).item<int64_t>();
    }
    if (worst) worst->add(seen, cross_entropy(logits, y, Reduction::none), pred.defined() ? pred : argmax(logits, 1), y);
    seen += y.numel();
    if (confusion) {
      auto p = pred.to_vector<int64_t>(), t = b->targets.to_vector<int64_t>();
      for (size_t i = 0; i < p.size(); ++i) confusion->add(t[i], p[i]);
    }
  }
  if (totals) {
    loss_sum = totals->loss_sum();
    correct = totals->correct();
  }
  model.train();
  return {seen ? loss_sum / static_cast<double>(seen) : 0.0,
          seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0};
}

// The caching allocator's counters, after the first epoch (when the working set is known)
// and at the end: a growing cudaMalloc count in a steady loop means a leak or fragmentation.
void print_device_memory(Device dev, const char* when) {
  if (!dev.is_cuda()) return;
  fmt::print("  {}: {}\n", when, cuda::memory_summary(dev.index));
}

// The run directory that --resume names (a run directory, or one of its checkpoints).
std::filesystem::path resume_run_dir(const std::filesystem::path& resume) {
  std::error_code ec;
  if (std::filesystem::exists(resume / "state.json", ec)) return resume.parent_path().parent_path();
  return resume;
}

// Puts a loaded checkpoint into the freshly built trainer. Everything that can be checked
// without changing anything is checked first; the optimizer's and the module's loads then
// check their own dicts before they change anything.
void restore(const Checkpoint& c, nn::Module& model, optim::Optimizer& opt, optim::LRScheduler* schedule,
             Generator& init_gen, int64_t steps_per_epoch) {
  EMBER_CHECK(c.position.batch <= steps_per_epoch, ValueError,
              "ember-train: the checkpoint is at batch {} of an epoch, which has {} batches", c.position.batch,
              steps_per_epoch);
  EMBER_CHECK(c.has_schedule == (schedule != nullptr), ValueError,
              "ember-train: the checkpoint {} a learning-rate schedule state, this run {}",
              c.has_schedule ? "has" : "has no", schedule ? "uses one" : "none");
  if (schedule) {
    auto it = c.schedule.strings.find("type");
    EMBER_CHECK(it != c.schedule.strings.end() && it->second == schedule->name(), ValueError,
                "ember-train: the checkpoint's schedule is '{}', this run's is '{}'",
                it == c.schedule.strings.end() ? "?" : it->second, schedule->name());
  }
  std::map<std::string, const Tensor*> saved;
  for (const auto& [name, t] : c.model) saved[name] = &t;
  std::string problems;
  nn::StateDict current = model.state_dict();
  for (const auto& [name, t] : current) {
    auto it = saved.find(name);
    if (it == saved.end()) {
      problems += fmt::format("\n  missing: {}", name);
    } else if (it->second->shape() != t.shape() || it->second->dtype() != t.dtype()) {
      problems += fmt::format("\n  {}: checkpoint {} {}, model {} {}", name, shape_str(it->second->shape()),
                              it->second->dtype(), shape_str(t.shape()), t.dtype());
    }
  }
  for (const auto& [name, t] : c.model)
    if (!current.contains(name)) problems += fmt::format("\n  unexpected: {}", name);
  EMBER_CHECK(problems.empty(), ValueError, "ember-train: the checkpoint's model does not fit this model:{}", problems);

  opt.load_state_dict(c.optimizer);
  nn::StateDict weights;
  for (const auto& [name, t] : c.model) weights.insert(name, t);
  model.load_state_dict(weights);
  if (schedule) schedule->load_state_dict(c.schedule);
  default_generator().set_state(c.default_rng.seed, c.default_rng.offset);
  init_gen.set_state(c.init_rng.seed, c.init_rng.offset);
}

// --resume: the checkpoint, read and checked before anything is built. Names the run
// directory when --out does not.
std::optional<Checkpoint> read_resume_checkpoint(const Options& o, Device dev, std::filesystem::path& run_dir) {
  std::optional<Checkpoint> resumed;
  if (o.resume.empty()) return resumed;
  resumed = load_checkpoint(o.resume);
  check_resume_options(resumed->options, o, o.resume);
  if (run_dir.empty()) run_dir = resume_run_dir(o.resume);
  const data::LoaderPosition at = resumed->position;
  EMBER_CHECK(at.epoch < o.epochs || (at.epoch == o.epochs && at.batch == 0), ValueError,
              "ember-train: --epochs {} is fewer than the run in {} has already trained ({} epochs{})", o.epochs,
              o.resume, at.epoch, at.batch > 0 ? fmt::format(" and {} batches", at.batch) : "");
  if (resumed->options.epochs != o.epochs && o.schedule != "constant")
    fmt::print(stderr, "ember-train: note: the run had --epochs {}, now {}: the {} learning-rate schedule is laid "
                       "over {} epochs from here on, so the rate continues from its value at step {} of the {} "
                       "schedule\n", resumed->options.epochs, o.epochs, o.schedule, o.epochs, resumed->step,
               o.epochs > resumed->options.epochs ? "longer" : "shorter");
  if (resumed->options.threads != o.threads && dev.type == DeviceType::cpu)
    fmt::print(stderr, "ember-train: warning: resuming with --threads {} (the checkpoint used {}): the numbers "
                       "may differ in the last bits from an uninterrupted run\n", o.threads, resumed->options.threads);
  return resumed;
}

// The model for the dataset's inputs and classes, initialized from init_gen, on dev.
std::shared_ptr<nn::Module> build_model(const Options& o, const DataSetup& d, Generator& init_gen, Device dev) {
  nn::ModelOptions mo;
  mo.num_classes = d.num_classes;
  mo.in_channels = d.channels;
  mo.small_input = true;
  mo.in_features = d.channels * d.height * d.width;
  mo.generator = &init_gen;
  std::shared_ptr<nn::Module> model = nn::make_model(o.model, mo);
  model->to(dev);
  return model;
}

// What the training loop, its checkpoints and the run's end share. run() owns the parts
// (the model may keep a pointer to init_gen, so the generator stays where run() made it).
struct Session {
  const Options& o;
  const Device dev;
  const std::filesystem::path& run_dir;
  Generator& init_gen;
  DataSetup& d;
  nn::Module& model;
  optim::Optimizer& opt;
  optim::LRScheduler* schedule;  // null without a schedule
  const double lr;
  const int64_t steps;  // batches per epoch
  RunLog* log = nullptr;
  RunResult result{};
  data::LoaderPosition pos{};  // where training starts
  EpochProgress partial{};     // a resumed epoch's totals over its batches before pos.batch
  int64_t step = 0;            // optimizer steps done
  // For steps.csv's throughput: images trained since the last logged step, and when that was.
  int64_t images_since_log = 0;
  std::chrono::steady_clock::time_point last_log = std::chrono::steady_clock::now();
  // Evaluations and checkpoints are not training: the throughput restarts after them.
  void restart_throughput() {
    images_since_log = 0;
    last_log = std::chrono::steady_clock::now();
  }

  // Puts a checkpoint's state into the trainer and continues from where it stood.
  void resume(const Checkpoint& c) {
    restore(c, model, opt, schedule, init_gen, steps);
    pos = c.position;
    partial = c.progress;
    step = c.step;
    result.metrics = c.metrics;
  }
  // Saves a checkpoint at `at`; from a mid-epoch position, with the running totals of `bar`.
  std::filesystem::path save(data::LoaderPosition at, const Progress* bar, double lr_now) const;
  bool stop_now() const { return o.stop_after_steps > 0 && step >= o.stop_after_steps; }
  // On a GPU the epoch's loss sum and correct count stay on the device and are read back only
  // for the progress line, a checkpoint and the epoch's end, so that a step never waits for
  // the GPU; a non-finite loss is then caught at those points. --stop-on-nan still reads the
  // loss at every step: it must stop before the update that the bad loss would make.
  bool deferred() const { return dev.is_cuda(); }
  bool check_each_step() const { return !deferred() || o.stop_on_nan; }
};

std::filesystem::path Session::save(data::LoaderPosition at, const Progress* bar, double lr_now) const {
  Checkpoint c;
  c.step = step;
  c.position = at;
  c.default_rng = {default_generator().seed(), default_generator().offset()};
  c.init_rng = {init_gen.seed(), init_gen.offset()};
  c.options = o;
  c.options.out = run_dir.string();
  c.options.resume.clear();
  for (const auto& [name, t] : model.state_dict()) c.model.emplace_back(name, t);
  c.optimizer = opt.state_dict();
  if (schedule) {
    c.has_schedule = true;
    c.schedule = schedule->state_dict();
  }
  c.metrics = result.metrics;
  if (bar && at.batch > 0)
    c.progress = {bar->batches_done(), bar->seen(), bar->correct(), bar->loss_sum(), bar->elapsed(), lr_now};
  return save_checkpoint(run_dir, c, o.keep);
}

MachineInfo machine_info(Device dev) {
  MachineInfo m;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host = host;
  const CpuInfo cpu = cpu_info();
  m.cpu = cpu.model;
  m.isa = cpu.isa;
  m.threads = omp_get_max_threads();
  m.device = dev.is_cuda() ? fmt::format("{} ({})", dev, cuda::device_name(dev.index)) : fmt::format("{}", dev);
  return m;
}

// The run's first lines: what is trained on what, and with which settings.
void print_run_header(const Session& s, bool resumed) {
  const Options& o = s.o;
  fmt::print("ember-train: {} on {} ({} train / {} test images, {}x{}x{}), {} parameters, device {}, {} threads\n",
             o.model, o.dataset, s.d.train->dataset().size(), s.d.test->dataset().size(), s.d.channels, s.d.height,
             s.d.width, s.model.num_parameters(), s.dev, omp_get_max_threads());
  if (s.dev.is_cpu()) {
    const CpuInfo cpu = cpu_info();
    fmt::print("  cpu {}, oneDNN kernels for {}\n", cpu.model, cpu.isa);
  }
  fmt::print("  optimizer {} lr {} (schedule {}, warmup {} epochs), weight decay {}, batch {}, augment {}, seed {}\n",
             o.optimizer, s.lr, o.schedule, o.warmup_epochs, o.weight_decay, o.batch_size, o.augment, o.seed);
  if (resumed)
    fmt::print("  resumed from {} at epoch {} batch {} (step {})\n", o.resume, s.pos.epoch + 1, s.pos.batch, s.step);
  std::fflush(stdout);
}

// One epoch: its progress line, and on a GPU its loss sum and correct count, which stay on
// the device until sync() reads them back.
struct EpochState {
  EpochState(Session& session, int64_t epoch_index, metrics::ProgressOptions progress);
  // Brings the bar's totals up to date with batches [synced, upto).
  void sync(int64_t upto);

  Session& s;
  const int64_t epoch;
  Progress bar;
  const int64_t first;  // the first batch to train: pos.batch in the epoch a run resumes in, else 0
  double lr_now;
  std::optional<DeviceTotals> totals;  // only where the totals are deferred
  int64_t synced;                      // the bar's totals cover the batches before this one
};

EpochState::EpochState(Session& session, int64_t epoch_index, metrics::ProgressOptions progress)
    : s(session),
      epoch(epoch_index),
      bar(fmt::format("epoch {}/{}", epoch_index + 1, session.o.epochs), session.steps, progress),
      first(epoch_index == session.pos.epoch ? session.pos.batch : 0),
      lr_now(session.opt.param_groups()[0].lr.value_or(session.lr)),
      synced(first) {
  if (first > 0) {
    bar.restore(s.partial.batches, s.partial.seen, s.partial.correct, s.partial.loss_sum, s.partial.seconds);
    lr_now = s.partial.lr;
  }
  if (s.deferred()) totals.emplace(s.dev, bar.loss_sum(), bar.correct());
}

void EpochState::sync(int64_t upto) {
  if (!totals) return;
  const double loss_sum = totals->loss_sum();
  if (!std::isfinite(loss_sum))
    EMBER_THROW(ValueError,
                "ember-train: the loss became {} at epoch {}, in batches {} to {} (on a GPU the loss is read "
                "back only for the progress line, checkpoints and the epoch's end; --stop-on-nan checks every "
                "batch); lower --lr (now {})",
                loss_sum, epoch + 1, synced, upto - 1, lr_now);
  bar.set_totals(loss_sum, totals->correct());
  synced = upto;
}

// Adds a trained batch's loss and correct count to the epoch's totals: on the device where
// they are deferred (read back only when the progress line is due), else on the host at once.
void count_batch(EpochState& e, const data::Batch& b, const Tensor& loss, const Tensor& logits, const Tensor& y,
                 double lv) {
  if (e.totals) {
    {
      NoGradGuard ng;
      e.totals->add(loss, static_cast<double>(y.numel()), argmax(logits, 1), y);
    }
    if (e.bar.tick(y.numel())) {
      e.sync(b.index + 1);
      e.bar.redraw();
    }
  } else {
    int64_t correct;
    {
      NoGradGuard ng;
      correct = sum(eq(argmax(logits, 1), y)).item<int64_t>();
    }
    e.bar.update(y.numel(), lv, correct);
  }
}

// A row of steps.csv and TensorBoard's step scalars. On a GPU it waits for the step (the
// loss and the gradient norm are read back), once every --log-every steps.
void log_step(EpochState& e, const Tensor& loss, double lv, double lr_used) {
  Session& s = e.s;
  const double loss_value = s.check_each_step() ? lv : loss.item<double>();
  const double grad_norm = optim::grad_norm(s.model.parameters());
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - s.last_log).count();
  const double ips = secs > 0 ? static_cast<double>(s.images_since_log) / secs : 0.0;
  s.log->log_step({s.step, e.epoch + 1, loss_value, lr_used, ips, grad_norm});
  s.images_since_log = 0;
  s.last_log = now;
}

// One optimizer (and schedule) step on batch b, counted in the epoch's totals.
void train_batch(EpochState& e, const data::Batch& b) {
  Session& s = e.s;
  const Options& o = s.o;
  // From pinned batches (make_data asks for them on a GPU) the uploads are queued on the
  // stream rather than waited for. That is safe because the loader never writes into a
  // batch it has handed out, and the pinned block of a freed batch is reused only once its
  // copy is done.
  Tensor x = b.inputs.to(s.dev, true), y = b.targets.to(s.dev, true);
  Tensor logits, loss;
  double lv = 0;
  // The loss is checked before the update, so that --stop-on-nan saves the last good state.
  const auto save_before_failing = [&] {
    if (!o.stop_on_nan) return;
    e.sync(b.index);
    auto dir = s.save({e.epoch, b.index}, &e.bar, e.lr_now);
    fmt::print(stderr, "\nember-train: --stop-on-nan: saved the state before this batch in {}\n", dir.string());
  };
  try {
    logits = s.model(x);
    loss = cross_entropy(logits, y, Reduction::mean, o.label_smoothing);
    if (s.check_each_step()) {
      lv = loss.item<double>();
      if (!std::isfinite(lv)) {
        save_before_failing();
        EMBER_THROW(ValueError, "ember-train: the loss became {} at epoch {} batch {}; lower --lr (now {})", lv,
                    e.epoch + 1, b.index, e.lr_now);
      }
    }
    s.opt.zero_grad();
    loss.backward();
  } catch (const AnomalyError&) {
    save_before_failing();
    throw;
  }
  const double lr_used = s.opt.param_groups()[0].lr.value_or(s.lr);
  s.opt.step();
  if (s.schedule) s.schedule->step();
  ++s.step;
  count_batch(e, b, loss, logits, y, lv);
  s.images_since_log += y.numel();
  if (s.log->step_due(s.step)) log_step(e, loss, lv, lr_used);
}

// Trains the epoch's batches, saving the mid-epoch checkpoints that are due. Returns false
// when --stop-after-steps stops the run at one of them.
bool train_batches(EpochState& e) {
  Session& s = e.s;
  const Options& o = s.o;
  s.d.train->begin_epoch(e.epoch, e.first);
  while (auto b = s.d.train->next()) {
    train_batch(e, *b);
    // Mid-epoch checkpoints; one that falls on the epoch's last batch waits for its evaluation.
    if (b->index + 1 < s.steps && ((o.checkpoint_every > 0 && s.step % o.checkpoint_every == 0) || s.stop_now())) {
      e.sync(b->index + 1);
      s.save({e.epoch, b->index + 1}, &e.bar, e.lr_now);
      s.restart_throughput();
      if (s.stop_now()) {
        e.bar.finish();
        return false;
      }
    }
  }
  return true;
}

// Ends the epoch's training: evaluates on the test set (filling `confusion` and `worst` where given),
// prints the epoch's line and records its metrics. Returns the test accuracy.
double end_epoch(EpochState& e, MetricsFile& metrics, ConfusionMatrix* confusion, WorstExamples* worst) {
  Session& s = e.s;
  e.sync(s.steps);
  const double secs = e.bar.finish();
  EvalResult ev = evaluate(s.model, *s.d.test, s.dev, confusion, worst);
  const double ips = static_cast<double>(s.steps * s.o.batch_size) / secs;
  fmt::print("epoch {:>3}  train loss {:.4f} acc {:6.2f}%  test loss {:.4f} acc {:6.2f}%  lr {:.4g}  {:.1f}s  {:.0f} img/s\n",
             e.epoch + 1, e.bar.mean_loss(), 100 * e.bar.accuracy(), ev.loss, 100 * ev.acc, e.lr_now, secs, ips);
  EpochMetrics row{e.epoch + 1, e.bar.mean_loss(), e.bar.accuracy(), ev.loss, ev.acc, e.lr_now, secs, ips};
  metrics.write(row);
  s.result.metrics.push_back(row);
  s.log->log_epoch(row, s.step, s.model);
  return ev.acc;
}

// The checkpoint after an epoch: when one is due by --checkpoint-every (every epoch without
// it), and always after the last epoch and before a stop, so that the run can go on from there.
void save_epoch_checkpoint(const EpochState& e, bool last, bool stop) {
  const Session& s = e.s;
  if (s.o.checkpoint_every == 0 || s.step % s.o.checkpoint_every == 0 || last || stop) {
    std::filesystem::path where = s.save({e.epoch + 1, 0}, nullptr, e.lr_now);
    fmt::print("  checkpoint {}\n", where.string());
  }
}

// An image as a person should see it: u8 as it is, floats stretched to 0..255.
Tensor display_image(const Tensor& image) {
  NoGradGuard ng;
  if (image.dtype() == DType::u8) return image.contiguous();
  Tensor f = image.to(DType::f32);
  const double lo = amin(f).item<double>(), hi = amax(f).item<double>();
  Tensor scaled = hi > lo ? (f - lo) * (255.0 / (hi - lo)) : f * 0.0;
  return clamp(scaled + 0.5, 0.0, 255.0).to(DType::u8).contiguous();
}

// report.html from the run's files. A failure is a warning: the training it reports on is saved.
bool write_report_or_warn(const std::filesystem::path& run_dir) {
  try {
    write_run_report(run_dir);
    return true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-train: warning: the report was not written: {}\n", e.what());
    return false;
  }
}

// --resume of a run that has trained all its epochs: nothing is trained and no file changes.
RunResult already_trained(Session& s) {
  fmt::print("ember-train: the run in {} has trained all its {} epochs (step {}); nothing to do. Give --epochs N "
             "(more than {}) with --resume to train it further\n",
             s.run_dir.string(), s.o.epochs, s.step, s.o.epochs);
  s.result.test_acc = s.result.metrics.empty() ? 0.0 : s.result.metrics.back().test_acc;
  s.result.steps = s.step;
  for (const auto& [name, t] : s.model.state_dict()) s.result.weights.emplace_back(name, t);
  return std::move(s.result);
}

// Where the resumed run's earlier sessions left their files (another folder when --out moves
// the run), so that the new session continues their steps.csv, run.json and TensorBoard curves.
RunLog::Earlier earlier_session(const Options& saved, const std::filesystem::path& resume) {
  const std::filesystem::path dir = resume_run_dir(resume);
  return {dir, tensorboard_folder(saved, dir)};
}

// The result of a run that --stop-after-steps ended before its last epoch was done.
RunResult stopped_early(Session& s) {
  fmt::print("stopped after step {} (--stop-after-steps); resume with --resume {}\n", s.step, s.run_dir.string());
  s.log->end(s.step, "stopped", 0.0);
  write_report_or_warn(s.run_dir);
  s.result.steps = s.step;
  s.result.stopped = true;
  return std::move(s.result);
}

// The end of a run that trained all its epochs: the last evaluation's confusion matrix and
// the final weights, written next to metrics.csv.
RunResult finish_run(Session& s, const ConfusionMatrix& confusion, WorstExamples& worst, double test_acc,
                     bool evaluated) {
  print_device_memory(s.dev, "at the end");
  fmt::print("\nconfusion matrix (test set)\n{}", confusion.render(s.d.class_names));
  std::vector<std::pair<std::string, Tensor>> weights;
  for (const auto& [name, t] : s.model.state_dict()) weights.emplace_back(name, t);
  auto weights_path = s.run_dir / "model.safetensors";
  save_safetensors(weights_path, weights);
  // The training is saved: what follows is for people to look at, and a failure there is a
  // warning, not a failed run.
  try {
    if (evaluated) {
      for (WorstExample& w : worst.examples()) w.image = display_image(s.d.test->dataset().get(w.index).input);
      s.log->write_evaluation(s.result.metrics.back().epoch, s.step, confusion, s.d.class_names, worst.examples());
    }
    s.log->end(s.step, "finished", test_acc);
  } catch (const std::exception& e) {
    fmt::print(stderr, "ember-train: warning: the run's evaluation files were not written: {}\n", e.what());
  }
  const bool reported = write_report_or_warn(s.run_dir);
  fmt::print("final test accuracy {:.2f}%; wrote {}, {}{}{}\n", 100 * test_acc, (s.run_dir / "metrics.csv").string(),
             weights_path.string(), reported ? " and " : "", reported ? (s.run_dir / "report.html").string() : "");
  if (s.log->tensorboard_dir())
    fmt::print("TensorBoard: tensorboard --logdir {}\n", s.log->tensorboard_dir()->string());
  s.result.test_acc = test_acc;
  s.result.steps = s.step;
  s.result.weights = std::move(weights);
  return std::move(s.result);
}

}  // namespace

RunResult run(const Options& o) {
  namespace fs = std::filesystem;
  if (o.threads > 0) omp_set_num_threads(o.threads);
  if (o.detect_anomaly) set_detect_anomaly(true);
  const Device dev = parse_device(o.device);

  // Read and check the checkpoint before building anything.
  fs::path run_dir = o.out;
  const std::optional<Checkpoint> resumed = read_resume_checkpoint(o, dev, run_dir);
  EMBER_CHECK(!run_dir.empty(), ValueError, "ember-train: --out is empty");
  // An unwritable output or TensorBoard folder stops the run now, before the data is loaded
  // and before any file of the run is touched.
  check_output_folders(o, run_dir);

  manual_seed(o.seed);
  Generator init_gen(o.seed);

  DataSetup d = make_data(o);
  std::shared_ptr<nn::Module> model = build_model(o, d, init_gen, dev);
  const double lr = o.lr.value_or(o.optimizer == "sgd" ? 0.1 : 1e-3);
  auto opt = make_optimizer(o, *model, lr);
  const int64_t steps = d.train->num_batches();
  EMBER_CHECK(steps > 0, ValueError, "ember-train: batch size {} is larger than the training set ({} images)",
              o.batch_size, d.train->dataset().size());
  auto schedule = make_schedule(o, *opt, lr, steps);

  Session s{.o = o, .dev = dev, .run_dir = run_dir, .init_gen = init_gen, .d = d, .model = *model, .opt = *opt,
            .schedule = schedule.get(), .lr = lr, .steps = steps};
  if (resumed) s.resume(*resumed);
  if (resumed && s.pos.epoch == o.epochs) return already_trained(s);
  RunLog log(o, run_dir, s.step, steps, machine_info(dev),
             resumed ? std::optional<RunLog::Earlier>(earlier_session(resumed->options, o.resume)) : std::nullopt);
  MetricsFile metrics(run_dir / "metrics.csv", s.result.metrics);
  s.log = &log;
  print_run_header(s, resumed.has_value());

  metrics::ProgressOptions progress;
  progress.style = o.quiet ? metrics::ProgressStyle::off : metrics::ProgressStyle::automatic;
  progress.line_seconds = o.progress_seconds;
  progress.final_line = false;  // the epoch's summary line follows
  double test_acc = s.result.metrics.empty() ? 0.0 : s.result.metrics.back().test_acc;
  ConfusionMatrix confusion(d.num_classes);
  WorstExamples worst(16);
  bool evaluated = false;
  model->train();
  try {
    s.restart_throughput();
    for (int64_t epoch = s.pos.epoch; epoch < o.epochs; ++epoch) {
      EpochState e(s, epoch, progress);
      if (!train_batches(e)) return stopped_early(s);
      const bool last = epoch + 1 == o.epochs;
      test_acc = end_epoch(e, metrics, last ? &confusion : nullptr, last ? &worst : nullptr);
      evaluated = evaluated || last;
      const bool stop = s.stop_now() && !last;
      save_epoch_checkpoint(e, last, stop);
      s.restart_throughput();
      if (epoch == s.pos.epoch) print_device_memory(dev, "after the first epoch");
      std::fflush(stdout);
      if (stop) return stopped_early(s);
    }
  } catch (const std::exception& e) {
    // A failed run still says how it ended and shows what it got to.
    try {
      log.end(s.step, fmt::format("failed: {}", e.what()), 0.0);
    } catch (const std::exception&) {
    }
    write_report_or_warn(run_dir);
    throw;
  }
  return finish_run(s, confusion, worst, test_acc, evaluated);
}

}  // namespace ember::train
