// argsort: a stable sort of each row's indices by value. NaN compares above every number, as
// in PyTorch, so that the order is total and the sort well defined.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/core/dispatch.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

template <class A>
bool is_nan(A v) {
  if constexpr (std::is_floating_point_v<A>) return std::isnan(v);
  else return false;
}

void argsort_kernel(const Tensor& rows, const Tensor& indices, bool descending) {
  detail::dispatch_numeric(rows.dtype(), "argsort", [&]<class T>() {
    using A = acc_t<T>;
    const int64_t r = rows.size(0), n = rows.size(1);
    const T* x = rows.data<T>();
    int64_t* out = indices.data<int64_t>();
    parallel_for(r, std::max<int64_t>(1, kGrain / std::max<int64_t>(n, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T* row = x + i * n;
        int64_t* idx = out + i * n;
        std::iota(idx, idx + n, int64_t{0});
        auto value = [&](int64_t k) { return static_cast<A>(row[k]); };
        if (descending) {
          std::stable_sort(idx, idx + n, [&](int64_t a, int64_t b) {
            const A va = value(a), vb = value(b);
            return is_nan(va) ? !is_nan(vb) : (!is_nan(vb) && va > vb);
          });
        } else {
          std::stable_sort(idx, idx + n, [&](int64_t a, int64_t b) {
            const A va = value(a), vb = value(b);
            return !is_nan(va) && (is_nan(vb) || va < vb);
          });
        }
      }
    });
  });
}

}  // namespace

void register_sort_kernels() { register_kernel<OpId::argsort>(DeviceType::cpu, &argsort_kernel); }

}  // namespace ember::cpu
