// Softmax and log-softmax along one dim of a contiguous tensor, viewed as [outer, D, inner].
#include <cmath>

#include "ember/core/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

struct Geom {
  int64_t outer = 1, d = 1, inner = 1;
};
Geom geom(const Tensor& x, int64_t dim) {
  Geom g;
  for (int64_t i = 0; i < dim; ++i) g.outer *= x.shape()[i];
  g.d = x.shape()[dim];
  for (int64_t i = dim + 1; i < x.dim(); ++i) g.inner *= x.shape()[i];
  return g;
}

template <bool kLog>
void softmax_kernel(const Tensor& x, const Tensor& out, int64_t dim) {
  EMBER_CHECK(x.is_contiguous(), Error, "softmax: cpu kernel expects a contiguous input");
  detail::dispatch_floating(x.dtype(), kLog ? "log_softmax" : "softmax", [&]<class T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    Geom g = geom(x, dim);
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    parallel_for(g.outer * g.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(g.d, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t o = r / g.inner, in = r % g.inner;
        const T* px = xp + o * g.d * g.inner + in;
        T* po = op + o * g.d * g.inner + in;
        const int64_t st = g.inner;
        A mx = -INFINITY;
        for (int64_t i = 0; i < g.d; ++i) mx = std::max<A>(mx, static_cast<A>(px[i * st]));
        if (std::isinf(mx) && mx < 0) mx = 0;  // all -inf: avoid inf - inf
        A sum = 0;
        for (int64_t i = 0; i < g.d; ++i) sum += std::exp(static_cast<A>(px[i * st]) - mx);
        if constexpr (kLog) {
          A lse = mx + std::log(sum);
          for (int64_t i = 0; i < g.d; ++i) po[i * st] = T(static_cast<A>(px[i * st]) - lse);
        } else {
          A inv = A(1) / sum;
          for (int64_t i = 0; i < g.d; ++i) po[i * st] = T(std::exp(static_cast<A>(px[i * st]) - mx) * inv);
        }
      }
    });
  });
}

// softmax:     gx = y * (gy - sum(gy * y))
// log_softmax: gx = gy - exp(y) * sum(gy)
template <bool kLog>
void softmax_backward_kernel(const Tensor& y, const Tensor& gy, const Tensor& gx, int64_t dim) {
  EMBER_CHECK(y.is_contiguous() && gy.is_contiguous(), Error, "softmax_backward: cpu kernel expects contiguous inputs");
  detail::dispatch_floating(y.dtype(), "softmax_backward", [&]<class T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    Geom g = geom(y, dim);
    const T* yp = y.data<T>();
    const T* gp = gy.data<T>();
    T* op = gx.data<T>();
    parallel_for(g.outer * g.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(g.d, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t base = (r / g.inner) * g.d * g.inner + r % g.inner;
        const int64_t st = g.inner;
        A s = 0;
        for (int64_t i = 0; i < g.d; ++i) {
          A gv = static_cast<A>(gp[base + i * st]);
          s += kLog ? gv : gv * static_cast<A>(yp[base + i * st]);
        }
        for (int64_t i = 0; i < g.d; ++i) {
          A yv = static_cast<A>(yp[base + i * st]);
          A gv = static_cast<A>(gp[base + i * st]);
          op[base + i * st] = T(kLog ? gv - std::exp(yv) * s : yv * (gv - s));
        }
      }
    });
  });
}

}  // namespace

void register_softmax_kernels() {
  register_kernel<OpId::softmax>(DeviceType::cpu, &softmax_kernel<false>);
  register_kernel<OpId::log_softmax>(DeviceType::cpu, &softmax_kernel<true>);
  register_kernel<OpId::softmax_backward>(DeviceType::cpu, &softmax_backward_kernel<false>);
  register_kernel<OpId::log_softmax_backward>(DeviceType::cpu, &softmax_backward_kernel<true>);
}

}  // namespace ember::cpu
