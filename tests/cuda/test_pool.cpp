// Pooling: the CUDA kernels' per-element code (kernels/common/pool_geometry.h) run on the
// host against the CPU kernels, which needs no device; then CPU/CUDA parity of
// max_pool2d, avg_pool2d and adaptive_avg_pool2d, forward and the gradient of the leaf
// input, over odd shapes, padding, ceil_mode, overlapping windows, ties, -inf and NaN.
#include <ember/core/dispatch.h>
#include <ember/layers/layers.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cuda/parity.h"
// The cuda_tests target has no include path to the source tree's kernels/.
#include "../../kernels/common/pool_geometry.h"

using namespace ember;
using namespace ember::testing;
using kernels::PoolGeom;

namespace {

const std::vector<DType> kFloat = {DType::f32, DType::f64, DType::f16, DType::bf16};

struct PoolCase {
  Shape shape;
  Pool2dOptions opt;
};

// Odd sizes, rectangular kernels, strides below/equal/above the kernel, padding, ceil_mode
// (with a last window hanging over the edge), count_include_pad off.
std::vector<PoolCase> pool_cases() {
  return {
      {{1, 1, 4, 4}, {{2, 2}, {2, 2}, {0, 0}}},
      {{2, 3, 7, 9}, {{3, 3}, {2, 2}, {1, 1}}},
      {{2, 3, 7, 9}, {{3, 2}, {1, 2}, {1, 1}, true}},
      {{1, 2, 5, 5}, {{2, 2}, {2, 2}, {0, 0}, true}},
      {{3, 1, 8, 6}, {{2, 3}, {3, 1}, {1, 0}, false, false}},
      {{2, 2, 6, 7}, {{3, 3}, {2, 2}, {1, 1}, true, false}},
      {{1, 1, 1, 1}, {{1, 1}, {1, 1}, {0, 0}}},
      {{2, 4, 17, 13}, {{5, 4}, {4, 5}, {2, 2}, true}},
      {{4, 8, 57, 57}, {{3, 3}, {2, 2}, {1, 1}}},  // ResNet stem pooling, many blocks
  };
}

std::vector<Pair> adaptive_sizes() { return {{1, 1}, {2, 3}, {3, 2}, {7, 7}, {5, 4}, {9, 11}}; }

Pool2dOptions resolved(Pool2dOptions o) {
  for (int i = 0; i < 2; ++i)
    if (o.stride[i] == 0) o.stride[i] = o.kernel[i];
  return o;
}

PoolGeom geom_of(const Shape& in, const Shape& out, const Pool2dOptions& o) {
  PoolGeom g;
  g.H = in[2];
  g.W = in[3];
  g.OH = out[2];
  g.OW = out[3];
  g.kh = o.kernel[0];
  g.kw = o.kernel[1];
  g.sh = o.stride[0];
  g.sw = o.stride[1];
  g.ph = o.padding[0];
  g.pw = o.padding[1];
  g.count_include_pad = o.count_include_pad;
  return g;
}

// Host stand-in for the device's element conversions (f32/f64 only: no rounding).
template <class T>
struct HostCv {
  T load(T v) const { return v; }
  T store(T v) const { return v; }
};

// Inputs with ties (small integers), -inf and NaN, so the argmax rules matter.
Tensor tricky_input(const Shape& s, DType d, uint64_t seed) {
  std::vector<double> v = random_tensor(s, DType::f64, seed).to_vector<double>();
  for (double& e : v) e = std::round(e * 1.5);  // many equal values
  for (size_t i = 0; i < v.size(); i += 11) v[i] = -std::numeric_limits<double>::infinity();
  for (size_t i = 5; i < v.size(); i += 37) v[i] = std::nan("");
  return from_vector(v, s).to(d);
}

}  // namespace

