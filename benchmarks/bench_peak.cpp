// bench_peak: the machine's measured f32 FMA peak (GFLOP/s, one thread and all threads), and
// what fraction of it a model's training reaches at a given throughput. The loop keeps 12
// independent FMA chains in registers (more than latency x ports on the cores here), so it
// runs at the FMA units' rate; AVX-512 where the CPU has it, else AVX2.
//
//   bench_peak [--threads T] [--model resnet20] [--input C,H,W] [--images-per-s X]
// The model's FLOPs per image are counted from its convolutions and linear layers (2 per
// multiply-add; stage k of a ResNet runs at 1/2^(k-1) of the input's side, 1/2^(k+1) behind
// torchvision's stride-2 stem and max-pool, which resnet50 gets as in bench_train), training as 3x the
// forward pass (forward, gradient of the input, gradient of the weights); batch norm, ReLU and
// pooling are left out (memory-bound, a few percent of the arithmetic).
#include <immintrin.h>
#include <omp.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <ember/ember.h>
#include <ember/layers/layers.h>

#include "bench_util.h"

namespace {

constexpr int kChains = 12;

__attribute__((target("avx512f"))) double fma_loop_avx512(int64_t iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += _mm512_reduce_add_ps(acc[i]);
  bench::escape(&sink);
  return static_cast<double>(iters) * kChains * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fma_loop_avx2(int64_t iters) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; ++n)
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  alignas(32) float out[8];
  float sink = 0;
  for (int i = 0; i < kChains; ++i) {
    _mm256_store_ps(out, acc[i]);
    for (float v : out) sink += v;
  }
  bench::escape(&sink);
  return static_cast<double>(iters) * kChains * 8 * 2;
}

// GFLOP/s of `threads` threads running the loop at once: the best of `rounds`.
double peak_gflops(int threads, bool avx512, int rounds = 7) {
  const int64_t iters = 20'000'000;
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    double flops = 0;
    const auto t0 = bench::Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    flops += avx512 ? fma_loop_avx512(iters) : fma_loop_avx2(iters);
    best = std::max(best, flops / bench::seconds_since(t0) / 1e9);
  }
  return best;
}

// Forward FLOPs per image: 2 per multiply-add of every convolution and linear layer.
double forward_flops(const std::string& model, int64_t c, int64_t h, int64_t w) {
  ember::nn::ModelOptions mo;
  mo.num_classes = 10;
  mo.in_channels = c;
  mo.small_input = model != "resnet50";  // as bench_train builds them
  mo.in_features = c * h * w;
  auto m = ember::nn::make_model(model, mo);
  double flops = 0;
  for (auto& [name, mod] : m->named_modules()) {
    if (auto* conv = dynamic_cast<ember::nn::Conv2d*>(mod)) {
      // The side's divisor at the conv's output.
      int64_t scale = mo.small_input ? 1 : 2;
      if (name.rfind("layer", 0) == 0)
        scale = int64_t{1} << (std::atoi(name.c_str() + 5) - (mo.small_input ? 1 : -1));
      const auto& s = conv->weight.shape();
      flops += 2.0 * static_cast<double>(s[0] * s[1] * s[2] * s[3]) * static_cast<double>((h / scale) * (w / scale));
    } else if (auto* lin = dynamic_cast<ember::nn::Linear*>(mod)) {
      flops += 2.0 * static_cast<double>(lin->weight.numel());
    }
  }
  return flops;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = omp_get_max_threads();
  std::string model = "resnet20";
  int64_t c = 1, h = 28, w = 28;
  double ips = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--model" && i + 1 < argc) model = argv[++i];
    else if (a == "--input" && i + 1 < argc) std::sscanf(argv[++i], "%ld,%ld,%ld", &c, &h, &w);
    else if (a == "--images-per-s" && i + 1 < argc) ips = std::atof(argv[++i]);
    else {
      fmt::print(stderr, "usage: {} [--threads T] [--model M] [--input C,H,W] [--images-per-s X]\n", argv[0]);
      return 2;
    }
  }
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !__builtin_cpu_supports("fma")) {
    fmt::print("bench_peak: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 0;
  }
  const ember::CpuInfo cpu = ember::cpu_info();
  const double one = peak_gflops(1, avx512), all = peak_gflops(threads, avx512);
  fmt::print("cpu {} (oneDNN: {}), FMA loop {}\n", cpu.model, cpu.isa, avx512 ? "AVX-512 (16 f32 lanes)" : "AVX2 (8 f32 lanes)");
  fmt::print("peak f32: {:.1f} GFLOP/s on 1 thread, {:.1f} GFLOP/s on {} threads\n", one, all, threads);
  const double fwd = forward_flops(model, c, h, w);
  fmt::print("{} at {}x{}x{}: {:.1f} MFLOP forward, {:.1f} MFLOP per trained image (3x)\n", model, c, h, w, fwd / 1e6,
             3 * fwd / 1e6);
  if (ips > 0)
    fmt::print("training at {:.0f} images/s: {:.1f} GFLOP/s, {:.1f}% of the {}-thread peak\n", ips, ips * 3 * fwd / 1e9,
               100 * ips * 3 * fwd / 1e9 / all, threads);
  return 0;
}
