// bench_core: ember's CPU building blocks against what they are built on or bounded by,
// measured in the same run: f32 matmul against oneDNN's sgemm called directly (ember's
// matmul is a oneDNN primitive plus dispatch, allocation and primitive caching, so the
// ratio is the price of that wrapping), and add / sum against memcpy (both are memory
// bound at 16M floats, so the bandwidth of memcpy on the same threads is the ceiling
// they should approach).
//
//   bench_core [--json PATH] [--seconds S]
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.h>

#include <ember/ember.h>

#include "bench_util.h"

namespace {

struct Options {
  std::string json = "bench_core.json";
  double seconds = 2.0;  // sampling time per ember/reference pair
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) {
      o.json = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      o.seconds = std::atof(argv[++i]);
    } else {
      const bool help = a == "--help" || a == "-h";
      fmt::print(help ? stdout : stderr, "usage: {} [--json PATH] [--seconds S]\n", argv[0]);
      std::exit(help ? 0 : 2);
    }
  }
  return o;
}

// A wrong result would make any speed meaningless, so each case checks its output once.
void require(bool ok, const std::string& what) {
  if (!ok) {
    fmt::print(stderr, "bench_core: wrong result: {}\n", what);
    std::exit(1);
  }
}

bench::Row bench_matmul(int64_t M, int64_t K, int64_t N, double seconds) {
  ember::Tensor a = ember::randn({M, K});
  ember::Tensor b = ember::randn({K, N});
  std::vector<float> c(static_cast<size_t>(M * N));
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  // oneDNN's sgemm is row-major: C[M,N] = A[M,K] · B[K,N].
  auto ref = [&] {
    dnnl_status_t st = dnnl_sgemm('N', 'N', M, N, K, 1.f, ap, K, bp, N, 0.f, c.data(), N);
    require(st == dnnl_success, "dnnl_sgemm failed");
    bench::escape(c.data());
  };
  auto ours = [&] {
    ember::Tensor y = ember::matmul(a, b);
    bench::escape(y.data<float>());
  };

  ref();
  ember::Tensor y = ember::matmul(a, b);
  const float* yp = y.data<float>();
  double max_err = 0;
  for (int64_t i = 0; i < M * N; ++i) max_err = std::max(max_err, std::abs(double(yp[i]) - double(c[i])));
  require(max_err <= 1e-3 * std::sqrt(double(K)), fmt::format("matmul {}x{}x{}: max |ember - sgemm| = {}", M, K, N, max_err));

  bench::PairTiming t = bench::measure_pair(ours, ref, seconds);
  const double gflop = 2.0 * M * N * K * 1e-9;
  bench::Row r;
  r.op = "matmul f32";
  r.size = M == K && K == N ? fmt::format("{}^3", M) : fmt::format("{}x{}x{}", M, K, N);
  r.unit = "GF/s";
  r.reference = "dnnl_sgemm";
  r.ours = gflop / t.ours_s;
  r.ref = gflop / t.ref_s;
  r.ours_s = t.ours_s;
  r.ref_s = t.ref_s;
  r.spread = t.spread;
  r.samples = t.samples;
  r.goal = 0.95;
  return r;
}

// Copies the same bytes as one operand, run in the same rounds as the ember op. Each
// OpenMP thread copies its own slice: ember's loops use every thread, and a single
// thread's memcpy can fall well short of what the memory system delivers to all of them,
// which would flatter ember.
struct Memcpy {
  const float* src;
  std::vector<float> dst;
  explicit Memcpy(const ember::Tensor& t) : src(t.data<float>()), dst(static_cast<size_t>(t.numel()), 1.f) {}
  void operator()() {
    const size_t n = dst.size();
#pragma omp parallel
    {
      const size_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      const size_t b = n * t / nt, e = n * (t + 1) / nt;
      std::memcpy(dst.data() + b, src + b, (e - b) * sizeof(float));
    }
    bench::escape(dst.data());
  }
};

