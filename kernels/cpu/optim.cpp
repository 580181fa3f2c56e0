// Fused optimizer updates: every parameter of a list updated in one pass over its elements,
// with the per-element math of kernels/common/optim_math.h (shared with the CUDA kernels).
#include <type_traits>

#include "ember/core/dispatch.h"
#include "kernels/common/optim_math.h"
#include "kernels/cpu/flush_denormals.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

// A few dozen flops per element: smaller chunks than kGrain still pay for a thread.
constexpr int64_t kOptimGrain = 8192;

template <class T>
T* data_or_null(const std::vector<Tensor>& list, size_t k) {
  return list.empty() ? nullptr : list[k].data<T>();
}

void sgd_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& bufs, const FusedSGDArgs& a) {
  if (params.empty()) return;
  detail::dispatch_floating(params[0].dtype(), "fused_sgd", [&]<class T>() {
    using A = acc_t<T>;
    const auto c = kernels::sgd_coeffs<A>(a);
    for (size_t k = 0; k < params.size(); ++k) {
      T* p = params[k].data<T>();
      const T* g = grads[k].data<T>();
      T* b = data_or_null<T>(bufs, k);
      parallel_for(params[k].numel(), kOptimGrain, [&](int64_t begin, int64_t end) {
        const FlushDenormals ftz;  // momentum buffers decay into subnormals
        for (int64_t i = begin; i < end; ++i) {
          A pv = static_cast<A>(p[i]);
          A bv = b && !c.first_step ? static_cast<A>(b[i]) : A(0);
          kernels::sgd_update<A>(pv, static_cast<A>(g[i]), bv, c);
          p[i] = static_cast<T>(pv);
          if (b) b[i] = static_cast<T>(bv);
        }
      });
    }
  });
}

void adam_kernel(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const FusedAdamArgs& a) {
  if (params.empty()) return;
  detail::dispatch_floating(params[0].dtype(), "fused_adam", [&]<class T>() {
    using A = acc_t<T>;
    const auto c = kernels::adam_coeffs<A>(a);
    for (size_t k = 0; k < params.size(); ++k) {
      T* p = params[k].data<T>();
      const T* g = grads[k].data<T>();
      T* m = exp_avgs[k].data<T>();
      T* v = exp_avg_sqs[k].data<T>();
      T* vmax = data_or_null<T>(max_exp_avg_sqs, k);
      parallel_for(params[k].numel(), kOptimGrain, [&](int64_t begin, int64_t end) {
        const FlushDenormals ftz(c.eps > 0);  // exp_avg decays into subnormals
        for (int64_t i = begin; i < end; ++i) {
          A pv = static_cast<A>(p[i]), mv = static_cast<A>(m[i]), vv = static_cast<A>(v[i]);
          A xv = vmax ? static_cast<A>(vmax[i]) : A(0);
          kernels::adam_update<A>(pv, static_cast<A>(g[i]), mv, vv, xv, c);
          p[i] = static_cast<T>(pv);
          m[i] = static_cast<T>(mv);
          v[i] = static_cast<T>(vv);
          if (vmax) vmax[i] = static_cast<T>(xv);
        }
      });
    }
  });
}

}  // namespace

void register_optim_kernels() {
  register_kernel<OpId::fused_sgd>(DeviceType::cpu, &sgd_kernel);
  register_kernel<OpId::fused_adam>(DeviceType::cpu, &adam_kernel);
}

}  // namespace ember::cpu
