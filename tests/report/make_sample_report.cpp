// Writes a report with every section filled, for check_report.py to render in Chromium:
// three charts of several series (one on a log axis, with a resume marker and a gap), a
// 10-class confusion matrix and 16 worst-classified examples as PNGs.
//   make_sample_report OUT.html
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <numbers>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <ember/data/image_io.h>
#include <ember/ember.h>
#include <ember/metrics/report.h>

using namespace ember;
using ember::metrics::Chart;
using ember::metrics::Series;

namespace {

// A fixed noise source, so the page is the same on every run.
struct Noise {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  double next() {  // uniform in [-1, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 4503599627370496.0 - 1.0;
  }
};

const std::vector<std::string> kClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::vector<Chart> charts(Noise& noise) {
  const int steps = 4000, steps_per_epoch = 400, resumed_at = 1200;
  Series train{"train loss", {}, {}}, val{"validation loss", {}, {}};
  for (int s = 0; s < steps; ++s) {
    train.x.push_back(s);
    // The steps lost to the interrupted run are a gap.
    const bool lost = s >= resumed_at - 60 && s < resumed_at;
    train.y.push_back(lost ? NAN : 2.3 * std::exp(-s / 700.0) + 0.18 + 0.05 * noise.next());
  }
  for (int e = 1; e <= steps / steps_per_epoch; ++e) {
    val.x.push_back(e * steps_per_epoch);
    val.y.push_back(2.3 * std::exp(-e * steps_per_epoch / 800.0) + 0.26 + 0.01 * noise.next());
  }
  Chart loss{"loss", "Loss", "step", "cross-entropy", {train, val}, true, {double(resumed_at)}};

  Series train_acc{"train accuracy", {}, {}}, val_acc{"validation accuracy", {}, {}}, test_acc{"test accuracy", {}, {}};
  for (int e = 1; e <= 10; ++e) {
    train_acc.x.push_back(e), train_acc.y.push_back(0.95 - 0.3 * std::exp(-e / 2.0) + 0.004 * noise.next());
    val_acc.x.push_back(e), val_acc.y.push_back(0.91 - 0.3 * std::exp(-e / 2.2) + 0.006 * noise.next());
  }
  test_acc.x = {10}, test_acc.y = {0.89};
  Chart acc{"accuracy", "Accuracy", "epoch", "accuracy", {train_acc, val_acc, test_acc}, false, {3}};

  Series lr_body{"lr (body)", {}, {}}, lr_head{"lr (head)", {}, {}};
  for (int s = 0; s < steps; s += 10) {
    const double warm = std::min(1.0, s / 300.0);
    const double cosine = 0.5 * (1 + std::cos(std::numbers::pi * s / steps));
    lr_body.x.push_back(s), lr_body.y.push_back(0.05 * warm * cosine);
    lr_head.x.push_back(s), lr_head.y.push_back(0.1 * warm * cosine);
  }
  Chart lr{"lr", "Learning rate", "step", "learning rate", {lr_body, lr_head}, false, {double(resumed_at)}};
  return {loss, acc, lr};
}

std::vector<std::vector<int64_t>> confusion(Noise& noise) {
  std::vector<std::vector<int64_t>> m(10, std::vector<int64_t>(10, 0));
  for (int t = 0; t < 10; ++t) {
    int64_t left = 1000;
    for (int p = 0; p < 10; ++p) {
      if (p == t) continue;
      // Shirts, T-shirts, pullovers and coats are confused with each other most.
      const bool alike = (t == 0 || t == 2 || t == 4 || t == 6) && (p == 0 || p == 2 || p == 4 || p == 6);
      const int64_t n = static_cast<int64_t>((alike ? 45 : 4) * (1.2 + noise.next()));
      m[t][p] = n;
      left -= n;
    }
    m[t][t] = left;
  }
  return m;
}

// A 28x28 grey picture with a different shape per example (rings, bars, a blob).
std::vector<uint8_t> example_png(int k, Noise& noise) {
  const int h = 28, w = 28, c = k % 4 == 3 ? 3 : 1;
  std::vector<uint8_t> px(static_cast<size_t>(c * h * w));
  for (int ch = 0; ch < c; ++ch)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double dx = x - 13.5, dy = y - 13.5, r = std::sqrt(dx * dx + dy * dy);
        double v = 0;
        if (k % 3 == 0) v = std::fabs(r - 4 - k % 5) < 2.2 ? 1 : 0;
        if (k % 3 == 1) v = (x / (2 + k % 4)) % 2 == 0 && r < 12 ? 0.9 : 0;
        if (k % 3 == 2) v = std::exp(-r * r / (20.0 + 4 * k));
        v = std::clamp(v * (ch == 1 ? 0.6 : 1.0) + 0.05 * noise.next(), 0.0, 1.0);
        px[static_cast<size_t>((ch * h + y) * w + x)] = static_cast<uint8_t>(std::lround(v * 255));
      }
  return data::encode_png(from_vector<uint8_t>(px, {c, h, w}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.html\n", argv[0]);
    return 2;
  }
  try {
    Noise noise;
    metrics::RunReport r;
    r.title = "fashion-mnist / small CNN — sample report";
    r.summary = {{"test accuracy", "90.5%"},
                 {"best validation accuracy", "90.9% (epoch 9)"},
                 {"final train loss", "0.184"},
                 {"epochs", "10"},
                 {"wall time", "4 min 12 s"}};
    r.charts = charts(noise);
    r.class_names = kClasses;
    r.confusion = confusion(noise);
    for (int k = 0; k < 16; ++k) {
      const int truth = (k * 7) % 10, predicted = (k * 3 + 1) % 10 == truth ? (truth + 1) % 10 : (k * 3 + 1) % 10;
      r.worst.push_back({example_png(k, noise), fmt::format("true: {}\npredicted: {} ({:.2f})", kClasses[truth],
                                                            kClasses[predicted], 0.99 - 0.03 * k)});
    }
    r.config = {{"model", "cnn-small (2 conv, 2 linear)"},
                {"optimizer", "SGD momentum 0.9, weight decay 5e-4"},
                {"learning rate", "0.05 body / 0.1 head, warm-up 300 steps, cosine"},
                {"batch size", "128"},
                {"epochs", "10"},
                {"seed", "1234"},
                {"data", "/usr/share/fashion-mnist (60000 train / 10000 test)"}};
    r.machine = {{"host", "sample-host"}, {"CPU", "2 cores"}, {"GPU", "none (CPU run)"}, {"ember", "0.1.0"}};
    r.timings = {{"total", "252.0 s"}, {"per epoch", "25.2 s"}, {"data loading", "8%"}, {"forward + backward", "81%"}};
    r.notes = {"resumed at epoch 3 (step 1200) from checkpoint-epoch2.safetensors",
               "steps 1140-1199 of the interrupted run were lost and are a gap in the loss curve"};
    metrics::write_report(argv[1], r);
    std::printf("make_sample_report: wrote %s\n", argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_sample_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
