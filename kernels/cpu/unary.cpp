// Elementwise unary kernels. Each op is a functor on the accumulation type; one template
// instantiates the loop for every dtype the op accepts.
#include <cmath>

#include "ember/core/dispatch.h"
#include "kernels/cpu/loops.h"
#include "kernels/cpu/register.h"

namespace ember::cpu {
namespace {

struct Neg { template <class T> T operator()(T x, const ScalarArgs&) const { return -x; } };
struct Abs { template <class T> T operator()(T x, const ScalarArgs&) const { return x < T(0) ? -x : x; } };
struct Sign {
  template <class T> T operator()(T x, const ScalarArgs&) const { return T((x > T(0)) - (x < T(0))); }
};
struct Exp { template <class T> T operator()(T x, const ScalarArgs&) const { return std::exp(x); } };
struct Log { template <class T> T operator()(T x, const ScalarArgs&) const { return std::log(x); } };
struct Log1p { template <class T> T operator()(T x, const ScalarArgs&) const { return std::log1p(x); } };
struct Sqrt { template <class T> T operator()(T x, const ScalarArgs&) const { return std::sqrt(x); } };
struct Rsqrt { template <class T> T operator()(T x, const ScalarArgs&) const { return T(1) / std::sqrt(x); } };
struct PowScalar {
  template <class T> T operator()(T x, const ScalarArgs& a) const {
    if (a.a == 2.0) return x * x;
    return std::pow(x, static_cast<T>(a.a));
  }
};
struct RPowScalar {
  template <class T> T operator()(T x, const ScalarArgs& a) const { return std::pow(static_cast<T>(a.a), x); }
};
// x != x keeps NaN (as PyTorch) and is false for integers.
struct Relu { template <class T> T operator()(T x, const ScalarArgs&) const { return (x > T(0) || x != x) ? x : T(0); } };
struct LeakyRelu {
  template <class T> T operator()(T x, const ScalarArgs& a) const { return x > T(0) ? x : x * static_cast<T>(a.a); }
};
struct Gelu {
  template <class T> T operator()(T x, const ScalarArgs&) const {
    return T(0.5) * x * (T(1) + std::erf(x * static_cast<T>(0.70710678118654752440)));
  }
};
struct Sigmoid {
  template <class T> T operator()(T x, const ScalarArgs&) const { return T(1) / (T(1) + std::exp(-x)); }
};
struct Tanh { template <class T> T operator()(T x, const ScalarArgs&) const { return std::tanh(x); } };
struct Clamp {
  // NaN bounds mean "unbounded"; a NaN input stays NaN.
  template <class T> T operator()(T x, const ScalarArgs& a) const {
    if (!std::isnan(a.a) && x < static_cast<T>(a.a)) x = static_cast<T>(a.a);
    if (!std::isnan(a.b) && x > static_cast<T>(a.b)) x = static_cast<T>(a.b);
    return x;
  }
};
struct Affine {
  template <class T> T operator()(T x, const ScalarArgs& a) const {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(a.a) * x + static_cast<T>(a.b);
    } else {
      return static_cast<T>(static_cast<double>(x) * a.a + a.b);
    }
  }
};

template <class Op, bool kIntegers>
void unary_kernel(const Tensor& x, const Tensor& out, const ScalarArgs& args) {
  auto run = [&]<class T>() {
    using A = acc_t<T>;
    unary_loop<T, T>(x, out, [&args](T v) { return T(Op{}(static_cast<A>(v), args)); });
  };
  if constexpr (kIntegers)
    detail::dispatch_numeric(x.dtype(), "unary", run);
  else
    detail::dispatch_floating(x.dtype(), "unary", run);
}

template <class Op, bool kIntegers = false>
void reg(OpId id) {
  register_kernel(id, DeviceType::CPU, &unary_kernel<Op, kIntegers>, "Unary");
}

}  // namespace

void register_unary_kernels() {
  reg<Neg, true>(OpId::neg);
  reg<Abs, true>(OpId::abs);
  reg<Sign, true>(OpId::sign);
  reg<Exp>(OpId::exp);
  reg<Log>(OpId::log);
  reg<Log1p>(OpId::log1p);
  reg<Sqrt>(OpId::sqrt);
  reg<Rsqrt>(OpId::rsqrt);
  reg<PowScalar>(OpId::pow_scalar);
  reg<RPowScalar>(OpId::rpow_scalar);
  reg<Relu, true>(OpId::relu);
  reg<LeakyRelu>(OpId::leaky_relu);
  reg<Gelu>(OpId::gelu);
  reg<Sigmoid>(OpId::sigmoid);
  reg<Tanh>(OpId::tanh);
  reg<Clamp>(OpId::clamp);
  reg<Affine, true>(OpId::affine);
}

}  // namespace ember::cpu
