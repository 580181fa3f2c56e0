// Elementwise binary kernels and comparisons over the shared functors of
// kernels/common/elementwise_ops.h (the same ones the CUDA kernels run), and where.
#include <cmath>

#include "ember/core/dispatch.h"
#include "kernels/common/elementwise_ops.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

template <class Op>
void binary_kernel(const Tensor& a, const Tensor& b, const Tensor& out) {
  detail::dispatch_numeric(out.dtype(), "binary", [&]<class T>() {
    using A = acc_t<T>;
    binary_loop<T, T, T>(a, b, out, [](T x, T y) { return T(Op{}(static_cast<A>(x), static_cast<A>(y))); });
  });
}

template <class Op>
void compare_kernel(const Tensor& a, const Tensor& b, const Tensor& out) {
  detail::dispatch_all(a.dtype(), "compare", [&]<class T>() {
    using A = acc_t<T>;
    binary_loop<bool, T, T>(a, b, out, [](T x, T y) { return Op{}(static_cast<A>(x), static_cast<A>(y)); });
  });
}

void where_kernel(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  detail::dispatch_all(out.dtype(), "where", [&]<class T>() {
    auto g = make_geometry<4>({&out, &cond, &a, &b});
    for_each<4>(g, [](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const bool* c = reinterpret_cast<const bool*>(p[1]);
      const T* x = reinterpret_cast<const T*>(p[2]);
      const T* y = reinterpret_cast<const T*>(p[3]);
      const bool dense = s[0] == sizeof(T) && s[1] == sizeof(bool);
      if (dense && s[2] == sizeof(T) && s[3] == sizeof(T)) {
        for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : y[i];
      } else if (dense && s[2] == sizeof(T) && s[3] == 0) {
        const T yv = *y;
        for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : yv;
      } else if (dense && s[2] == 0 && s[3] == sizeof(T)) {
        const T xv = *x;
        for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? xv : y[i];
      } else {
        for (int64_t i = 0; i < n; ++i) {
          bool cv = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
          *reinterpret_cast<T*>(p[0] + i * s[0]) =
              cv ? *reinterpret_cast<const T*>(p[2] + i * s[2]) : *reinterpret_cast<const T*>(p[3] + i * s[3]);
        }
      }
    });
  });
}

}  // namespace

void register_binary_kernels() {
#define EMBER_OP(name, family)
#define EMBER_BINARY(name, functor) register_kernel<OpId::name>(DeviceType::cpu, &binary_kernel<kernels::functor>);
#define EMBER_COMPARE(name, functor) register_kernel<OpId::name>(DeviceType::cpu, &compare_kernel<kernels::functor>);
#include "ember/core/ops.def"
#undef EMBER_COMPARE
#undef EMBER_BINARY
#undef EMBER_OP
  register_kernel<OpId::where>(DeviceType::cpu, &where_kernel);
}

}  // namespace ember::cpu
