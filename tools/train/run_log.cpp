#include "tools/train/run_log.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <unistd.h>

#include <fmt/format.h>

#include <ember/core/error.h>
#include <ember/core/ops/shape_ops.h>
#include <ember/data/file_util.h>
#include <ember/data/image_io.h>

#include "tools/train/checkpoint.h"

namespace ember::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// run.json of an earlier session, or nothing when there is none or it cannot be read (the
// report then shows only this session: the checkpoint, not run.json, is what resumes a run).
json read_run_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return json();
  try {
    json j = json::parse(in);
    if (j.is_object() && j.contains("sessions") && j["sessions"].is_array()) return j;
  } catch (const json::exception&) {
  }
  fmt::print(stderr, "ember-train: warning: {} is not a run file; its earlier sessions are left out of it\n",
             p.string());
  return json();
}

// The steps.csv rows up to `upto`, of a run resumed there. A damaged file (a crash can cut its
// last line) keeps the rows before the damage, with a warning, and does not stop the run.
std::vector<StepMetrics> steps_before(const fs::path& p, int64_t upto) {
  std::vector<StepMetrics> kept;
  std::error_code ec;
  if (!fs::exists(p, ec)) return kept;
  std::string problem;
  for (const StepMetrics& m : read_steps_file(p, &problem))
    if (m.step <= upto) kept.push_back(m);
  if (!problem.empty()) fmt::print(stderr, "ember-train: warning: {}; the rows before it are kept\n", problem);
  return kept;
}

// The folder exists and takes a file.
void check_writable(const fs::path& dir, const char* what) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  EMBER_CHECK(!ec, IOError, "ember-train: cannot create the {} folder {}: {}", what, dir.string(), ec.message());
  const fs::path probe = dir / fmt::format(".write-test-{}", ::getpid());
  {
    std::ofstream f(probe);
    EMBER_CHECK(f.good() && (f << "x").good() && f.flush().good(), IOError,
                "ember-train: cannot write in the {} folder {}", what, dir.string());
  }
  fs::remove(probe, ec);
}

bool has_event_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().find("tfevents") != std::string::npos) return true;
  return false;
}

}  // namespace

std::optional<fs::path> tensorboard_folder(const Options& o, const fs::path& run_dir) {
  if (o.tensorboard_off) return std::nullopt;
  return o.tensorboard.empty() ? run_dir / "tb" : fs::path(o.tensorboard);
}

void check_output_folders(const Options& o, const fs::path& run_dir) {
  check_writable(run_dir, "output");
  if (auto tb = tensorboard_folder(o, run_dir)) check_writable(*tb, "TensorBoard");
}

void WorstExamples::add(int64_t first, const Tensor& losses, const Tensor& predicted, const Tensor& targets) {
  const std::vector<double> l = losses.cpu().to(DType::f64).to_vector<double>();
  const std::vector<int64_t> p = predicted.cpu().to_vector<int64_t>(), t = targets.cpu().to_vector<int64_t>();
  for (size_t i = 0; i < l.size(); ++i) {
    // NaN losses count as the worst of all.
    const double key = std::isnan(l[i]) ? INFINITY : l[i];
    if (static_cast<int64_t>(kept_.size()) == k_ && !(key > losses_.back())) continue;
    const auto at = std::upper_bound(losses_.begin(), losses_.end(), key, std::greater<double>()) - losses_.begin();
    losses_.insert(losses_.begin() + at, key);
    kept_.insert(kept_.begin() + at,
                 WorstExample{first + static_cast<int64_t>(i), t[i], p[i], std::exp(-l[i]), Tensor()});
    if (static_cast<int64_t>(kept_.size()) > k_) {
      losses_.pop_back();
      kept_.pop_back();
    }
  }
}

RunLog::RunLog(const Options& o, const fs::path& run_dir, int64_t from_step, int64_t steps_per_epoch,
               MachineInfo machine, const std::optional<Earlier>& earlier)
    : run_dir_(run_dir), log_every_(o.log_every), histograms_(o.histograms), started_(now_seconds()) {
  EMBER_CHECK(o.log_every >= 1, ValueError, "ember-train: --log-every must be 1 or more, got {}", o.log_every);
  std::error_code ec;
  if (!earlier) {
    // What an earlier run in this folder left would be taken for this run's.
    for (const char* f : {"evaluation.json", "report.html", "run.json"}) fs::remove(run_dir / f, ec);
    fs::remove_all(run_dir / "worst", ec);
  }
  tb_dir_ = tensorboard_folder(o, run_dir);
  if (tb_dir_) {
    // A run moved to another --out takes its curves along.
    if (earlier && earlier->tensorboard && fs::exists(*earlier->tensorboard, ec) &&
        !fs::equivalent(*earlier->tensorboard, *tb_dir_, ec))
      for (const auto& e : fs::directory_iterator(*earlier->tensorboard, ec))
        if (e.path().filename().string().find("tfevents") != std::string::npos)
          fs::copy_file(e.path(), *tb_dir_ / e.path().filename(), fs::copy_options::skip_existing, ec);
    metrics::SummaryWriterOptions wo;
    // After a resume, the earlier files' events past the checkpoint are dropped; in a new run,
    // all of an earlier run's.
    if (earlier) wo.purge_step = from_step + 1;
    else if (has_event_files(*tb_dir_)) wo.purge_step = 0;
    tb_ = std::make_unique<metrics::SummaryWriter>(*tb_dir_, wo);
  }
  std::vector<StepMetrics> done;
  if (earlier) done = steps_before(earlier->run_dir / "steps.csv", from_step);
  steps_ = std::make_unique<StepsFile>(run_dir / "steps.csv", done);

  if (earlier) run_ = read_run_json(earlier->run_dir / "run.json");
  if (run_.is_null()) run_ = json{{"format", "ember-train-run"}, {"version", 1}, {"sessions", json::array()}};
  // The options and machine of the latest session; each session keeps its own machine too.
  run_["options"] = options_to_json(o);
  run_["steps_per_epoch"] = steps_per_epoch;
  json m = {{"host", machine.host}, {"cpu", machine.cpu}, {"isa", machine.isa}, {"device", machine.device},
            {"threads", machine.threads}};
  run_["machine"] = m;
  run_["sessions"].push_back(
      {{"started", utc_now()}, {"from_step", from_step}, {"to_step", from_step}, {"seconds", 0.0},
       {"ended", nullptr}, {"machine", m}});
  write_run_json();
  if (tb_) {
    std::string table = "| option | value |\n|---|---|\n";
    for (const auto& [k, v] : run_["options"].items()) table += fmt::format("| {} | {} |\n", k, v.dump());
    tb_->add_text("config", table, from_step);
  }
}