bench::Row bandwidth_row(const char* op, int64_t n, double bytes_moved, const bench::PairTiming& t, double memcpy_bytes) {
  bench::Row r;
  r.op = op;
  r.size = fmt::format("{}M f32", n >> 20);
  r.unit = "GB/s";
  r.reference = fmt::format("memcpy {}thr", omp_get_max_threads());
  r.ours = bytes_moved / t.ours_s * 1e-9;
  r.ref = memcpy_bytes / t.ref_s * 1e-9;
  r.ours_s = t.ours_s;
  r.ref_s = t.ref_s;
  r.spread = t.spread;
  r.samples = t.samples;
  r.goal = 0.7;
  return r;
}

bench::Row bench_add(int64_t n, double seconds) {
  ember::Tensor a = ember::randn({n});
  ember::Tensor b = ember::randn({n});
  Memcpy ref(a);
  {
    ember::Tensor c = a + b;
    const float *ap = a.data<float>(), *bp = b.data<float>(), *cp = c.data<float>();
    for (int64_t i = 0; i < n; i += 4099) require(cp[i] == ap[i] + bp[i], fmt::format("add at {}", i));
  }
  auto ours = [&] {
    ember::Tensor c = a + b;
    bench::escape(c.data<float>());
  };
  bench::PairTiming t = bench::measure_pair(ours, ref, seconds);
  const double buf = 4.0 * static_cast<double>(n);
  return bandwidth_row("add", n, 3 * buf, t, 2 * buf);
}

// The same kernel as bench_add without allocating the 64 MiB output, to tell the cost of
// the loop from that of fresh memory.
bench::Row bench_add_inplace(int64_t n, double seconds) {
  ember::Tensor a = ember::randn({n});
  ember::Tensor b = ember::randn({n});
  Memcpy ref(b);
  {
    ember::Tensor expect = a + b;
    a.add_(b);
    const float *ap = a.data<float>(), *ep = expect.data<float>();
    for (int64_t i = 0; i < n; i += 4099) require(ap[i] == ep[i], fmt::format("add_ at {}", i));
  }
  auto ours = [&] { a.add_(b); };
  bench::PairTiming t = bench::measure_pair(ours, ref, seconds);
  const double buf = 4.0 * static_cast<double>(n);
  return bandwidth_row("add_", n, 3 * buf, t, 2 * buf);
}

bench::Row bench_sum(int64_t n, double seconds) {
  ember::Tensor x = ember::randn({n});
  Memcpy ref(x);
  {
    const float* xp = x.data<float>();
    double expect = 0, mag = 0;
    for (int64_t i = 0; i < n; ++i) {
      expect += xp[i];
      mag += std::abs(xp[i]);
    }
    double got = ember::sum(x).item<float>();
    require(std::abs(got - expect) <= 1e-6 * mag, fmt::format("sum: {} vs {}", got, expect));
  }
  volatile float sink = 0;
  auto ours = [&] { sink = ember::sum(x).item<float>(); };
  bench::PairTiming t = bench::measure_pair(ours, ref, seconds);
  (void)sink;
  const double buf = 4.0 * static_cast<double>(n);
  return bandwidth_row("sum", n, buf, t, 2 * buf);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  const int threads = omp_get_max_threads();
  const std::string date = bench::today();
  fmt::print("bench_core  {}  {}  OpenMP threads: {}\n\n", date, bench::cpu_model(), threads);

  constexpr int64_t kBig = int64_t{16} << 20;
  std::vector<bench::Row> rows{
      bench_matmul(256, 256, 256, opt.seconds),   bench_matmul(512, 512, 512, opt.seconds),
      bench_matmul(1024, 1024, 1024, opt.seconds), bench_matmul(128, 784, 256, opt.seconds),
      bench_add(kBig, opt.seconds),               bench_add_inplace(kBig, opt.seconds),
      bench_sum(kBig, opt.seconds),
  };

  bench::print_table(rows);
  fmt::print(
      "\nmedians over interleaved samples; spread: interquartile range / median, the worse side.\n"
      "add (c = a + b) and add_ (a += b, in place) move 3x, sum 1x, memcpy 2x the 64 MiB buffer;\n"
      "memcpy runs on all OpenMP threads, each copying its own slice.\n");
  if (!bench::write_json(opt.json, "bench_core", date, threads, rows)) return 1;
  fmt::print("wrote {}\n", opt.json);
  return 0;
}
