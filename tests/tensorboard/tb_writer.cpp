// Writes the log directories that check_tensorboard.py reads back with TensorBoard's own
// reader. Every value is a function of its step that the checker computes again, so nothing
// is passed between the two but the log directory.
//   tb_writer main LOGDIR           scalars, histograms, images, text and hparams
//   tb_writer small LOGDIR          a few records of every kind (the truncation test)
//   tb_writer loop LOGDIR           scalars and text until killed; "started" once the file exists
//   tb_writer crashed LOGDIR N      steps 0..N-1, then exits without closing (a crash)
//   tb_writer resume LOGDIR P M     purge_step P, steps P..M-1 with new values
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <ember/ember.h>
#include <ember/metrics/summary_writer.h>

using namespace ember;
using ember::metrics::SummaryWriter;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Values at the edges of f32, cycled by step under the tag "extreme".
const std::vector<double> kExtremes = {1e-30, 1e30, -1e30, 1e-45, 3.4e38, std::nan(""), kInf, -kInf,
                                       0.0,   -0.0, 1e300, 0.1,   -2.5,   1.0 / 3.0,    1e-38, 16777217.0};

// pixel(c, y, x) of the test images, as in check_tensorboard.py.
int pixel(int c, int y, int x) { return (x * 7 + y * 13 + c * 50) % 256; }

Tensor u8_image(int c, int h, int w) {
  Tensor t = empty({c, h, w}, DType::u8);
  uint8_t* d = t.data<uint8_t>();
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) d[(k * h + y) * w + x] = static_cast<uint8_t>(pixel(k, y, x));
  return t;
}

// [H, W] floats: pixel / 255, except every 11th pixel below 0 or above 1 (clamped).
Tensor float_image(int h, int w) {
  Tensor t = empty({h, w}, DType::f32);
  float* d = t.data<float>();
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int i = y * w + x;
      d[i] = i % 11 == 0 ? (i % 2 ? 1.75f : -0.5f) : static_cast<float>(pixel(0, y, x) / 255.0);
    }
  return t;
}

void write_main(const std::string& logdir) {
  SummaryWriter w(logdir);
  double lr = 0.1;
  for (int s = 0; s < 500; ++s) {
    w.add_scalar("loss", 1.0 / (s + 1), s);
    w.add_scalar("acc", s / 500.0, s);
    w.add_scalar("lr", lr, s);
    lr *= 0.99;
    w.add_scalar("extreme", kExtremes[s % kExtremes.size()], s);
    w.add_scalar("timed", s * 0.25, s, 1.6e9 + s * 1.5);
  }
  for (int k = 0; k < 3; ++k) {
    std::vector<double> v;
    for (int i = 0; i < 100; ++i) v.push_back(i * 0.5 - 7 + k);  // exact in binary
    w.add_histogram("weights", v, k, 8);
  }
  // Tensors: an integer one, and a float one on 30 buckets whose edges are not exact.
  std::vector<int32_t> g;
  std::vector<float> act;
  for (int i = 0; i < 1000; ++i) {
    g.push_back((i * 37) % 1000 - 500);
    act.push_back(static_cast<float>(((i * 53) % 777) / 8.0 - 30));
  }
  w.add_histogram("grads", from_vector<int32_t>(g, {10, 100}), 0);
  w.add_histogram("activations", from_vector<float>(act, {1000}), 0, 30);
  w.add_histogram("constant", std::vector<double>(5, 2.5), 0);
  w.add_histogram("empty", std::vector<double>{}, 0);
  w.add_image("image/rgb", u8_image(3, 20, 30), 0);
  w.add_image("image/rgba", u8_image(4, 8, 8), 1);
  w.add_image("image/gray_float", float_image(20, 30), 2);
  w.add_text("notes", "**bold** and `code`", 0);
  w.add_text("notes", "ünïcödé ✓ — step 10", 10);
  w.add_hparams({{"lr", 0.01}, {"optimizer", std::string("adam")}, {"batch_norm", true}, {"layers", 4.0}},
                {{"loss", 1.0 / 500}, {"acc/final", 0.93}});
}

void write_small(const std::string& logdir) {
  SummaryWriter w(logdir);
  for (int s = 0; s < 12; ++s) {
    w.add_scalar("a", s * 1.5, s);
    if (s % 3 == 0) w.add_text("t", std::string(static_cast<size_t>(10 + s * 7), 'x'), s);
    if (s % 4 == 0) w.add_histogram("h", std::vector<double>{1.0 * s, 2.0, 3.0}, s, 3);
    if (s % 5 == 0) w.add_image("i", u8_image(1, 3, 2), s);
  }
}

[[noreturn]] void write_loop(const std::string& logdir) {
  SummaryWriter w(logdir);
  std::printf("started %s\n", w.file().c_str());
  std::fflush(stdout);
  for (int64_t s = 0;; ++s) {
    w.add_scalar("loop", s * 0.5, s);
    // Longer records now and then, so that a kill can land inside one.
    if (s % 10 == 0) w.add_text("loop_text", std::string(static_cast<size_t>(1000 + (s * 997) % 60000), 'y'), s);
    ::usleep(200);  // a few thousand records, not a million, before the kill
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "main" && argc == 3) {
      write_main(argv[2]);
    } else if (mode == "small" && argc == 3) {
      write_small(argv[2]);
    } else if (mode == "loop" && argc == 3) {
      write_loop(argv[2]);
    } else if (mode == "crashed" && argc == 4) {
      SummaryWriter w(argv[2]);
      const int n = std::atoi(argv[3]);
      for (int s = 0; s < n; ++s) {
        w.add_scalar("loss", s, s);
        w.add_scalar("acc", s * 0.5, s);
        w.add_scalar("only_before", -s, s);
      }
      std::_Exit(3);  // no destructor: what was logged must already be in the file
    } else if (mode == "resume" && argc == 5) {
      const int p = std::atoi(argv[3]), m = std::atoi(argv[4]);
      SummaryWriter w(argv[2], {.purge_step = p});
      for (int s = p; s < m; ++s) {
        w.add_scalar("loss", 1000 + s, s);
        w.add_scalar("acc", 1000 + s * 0.5, s);
      }
    } else {
      std::fprintf(stderr,
                   "usage: tb_writer main|small|loop LOGDIR | crashed LOGDIR N | resume LOGDIR PURGE_STEP END\n");
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tb_writer: %s\n", e.what());
    return 1;
  }
  return 0;
}