void RunLog::write_run_json() { data::write_file_atomically(run_dir_ / "run.json", run_.dump(1) + "\n", "ember-train"); }

void RunLog::log_step(const StepMetrics& m) {
  steps_->write(m);
  if (!tb_) return;
  tb_->add_scalar("train/loss", m.loss, m.step);
  tb_->add_scalar("train/lr", m.lr, m.step);
  tb_->add_scalar("train/images_per_s", m.images_per_s, m.step);
  tb_->add_scalar("train/grad_norm", m.grad_norm, m.step);
}

void RunLog::log_epoch(const EpochMetrics& m, int64_t step, const nn::Module& model) {
  json& s = run_["sessions"].back();
  s["to_step"] = step;
  s["seconds"] = now_seconds() - started_;
  write_run_json();
  if (!tb_) return;
  tb_->add_scalar("epoch/train_loss", m.train_loss, step);
  tb_->add_scalar("epoch/train_acc", m.train_acc, step);
  tb_->add_scalar("epoch/test_loss", m.test_loss, step);
  tb_->add_scalar("epoch/test_acc", m.test_acc, step);
  tb_->add_scalar("epoch/lr", m.lr, step);
  tb_->add_scalar("epoch/seconds", m.seconds, step);
  tb_->add_scalar("epoch/images_per_s", m.images_per_s, step);
  tb_->add_scalar("epoch/epoch", static_cast<double>(m.epoch), step);
  if (histograms_) {
    // A histogram cannot place NaN or infinities: such a tensor is named and skipped, and
    // training goes on (its loss, not a histogram, decides whether the run is broken).
    const auto histogram = [&](const std::string& tag, const Tensor& t) {
      try {
        tb_->add_histogram(tag, t, step);
      } catch (const ValueError& e) {
        fmt::print(stderr, "ember-train: warning: no histogram {} at step {}: {}\n", tag, step, e.what());
      }
    };
    for (const auto& [name, p] : model.named_parameters()) {
      histogram("weights/" + name, p);
      if (p.grad().defined()) histogram("grads/" + name, p.grad());
    }
  }
}

void RunLog::write_evaluation(int64_t epoch, int64_t step, const ConfusionMatrix& confusion,
                              const std::vector<std::string>& class_names, const std::vector<WorstExample>& worst) {
  const std::string folder = checkpoint_name(step);
  const fs::path dir = run_dir_ / "worst" / folder;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  json rows = json::array();
  for (int64_t t = 0; t < confusion.num_classes(); ++t) {
    json row = json::array();
    for (int64_t p = 0; p < confusion.num_classes(); ++p) row.push_back(confusion.count(t, p));
    rows.push_back(row);
  }
  json examples = json::array();
  for (size_t i = 0; i < worst.size(); ++i) {
    const WorstExample& w = worst[i];
    const std::string file = fmt::format("worst/{}/{:03}.png", folder, i);
    data::write_png(run_dir_ / file, w.image);
    examples.push_back({{"index", w.index}, {"truth", w.truth}, {"predicted", w.predicted},
                        {"p_truth", std::isfinite(w.p_truth) ? json(w.p_truth) : json(nullptr)}, {"png", file}});
    if (tb_ && i < 8) tb_->add_image(fmt::format("worst/{}", i), w.image, step);
  }
  json j = {{"format", "ember-train-evaluation"}, {"version", 1}, {"epoch", epoch}, {"class_names", class_names},
            {"confusion", rows}, {"worst", examples}};
  data::write_file_atomically(run_dir_ / "evaluation.json", j.dump(1) + "\n", "ember-train");
  for (const auto& e : fs::directory_iterator(run_dir_ / "worst", ec))
    if (e.path().filename() != folder) fs::remove_all(e.path(), ec);
}

void RunLog::end(int64_t to_step, const std::string& how, double test_acc) {
  json& s = run_["sessions"].back();
  s["to_step"] = to_step;
  s["seconds"] = now_seconds() - started_;
  s["ended"] = how;
  write_run_json();
  if (!tb_) return;
  if (how == "finished") {
    std::map<std::string, metrics::SummaryWriter::HParam> hp;
    for (const auto& [k, v] : run_["options"].items()) {
      if (v.is_boolean()) hp[k] = v.get<bool>();
      else if (v.is_number()) hp[k] = v.get<double>();
      else if (v.is_string()) hp[k] = v.get<std::string>();
    }
    tb_->add_hparams(hp, {{"epoch/test_acc", test_acc}});
  }
  tb_->flush();
}

}  // namespace ember::train
