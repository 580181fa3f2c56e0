// Elementwise binary kernels, comparisons and where.
#include <cmath>

#include "ember/core/dispatch.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

struct Add { template <class T> T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> T operator()(T a, T b) const { return a - b; } };
struct Mul { template <class T> T operator()(T a, T b) const { return a * b; } };
struct Div { template <class T> T operator()(T a, T b) const { return a / b; } };
// NaN propagates, as in PyTorch.
struct Maximum {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return a + b;
    }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class T> T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return a + b;
    }
    return a < b ? a : b;
  }
};
struct ReluBackward {
  template <class T> T operator()(T g, T y) const { return y > T(0) ? g : T(0); }
};
struct Pow { template <class T> T operator()(T a, T b) const { return static_cast<T>(std::pow(a, b)); } };

struct Eq { template <class T> bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <class T> bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <class T> bool operator()(T a, T b) const { return a < b; } };
struct Le { template <class T> bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <class T> bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <class T> bool operator()(T a, T b) const { return a >= b; } };

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

template <class Op>
void reg_binary(OpId id) {
  register_kernel(id, DeviceType::CPU, &binary_kernel<Op>, "Binary");
}
template <class Op>
void reg_compare(OpId id) {
  register_kernel(id, DeviceType::CPU, &compare_kernel<Op>, "Compare");
}

}  // namespace

void register_binary_kernels() {
  reg_binary<Add>(OpId::add);
  reg_binary<Sub>(OpId::sub);
  reg_binary<Mul>(OpId::mul);
  reg_binary<Div>(OpId::div);
  reg_binary<Maximum>(OpId::maximum);
  reg_binary<Minimum>(OpId::minimum);
  reg_binary<Pow>(OpId::pow);
  reg_binary<ReluBackward>(OpId::relu_backward);
  reg_compare<Eq>(OpId::eq);
  reg_compare<Ne>(OpId::ne);
  reg_compare<Lt>(OpId::lt);
  reg_compare<Le>(OpId::le);
  reg_compare<Gt>(OpId::gt);
  reg_compare<Ge>(OpId::ge);
  register_kernel(OpId::where, DeviceType::CPU, &where_kernel, "Where");
}

}  // namespace ember::cpu
