#include "tools/train/run_report.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <ember/core/error.h>
#include <ember/data/file_util.h>

#include "tools/train/report.h"

namespace ember::train {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A JSON file of the run, or null when it is not there. Present but unreadable is an error.
json read_json_file(const fs::path& p, const char* format) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return json();
  std::ifstream in(p);
  EMBER_CHECK(in.good(), IOError, "{} cannot be read", p.string());
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    EMBER_THROW(IOError, "{} is not valid JSON (truncated?): {}", p.string(), e.what());
  }
  EMBER_CHECK(j.is_object() && j.value("format", "") == format, IOError,
              "{} is not an {} file", p.string(), format);
  return j;
}

std::string text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string duration(double s) {
  if (!(s >= 0)) return "?";
  const auto t = static_cast<int64_t>(std::llround(s));
  if (t >= 3600) return fmt::format("{}h {:02}m {:02}s", t / 3600, t / 60 % 60, t % 60);
  if (t >= 60) return fmt::format("{}m {:02}s", t / 60, t % 60);
  return fmt::format("{:.1f} s", s);
}

metrics::Series series(std::string name, const std::vector<double>& x, std::vector<double> y) {
  return {std::move(name), x, std::move(y)};
}

template <class Row, class F>
std::vector<double> column(const std::vector<Row>& rows, F f) {
  std::vector<double> v;
  for (const Row& r : rows) v.push_back(f(r));
  return v;
}

void add_charts(metrics::RunReport& r, const std::vector<EpochMetrics>& epochs, const std::vector<StepMetrics>& steps,
                const std::vector<double>& resumed_steps, int64_t steps_per_epoch) {
  const std::vector<double> ex = column(epochs, [](const EpochMetrics& m) { return double(m.epoch); });
  std::vector<double> epoch_markers;
  if (steps_per_epoch > 0)
    for (double s : resumed_steps) epoch_markers.push_back(s / double(steps_per_epoch));
  r.charts.push_back({"loss-epoch", "Loss per epoch", "epoch", "cross-entropy",
                      {series("train", ex, column(epochs, [](const EpochMetrics& m) { return m.train_loss; })),
                       series("test", ex, column(epochs, [](const EpochMetrics& m) { return m.test_loss; }))},
                      false, epoch_markers});
  r.charts.push_back({"accuracy-epoch", "Accuracy per epoch", "epoch", "accuracy (%)",
                      {series("train", ex, column(epochs, [](const EpochMetrics& m) { return 100 * m.train_acc; })),
                       series("test", ex, column(epochs, [](const EpochMetrics& m) { return 100 * m.test_acc; }))},
                      false, epoch_markers});
  const std::vector<double> sx = column(steps, [](const StepMetrics& m) { return double(m.step); });
  r.charts.push_back({"loss-step", "Training loss per step (one batch each)", "optimizer step", "cross-entropy",
                      {series("batch loss", sx, column(steps, [](const StepMetrics& m) { return m.loss; }))}, false,
                      resumed_steps});
  r.charts.push_back({"lr-step", "Learning rate", "optimizer step", "learning rate",
                      {series("lr", sx, column(steps, [](const StepMetrics& m) { return m.lr; }))}, false,
                      resumed_steps});
  r.charts.push_back({"grad-norm-step", "Gradient norm (global 2-norm, before the update)", "optimizer step",
                      "norm",
                      {series("grad norm", sx, column(steps, [](const StepMetrics& m) { return m.grad_norm; }))},
                      true, resumed_steps});
  r.charts.push_back(
      {"throughput", "Throughput", "optimizer step", "images/s",
       {series("between logged steps", sx, column(steps, [](const StepMetrics& m) { return m.images_per_s; })),
        series("epoch mean", column(epochs, [&](const EpochMetrics& m) { return double(m.epoch * steps_per_epoch); }),
               column(epochs, [](const EpochMetrics& m) { return m.images_per_s; }))},
       false, resumed_steps});
}

void add_evaluation(metrics::RunReport& r, const fs::path& run_dir, const json& ev) {
  const fs::path file = run_dir / "evaluation.json";
  try {
    r.class_names = ev.at("class_names").get<std::vector<std::string>>();
    r.confusion = ev.at("confusion").get<std::vector<std::vector<int64_t>>>();
  } catch (const json::exception& e) {
    EMBER_THROW(IOError, "{}: bad confusion matrix or class names: {}", file.string(), e.what());
  }
  const auto name = [&](int64_t k) {
    return k >= 0 && k < static_cast<int64_t>(r.class_names.size()) ? r.class_names[k] : std::to_string(k);
  };
  for (const json& w : ev.value("worst", json::array())) {
    metrics::ReportImage img;
    fs::path png;
    int64_t index = 0, truth = 0, predicted = 0;
    try {
      png = run_dir / w.at("png").get<std::string>();
      index = w.at("index").get<int64_t>();
      truth = w.at("truth").get<int64_t>();
      predicted = w.at("predicted").get<int64_t>();
    } catch (const json::exception& e) {
      EMBER_THROW(IOError, "{}: bad worst-example entry {}: {}", file.string(), w.dump(), e.what());
    }
    try {
      img.png = data::read_file_bytes(png, "ember-train report");
    } catch (const IOError& e) {
      EMBER_THROW(IOError, "{} (the image listed in {})", e.what(), file.string());
    }
    const json& p = w.value("p_truth", json());
    img.caption = fmt::format("test #{}\ntrue: {}\npredicted: {}{}", index, name(truth), name(predicted),
                              p.is_number() ? fmt::format(" (p(true) {:.3f})", p.get<double>()) : "");
    r.worst.push_back(std::move(img));
  }
  r.summary.emplace_back("evaluated after epoch", text(ev.value("epoch", json("?"))));
}

}  // namespace

