// Batch normalization on [N, C, S]: channels are the unit of parallel work; statistics
// accumulate in double.
#include <cmath>

#include "ember/core/dispatch.h"
#include "kernels/cpu/accumulate.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

void batch_norm_kernel(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                       const Tensor& invstd, const Tensor& out, bool compute_stats, double eps) {
  detail::dispatch_floating(x.dtype(), "batch_norm", [&]<class T>() {
    using A = acc_t<T>;
    using Lane = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const int64_t N = x.size(0), C = x.size(1), S = x.size(2);
    const T* xp = x.data<T>();
    T* yp = out.data<T>();
    T* mp = mean.data<T>();
    T* ip = invstd.data<T>();
    const T* wp = weight.defined() ? weight.data<T>() : nullptr;
    const T* bp = bias.defined() ? bias.data<T>() : nullptr;
    parallel_for(C, std::max<int64_t>(1, kGrain / std::max<int64_t>(N * S, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        if (compute_stats) {
          // One pass: sum and sum of squares, each row shifted by its first value so that
          // E[x^2] - E[x]^2 does not cancel when the mean is large against the spread.
          const double shift = static_cast<A>(xp[c * S]);
          const Lane sl = static_cast<Lane>(shift);
          double s = 0, s2 = 0;
          for (int64_t n = 0; n < N; ++n) {
            const T* row = xp + (n * C + c) * S;
            lane_sum2<Lane>(S, s, s2, [row, sl](int64_t i, Lane& a, Lane& b) {
              Lane d = static_cast<Lane>(static_cast<A>(row[i])) - sl;
              a += d;
              b += d * d;
            });
          }
          const double count = static_cast<double>(N * S);
          const double md = s / count;
          const double var = std::max(s2 / count - md * md, 0.0);
          mp[c] = T(static_cast<A>(md + shift));
          ip[c] = T(static_cast<A>(1.0 / std::sqrt(var + eps)));
        }
        const A m = static_cast<A>(mp[c]);
        const A scale = static_cast<A>(ip[c]) * (wp ? static_cast<A>(wp[c]) : A(1));
        const A shift = (bp ? static_cast<A>(bp[c]) : A(0)) - m * scale;
        for (int64_t n = 0; n < N; ++n) {
          const T* row = xp + (n * C + c) * S;
          T* orow = yp + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i) orow[i] = T(static_cast<A>(row[i]) * scale + shift);
        }
      }
    });
  });
}

void batch_norm_backward_kernel(const Tensor& x, const Tensor& gy, const Tensor& weight, const Tensor& mean,
                                const Tensor& invstd, const Tensor& gx, const Tensor& gw, const Tensor& gb,
                                bool training) {
  detail::dispatch_floating(x.dtype(), "batch_norm_backward", [&]<class T>() {
    using A = acc_t<T>;
    using Lane = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const int64_t N = x.size(0), C = x.size(1), S = x.size(2);
    const double M = static_cast<double>(N * S);
    const T* xp = x.data<T>();
    const T* gp = gy.data<T>();
    const T* wp = weight.defined() ? weight.data<T>() : nullptr;
    const T* mp = mean.data<T>();
    const T* ip = invstd.data<T>();
    T* gxp = gx.defined() ? gx.data<T>() : nullptr;
    T* gwp = gw.defined() ? gw.data<T>() : nullptr;
    T* gbp = gb.defined() ? gb.data<T>() : nullptr;
    parallel_for(C, std::max<int64_t>(1, kGrain / std::max<int64_t>(N * S, 1)), [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const double m = static_cast<A>(mp[c]), is = static_cast<A>(ip[c]);
        // sum(gy) and sum(gy * (x - mean)) in one pass
        double sg = 0, sgx = 0;
        const Lane ml = static_cast<Lane>(m);
        for (int64_t n = 0; n < N; ++n) {
          const T* xr = xp + (n * C + c) * S;
          const T* gr = gp + (n * C + c) * S;
          lane_sum2<Lane>(S, sg, sgx, [gr, xr, ml](int64_t i, Lane& a, Lane& b) {
            Lane g = static_cast<Lane>(static_cast<A>(gr[i]));
            a += g;
            b += g * (static_cast<Lane>(static_cast<A>(xr[i])) - ml);
          });
        }
        sgx *= is;
        if (gwp) gwp[c] = T(static_cast<A>(sgx));
        if (gbp) gbp[c] = T(static_cast<A>(sg));
        if (!gxp) continue;
        const double w = wp ? static_cast<A>(wp[c]) : 1.0;
        const A k = static_cast<A>(w * is);
        const A mean_g = training ? static_cast<A>(sg / M) : A(0);
        const A proj = training ? static_cast<A>(sgx / M * is) : A(0);  // coefficient of (x - mean)
        const A mm = static_cast<A>(m);
        for (int64_t n = 0; n < N; ++n) {
          const T* xr = xp + (n * C + c) * S;
          const T* gr = gp + (n * C + c) * S;
          T* out = gxp + (n * C + c) * S;
          for (int64_t i = 0; i < S; ++i)
            out[i] = T(k * (static_cast<A>(gr[i]) - mean_g - (static_cast<A>(xr[i]) - mm) * proj));
        }
      }
    });
  });
}

}  // namespace

void register_batch_norm_kernels() {
  register_kernel<OpId::batch_norm>(DeviceType::cpu, &batch_norm_kernel);
  register_kernel<OpId::batch_norm_backward>(DeviceType::cpu, &batch_norm_backward_kernel);
}

}  // namespace ember::cpu
