// Unary elementwise kernels. Each functor mirrors the CPU one in kernels/cpu/unary.cpp
// expression for expression, on the compute type A (float for f16/bf16).
#include <cmath>

#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

// float and double overloads, so that a functor written once picks expf or exp.
#define EMBER_MATH1(name)                                                                \
  __device__ __forceinline__ float m_##name(float x) { return ::name##f(x); }           \
  __device__ __forceinline__ double m_##name(double x) { return ::name(x); }
EMBER_MATH1(exp)
EMBER_MATH1(log)
EMBER_MATH1(log1p)
EMBER_MATH1(sqrt)
EMBER_MATH1(tanh)
EMBER_MATH1(erf)
#undef EMBER_MATH1
__device__ __forceinline__ float m_pow(float x, float y) { return ::powf(x, y); }
__device__ __forceinline__ double m_pow(double x, double y) { return ::pow(x, y); }
// Round each step separately: the CPU build does not fuse a*x + b into one FMA.
__device__ __forceinline__ float mul_rn(float x, float y) { return __fmul_rn(x, y); }
__device__ __forceinline__ double mul_rn(double x, double y) { return __dmul_rn(x, y); }
__device__ __forceinline__ float add_rn(float x, float y) { return __fadd_rn(x, y); }
__device__ __forceinline__ double add_rn(double x, double y) { return __dadd_rn(x, y); }

struct Neg { template <class A> __device__ A operator()(A x) const { return static_cast<A>(-x); } };
struct Abs {
  template <class A> __device__ A operator()(A x) const {
    if constexpr (std::is_unsigned_v<A>) return x;
    else return x < A(0) ? static_cast<A>(-x) : x;
  }
};
// sign(NaN) = 0, as on the CPU: both comparisons are false.
struct Sign {
  template <class A> __device__ A operator()(A x) const {
    if constexpr (std::is_unsigned_v<A>) return static_cast<A>(x > A(0));
    else return static_cast<A>((x > A(0)) - (x < A(0)));
  }
};
struct Exp { template <class A> __device__ A operator()(A x) const { return m_exp(x); } };
struct Log { template <class A> __device__ A operator()(A x) const { return m_log(x); } };
struct Log1p { template <class A> __device__ A operator()(A x) const { return m_log1p(x); } };
struct Sqrt { template <class A> __device__ A operator()(A x) const { return m_sqrt(x); } };
// 1/sqrt rather than rsqrt(): the CPU divides, and rsqrtf is not correctly rounded.
struct Rsqrt { template <class A> __device__ A operator()(A x) const { return A(1) / m_sqrt(x); } };
struct PowScalar {
  double e;
  template <class A> __device__ A operator()(A x) const {
    if (e == 2.0) return x * x;
    return m_pow(x, static_cast<A>(e));
  }
};
struct RPowScalar {
  double base;
  template <class A> __device__ A operator()(A x) const { return m_pow(static_cast<A>(base), x); }
};
// x != x keeps NaN and is false for integers.
struct Relu {
  template <class A> __device__ A operator()(A x) const { return (x > A(0) || x != x) ? x : A(0); }
};
struct LeakyRelu {
  double slope;
  template <class A> __device__ A operator()(A x) const { return x > A(0) ? x : x * static_cast<A>(slope); }
};
struct Gelu {
  template <class A> __device__ A operator()(A x) const {
    return A(0.5) * x * (A(1) + m_erf(x * static_cast<A>(0.70710678118654752440)));
  }
};
struct Sigmoid {
  template <class A> __device__ A operator()(A x) const { return A(1) / (A(1) + m_exp(-x)); }
};
struct Tanh { template <class A> __device__ A operator()(A x) const { return m_tanh(x); } };
// A NaN bound means "unbounded" (decided on the host); a NaN input stays NaN.
struct Clamp {
  double lo, hi;
  bool has_lo, has_hi;
  template <class A> __device__ A operator()(A x) const {
    if (has_lo && x < static_cast<A>(lo)) x = static_cast<A>(lo);
    if (has_hi && x > static_cast<A>(hi)) x = static_cast<A>(hi);
    return x;
  }
};
struct Affine {
  double a, b;
  template <class A> __device__ A operator()(A x) const {
    if constexpr (std::is_floating_point_v<A>) {
      return add_rn(mul_rn(static_cast<A>(a), x), static_cast<A>(b));
    } else {
      return kernels::int_cast<A>(add_rn(mul_rn(static_cast<double>(x), a), b));
    }
  }
};

template <class F>
cudaError_t run_floating(const F& f, const TensorRef& x, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_floating(x.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&x};
    return ew::elementwise<T, T>(f, out, in, sm, s);
  });
}

template <class F>
cudaError_t run_numeric(const F& f, const TensorRef& x, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_numeric(x.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&x};
    return ew::elementwise<T, T>(f, out, in, sm, s);
  });
}

}  // namespace

cudaError_t launch_unary(Op op, const TensorRef& x, const TensorRef& out, double a, double b, int sm,
                         cudaStream_t s) {
  if (x.dtype != out.dtype) return cudaErrorNotSupported;
  switch (op) {
    case Op::neg: return run_numeric(Neg{}, x, out, sm, s);
    case Op::abs: return run_numeric(Abs{}, x, out, sm, s);
    case Op::sign: return run_numeric(Sign{}, x, out, sm, s);
    case Op::relu: return run_numeric(Relu{}, x, out, sm, s);
    case Op::affine: return run_numeric(Affine{a, b}, x, out, sm, s);
    case Op::exp: return run_floating(Exp{}, x, out, sm, s);
    case Op::log: return run_floating(Log{}, x, out, sm, s);
    case Op::log1p: return run_floating(Log1p{}, x, out, sm, s);
    case Op::sqrt: return run_floating(Sqrt{}, x, out, sm, s);
    case Op::rsqrt: return run_floating(Rsqrt{}, x, out, sm, s);
    case Op::pow_scalar: return run_floating(PowScalar{a}, x, out, sm, s);
    case Op::rpow_scalar: return run_floating(RPowScalar{a}, x, out, sm, s);
    case Op::leaky_relu: return run_floating(LeakyRelu{a}, x, out, sm, s);
    case Op::gelu: return run_floating(Gelu{}, x, out, sm, s);
    case Op::sigmoid: return run_floating(Sigmoid{}, x, out, sm, s);
    case Op::tanh: return run_floating(Tanh{}, x, out, sm, s);
    case Op::clamp: return run_floating(Clamp{a, b, !std::isnan(a), !std::isnan(b)}, x, out, sm, s);
    default: return cudaErrorNotSupported;
  }
}

}  // namespace ember::cuda
