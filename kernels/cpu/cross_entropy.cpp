// Fused cross-entropy over the rows of contiguous [N, C] scores (contract in
// core/kernel_types.h). One row per iteration; the row's max, logsumexp and mean are taken
// the way kernels/cpu/softmax.cpp takes them (f64 math for f64, f32 for the others), so at
// eps = 0 the f32/f64 loss is the one log_softmax + gather gave (lse - x[t] = -(x[t] - lse)).
#include <cmath>
#include <limits>
#include <type_traits>

#include "ember/core/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

void check_operands(const char* op, const Tensor& x, const Tensor& target, const Tensor& lse) {
  EMBER_CHECK(x.dim() == 2 && x.is_contiguous(), ShapeError, "{}: cpu kernel expects contiguous [N, C] scores, got {}",
              op, shape_str(x.shape()));
  const int64_t n = x.shape()[0];
  EMBER_CHECK(target.dtype() == DType::i64 && target.is_contiguous() && target.shape() == Shape{n}, ShapeError,
              "{}: target must be contiguous i64 [{}], got {} {}", op, n, target.dtype(), shape_str(target.shape()));
  const DType lse_dtype = x.dtype() == DType::f64 ? DType::f64 : DType::f32;
  EMBER_CHECK(lse.dtype() == lse_dtype && lse.is_contiguous() && lse.shape() == Shape{n}, ShapeError,
              "{}: lse must be contiguous {} [{}], got {} {}", op, lse_dtype, n, lse.dtype(), shape_str(lse.shape()));
}

void check_row_vector(const char* op, const char* what, const Tensor& v, const Tensor& x) {
  EMBER_CHECK(v.dtype() == x.dtype() && v.is_contiguous() && v.shape() == Shape{x.shape()[0]}, ShapeError,
              "{}: {} must be contiguous {} [{}], got {} {}", op, what, x.dtype(), x.shape()[0], v.dtype(),
              shape_str(v.shape()));
}

// Rows per parallel chunk: about kGrain elements of work each.
int64_t row_grain(int64_t c) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(c, 1)); }

void cross_entropy_forward(const Tensor& x, const Tensor& target, const Tensor& loss, const Tensor& lse,
                           const CrossEntropyArgs& args) {
  const char* op = "cross_entropy_forward";
  check_operands(op, x, target, lse);
  check_row_vector(op, "loss", loss, x);
  detail::dispatch_floating(x.dtype(), op, [&]<class T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const int64_t n = x.shape()[0], c = x.shape()[1];
    const T* xp = x.data<T>();
    const int64_t* tp = target.data<int64_t>();
    T* lp = loss.data<T>();
    A* sp = lse.data<A>();
    const double eps = args.label_smoothing;
    const A keep = static_cast<A>(1.0 - eps), smooth = static_cast<A>(eps);
    parallel_for(n, row_grain(c), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* px = xp + r * c;
        A mx = -INFINITY;
        for (int64_t i = 0; i < c; ++i) mx = std::max<A>(mx, static_cast<A>(px[i]));
        if (std::isinf(mx) && mx < 0) mx = 0;  // all -inf: avoid inf - inf
        A sum = 0, sx = 0;
        for (int64_t i = 0; i < c; ++i) {
          const A v = static_cast<A>(px[i]);
          sum += std::exp(v - mx);
          sx += v;
        }
        const A s = mx + std::log(sum);
        sp[r] = s;
        const int64_t t = tp[r];
        if (t == args.ignore_index) {
          lp[r] = T(A(0));
        } else if (t < 0 || t >= c) {
          lp[r] = T(std::numeric_limits<A>::quiet_NaN());
        } else {
          A l = s - static_cast<A>(px[t]);
          if (eps > 0.0) l = l * keep + (s - sx / static_cast<A>(c)) * smooth;
          lp[r] = T(l);
        }
      }
    });
  });
}

void cross_entropy_backward(const Tensor& x, const Tensor& target, const Tensor& lse, const Tensor& gl,
                            const Tensor& gx, const CrossEntropyArgs& args) {
  const char* op = "cross_entropy_backward";
  check_operands(op, x, target, lse);
  check_row_vector(op, "gl", gl, x);
  EMBER_CHECK(gx.dtype() == x.dtype() && gx.is_contiguous() && gx.shape() == x.shape(), ShapeError,
              "{}: gx must be contiguous {} {}, got {} {}", op, x.dtype(), shape_str(x.shape()), gx.dtype(),
              shape_str(gx.shape()));
  detail::dispatch_floating(x.dtype(), op, [&]<class T>() {
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const int64_t n = x.shape()[0], c = x.shape()[1];
    const T* xp = x.data<T>();
    const int64_t* tp = target.data<int64_t>();
    const A* sp = lse.data<A>();
    const T* gp = gl.data<T>();
    T* gxp = gx.data<T>();
    const double eps = args.label_smoothing;
    const A keep = static_cast<A>(1.0 - eps);
    const A spread = c > 0 ? static_cast<A>(eps / static_cast<double>(c)) : A(0);
    parallel_for(n, row_grain(c), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* px = xp + r * c;
        T* po = gxp + r * c;
        const int64_t t = tp[r];
        if (t == args.ignore_index || t < 0 || t >= c) {
          const T fill = T(t == args.ignore_index ? A(0) : std::numeric_limits<A>::quiet_NaN());
          for (int64_t i = 0; i < c; ++i) po[i] = fill;
          continue;
        }
        const A g = static_cast<A>(gp[r]);
        const A s = sp[r];
        for (int64_t i = 0; i < c; ++i) {
          A q = std::exp(static_cast<A>(px[i]) - s) - spread;
          if (i == t) q -= keep;
          po[i] = T(g * q);
        }
      }
    });
  });
}

}  // namespace

void register_cross_entropy_kernels() {
  register_kernel<OpId::cross_entropy_forward>(DeviceType::cpu, &cross_entropy_forward);
  register_kernel<OpId::cross_entropy_backward>(DeviceType::cpu, &cross_entropy_backward);
}

}  // namespace ember::cpu