// The range of outputs that covering_outputs gives is exactly the set whose window
// (max_window / adaptive_window) contains the input position.
TEST(PoolGeometry, CoveringOutputsAreExact) {
  for (int64_t n = 1; n <= 12; ++n)
    for (int64_t k = 1; k <= 5; ++k)
      for (int64_t s = 1; s <= 4; ++s)
        for (int64_t p = 0; 2 * p <= k; ++p) {
          if (n + 2 * p < k) continue;
          const int64_t n_out = (n + 2 * p - k) / s + 1 + 1;  // one beyond floor mode, as ceil_mode can add
          PoolGeom g;
          g.H = n, g.W = 1, g.OH = n_out, g.OW = 1, g.kh = k, g.kw = 1, g.sh = s, g.sw = 1, g.ph = p, g.pw = 0;
          for (int64_t i = 0; i < n; ++i) {
            int64_t lo, hi;
            kernels::covering_outputs(i, k, s, p, n_out, &lo, &hi);
            for (int64_t o = 0; o < n_out; ++o) {
              const auto w = kernels::max_window(g, o, 0);
              const bool covers = w.hs <= i && i < w.he;
              ASSERT_EQ(covers, lo <= o && o <= hi)
                  << "n " << n << " k " << k << " s " << s << " p " << p << " i " << i << " o " << o;
            }
          }
        }
  for (int64_t n = 1; n <= 20; ++n)
    for (int64_t n_out = 1; n_out <= 20; ++n_out) {
      PoolGeom g;
      g.H = n, g.W = 1, g.OH = n_out, g.OW = 1;
      for (int64_t i = 0; i < n; ++i) {
        int64_t lo, hi;
        kernels::adaptive_covering_outputs(i, n, n_out, &lo, &hi);
        for (int64_t o = 0; o < n_out; ++o) {
          const auto w = kernels::adaptive_window(g, o, 0);
          ASSERT_EQ(w.hs <= i && i < w.he, lo <= o && o <= hi) << "n " << n << " n_out " << n_out << " i " << i;
        }
      }
    }
}

// The CUDA kernels' per-element code, run on the host, reproduces the CPU kernels bit
// for bit: forward values and argmax indices, and the gathered backward.
TEST(PoolGeometry, DeviceCodeMatchesCpuKernels) {
  for (DType d : {DType::f32, DType::f64}) {
    detail::dispatch_floating(d, "test", [&]<class T>() {
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        const HostCv<T> cv{};
        uint64_t seed = 100;
        auto run = [&](const Shape& xs, const Pool2dOptions& o, int kind) {  // 0 max, 1 avg, 2 adaptive
          const std::string what =
              "kind " + std::to_string(kind) + " " + shape_str(xs) + " " + std::string(dtype_name(d));
          Tensor x = tricky_input(xs, d, ++seed);
          Shape os = kind == 2 ? Shape{xs[0], xs[1], o.kernel[0], o.kernel[1]}
                               : (kind == 0 ? max_pool2d(x, o) : avg_pool2d(x, o)).shape();
          Tensor out = zeros(os, d), idx = zeros(os, DType::i64), gy = random_tensor(os, d, ++seed);
          Tensor gx = zeros(xs, d);
          const OpId fwd = kind == 0 ? OpId::max_pool2d : kind == 1 ? OpId::avg_pool2d : OpId::adaptive_avg_pool2d;
          const OpId bwd = kind == 0   ? OpId::max_pool2d_backward
                           : kind == 1 ? OpId::avg_pool2d_backward
                                       : OpId::adaptive_avg_pool2d_backward;
          get_kernel<kernel::Pool2d>(fwd, DeviceType::cpu)(x, out, kind == 0 ? idx : Tensor(), o);
          get_kernel<kernel::Pool2dBackward>(bwd, DeviceType::cpu)(gy, idx, gx, o);
          const PoolGeom g = geom_of(xs, os, kind == 2 ? Pool2dOptions{{1, 1}, {1, 1}} : o);
          const int64_t planes = xs[0] * xs[1];
          const T* xp = x.data<T>();
          const T* gyp = gy.data<T>();
          const int64_t* ip = idx.data<int64_t>();
          std::vector<T> dev_out, dev_gx;
          std::vector<int64_t> dev_idx;
          for (int64_t p = 0; p < planes; ++p)
            for (int64_t oh = 0; oh < g.OH; ++oh)
              for (int64_t ow = 0; ow < g.OW; ++ow) {
                const T* plane = xp + p * g.H * g.W;
                if (kind == 0) {
                  T best;
                  int64_t bi;
                  kernels::window_max<T>(plane, g, kernels::max_window(g, oh, ow), cv, &best, &bi);
                  dev_out.push_back(best);
                  dev_idx.push_back(bi);
                } else if (kind == 1) {
                  dev_out.push_back(kernels::avg_pool_at<T, false>(plane, g, oh, ow, cv));
                } else {
                  dev_out.push_back(kernels::avg_pool_at<T, true>(plane, g, oh, ow, cv));
                }
              }
          for (int64_t p = 0; p < planes; ++p)
            for (int64_t h = 0; h < g.H; ++h)
              for (int64_t w = 0; w < g.W; ++w) {
                const T* gp = gyp + p * g.OH * g.OW;
                if (kind == 0) dev_gx.push_back(kernels::max_pool_grad_at<T>(gp, ip + p * g.OH * g.OW, g, h, w, cv));
                if (kind == 1) dev_gx.push_back(kernels::avg_pool_grad_at<T, false>(gp, g, h, w, cv));
                if (kind == 2) dev_gx.push_back(kernels::avg_pool_grad_at<T, true>(gp, g, h, w, cv));
              }
          const std::vector<T> cpu_out = out.to_vector<T>(), cpu_gx = gx.to_vector<T>();
          ASSERT_EQ(dev_out.size(), cpu_out.size()) << what;
          for (size_t i = 0; i < cpu_out.size(); ++i) {
            const bool same = (std::isnan(dev_out[i]) && std::isnan(cpu_out[i])) || dev_out[i] == cpu_out[i];
            ASSERT_TRUE(same) << what << " out[" << i << "] " << dev_out[i] << " vs " << cpu_out[i];
          }
          if (kind == 0) ASSERT_EQ(dev_idx, idx.to_vector<int64_t>()) << what;
          ASSERT_EQ(dev_gx, cpu_gx) << what;
        };
        for (const PoolCase& c : pool_cases()) {
          if (c.shape[2] > 20) continue;  // the host loops stay small
          run(c.shape, resolved(c.opt), 0);
          run(c.shape, resolved(c.opt), 1);
        }
        for (Pair s : adaptive_sizes()) run({2, 3, 7, 9}, Pool2dOptions{{s[0], s[1]}}, 2);
        run({1, 2, 3, 2}, Pool2dOptions{{7, 5}}, 2);  // output larger than the input
      }
    });
  }
}