metrics::RunReport build_run_report(const fs::path& run_dir) {
  std::error_code ec;
  EMBER_CHECK(fs::is_directory(run_dir, ec), IOError, "{} is not a folder (no such run?)",
              run_dir.string());
  EMBER_CHECK(fs::exists(run_dir / "metrics.csv", ec), IOError,
              "{} has no metrics.csv: not an ember-train run folder?", run_dir.string());
  const std::vector<EpochMetrics> epochs = read_metrics_file(run_dir / "metrics.csv");
  std::vector<StepMetrics> steps;
  if (fs::exists(run_dir / "steps.csv", ec)) steps = read_steps_file(run_dir / "steps.csv");
  const json run = read_json_file(run_dir / "run.json", "ember-train-run");
  const json ev = read_json_file(run_dir / "evaluation.json", "ember-train-evaluation");

  metrics::RunReport r;
  const json opts = run.is_object() ? run.value("options", json::object()) : json::object();
  r.title = fmt::format("ember-train: {} on {}", text(opts.value("model", json("?"))),
                        text(opts.value("dataset", json("?"))));
  const int64_t steps_per_epoch = run.is_object() ? run.value("steps_per_epoch", int64_t{0}) : 0;

  // Sessions: one per start of the run; every one after the first is a resume.
  std::vector<double> resumed_steps;
  double session_seconds = 0;
  int64_t last_step = steps.empty() ? 0 : steps.back().step;  // run.json's is exact; steps.csv's a multiple of --log-every
  std::string status = "?";
  if (run.is_object()) {
    int n = 0;
    for (const json& s : run.value("sessions", json::array())) {
      ++n;
      const int64_t from = s.value("from_step", int64_t{0}), to = s.value("to_step", int64_t{0});
      const double secs = s.value("seconds", 0.0);
      session_seconds += secs;
      last_step = to;
      const json& ended = s.value("ended", json());
      status = ended.is_string() ? ended.get<std::string>() : "interrupted (no end recorded)";
      r.timings.emplace_back(fmt::format("session {}", n),
                             fmt::format("started {}, steps {} to {}, {}, {}", text(s.value("started", json("?"))),
                                         from, to, duration(secs), status));
      if (n > 1) {
        resumed_steps.push_back(double(from));
        r.notes.push_back(fmt::format("Resumed at step {}{} (session {}).", from,
                                      steps_per_epoch > 0 ? fmt::format(", epoch {:.2f}", double(from) / double(steps_per_epoch)) : "",
                                      n));
      }
    }
    for (const auto& [k, v] : opts.items()) r.config.emplace_back(k, text(v));
    const json machine = run.value("machine", json::object());
    for (const auto& [k, v] : machine.items()) r.machine.emplace_back(k, text(v));
  } else {
    r.notes.push_back("No run.json: the options, machine and sessions of this run are unknown.");
  }

  if (!epochs.empty()) {
    const EpochMetrics& last = epochs.back();
    auto best = epochs.begin();
    for (auto it = epochs.begin(); it != epochs.end(); ++it)
      if (it->test_acc > best->test_acc) best = it;
    r.summary.emplace_back("test accuracy (last epoch)", fmt::format("{:.2f}%", 100 * last.test_acc));
    r.summary.emplace_back("best test accuracy", fmt::format("{:.2f}% (epoch {})", 100 * best->test_acc, best->epoch));
    r.summary.emplace_back("test loss (last epoch)", fmt::format("{:.4f}", last.test_loss));
    double train_secs = 0, images = 0;
    for (const EpochMetrics& m : epochs) {
      train_secs += m.seconds;
      images += m.images_per_s * m.seconds;
    }
    r.summary.emplace_back("training time", duration(train_secs));
    r.timings.emplace_back("training (sum of epochs)", duration(train_secs));
    if (train_secs > 0) r.timings.emplace_back("mean throughput", fmt::format("{:.0f} images/s", images / train_secs));
  } else {
    r.notes.push_back("No epoch has finished yet.");
  }
  r.summary.emplace_back("epochs", fmt::format("{} of {}", epochs.size(), text(opts.value("epochs", json("?")))));
  if (last_step > 0) r.summary.emplace_back("optimizer steps", std::to_string(last_step));
  r.summary.emplace_back("status", status);
  if (session_seconds > 0) r.timings.emplace_back("wall time (all sessions)", duration(session_seconds));

  add_charts(r, epochs, steps, resumed_steps, steps_per_epoch);
  if (ev.is_object()) add_evaluation(r, run_dir, ev);
  else r.notes.push_back("No evaluation.json: the run has not finished its last epoch, so there is no confusion matrix.");
  return r;
}

fs::path write_run_report(const fs::path& run_dir) {
  const metrics::RunReport r = build_run_report(run_dir);
  const fs::path out = run_dir / "report.html";
  metrics::write_report(out, r);
  return out;
}

int report_main(int argc, char** argv) {
  CLI::App app{"ember-train report: write OUT/report.html from the files of the run in OUT"};
  std::string dir;
  app.add_option("OUT", dir, "the run folder (ember-train's --out)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    const fs::path p = write_run_report(dir);
    fmt::print("wrote {}\n", p.string());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ember-train report: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace ember::train