TEST(PoolParity, ForwardAndBackward) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (DType d : kFloat) {
    for (const PoolCase& c : pool_cases()) {
      for (int kind = 0; kind < 2; ++kind) {
        for (bool strided : {false, true}) {
          const std::string what = std::string(kind == 0 ? "max_pool2d " : "avg_pool2d ") + std::string(dtype_name(d)) +
                                   " " + shape_str(c.shape) + (strided ? " strided" : "");
          Tensor base = kind == 0 ? tricky_input(c.shape, d, ++seed) : random_tensor(c.shape, d, ++seed);
          Tensor xc = (strided ? non_contiguous(base) : base).detach().requires_grad_();
          Tensor xg = (strided ? non_contiguous(base.to(gpu())) : base.to(gpu())).detach().requires_grad_();
          Tensor yc = kind == 0 ? max_pool2d(xc, c.opt) : avg_pool2d(xc, c.opt);
          Tensor yg = kind == 0 ? max_pool2d(xg, c.opt) : avg_pool2d(xg, c.opt);
          ASSERT_TRUE(close(yg, yc, what + " forward"));
          Tensor gy = random_tensor(yc.shape(), d, ++seed);
          yc.backward(gy);
          yg.backward(gy.to(gpu()));
          ASSERT_TRUE(close(xg.grad(), xc.grad(), what + " grad"));
        }
      }
    }
  }
}

TEST(PoolParity, AdaptiveAvg) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 500;
  for (DType d : kFloat) {
    for (const Shape& s : std::vector<Shape>{{2, 3, 7, 9}, {1, 1, 1, 1}, {4, 16, 7, 7}, {2, 5, 13, 4}}) {
      for (Pair os : adaptive_sizes()) {
        const std::string what = std::string("adaptive_avg_pool2d ") + std::string(dtype_name(d)) + " " + shape_str(s) +
                                 " -> " + shape_str(os);
        Tensor base = random_tensor(s, d, ++seed);
        Tensor xc = base.detach().requires_grad_();
        Tensor xg = non_contiguous(base.to(gpu())).detach().requires_grad_();
        Tensor yc = adaptive_avg_pool2d(xc, os), yg = adaptive_avg_pool2d(xg, os);
        ASSERT_TRUE(close(yg, yc, what + " forward"));
        Tensor gy = random_tensor(yc.shape(), d, ++seed);
        yc.backward(gy);
        yg.backward(gy.to(gpu()));
        ASSERT_TRUE(close(xg.grad(), xc.grad(), what + " grad"));
      }
    }
  }
}

TEST(PoolParity, Layers) {
  SKIP_WITHOUT_CUDA();
  Tensor x = random_tensor({2, 3, 11, 10}, DType::f32, 900);
  nn::MaxPool2d mp(3, 2, 1, true);
  nn::AvgPool2d ap(3, 2, 1);
  nn::AdaptiveAvgPool2d aap(1);
  EXPECT_TRUE(close(mp(x.to(gpu())), mp(x), "MaxPool2d"));
  EXPECT_TRUE(close(ap(x.to(gpu())), ap(x), "AvgPool2d"));
  EXPECT_TRUE(close(aap(x.to(gpu())), aap(x), "AdaptiveAvgPool2d"));
}
