#pragma once
// The elementwise functions, written once: the CPU loops (kernels/cpu/unary.cpp,
// binary.cpp) and the CUDA kernels (kernels/cuda/unary.cu, binary.cu, compare.cu) call
// these same functors, so the CPU test suite executes the expressions the GPU runs.
// core/ops.def names each op's functor (EMBER_UNARY/EMBER_BINARY/EMBER_COMPARE lines).
//
// A functor is called on the compute type A: float for f16/bf16 (loads widen, stores
// round to nearest even), the storage type otherwise. Unary functors with parameters are
// constructed from the op's ScalarArgs; kIntegers says whether the op accepts integer
// dtypes as well as floating ones. Plain types only: .cu files include this.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ember/core/kernel_abi.h"
#include "kernels/common/elementwise.h"
#include "kernels/common/scalar_math.h"

namespace ember::kernels {

// ---- unary: out = f(x) ----

struct Neg {
  static constexpr bool kIntegers = true;
  template <class A> EMBER_HD A operator()(A x) const { return static_cast<A>(-x); }
};
struct Abs {
  static constexpr bool kIntegers = true;
  template <class A> EMBER_HD A operator()(A x) const {
    if constexpr (std::is_unsigned_v<A>) return x;
    else return x < A(0) ? static_cast<A>(-x) : x;
  }
};
// sign(NaN) = 0: both comparisons are false.
struct Sign {
  static constexpr bool kIntegers = true;
  template <class A> EMBER_HD A operator()(A x) const {
    if constexpr (std::is_unsigned_v<A>) return static_cast<A>(x > A(0));
    else return static_cast<A>((x > A(0)) - (x < A(0)));
  }
};
struct Exp {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return math::exp(x); }
};
struct Log {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return math::log(x); }
};
struct Log1p {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return math::log1p(x); }
};
struct Sqrt {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return math::sqrt(x); }
};
// 1/sqrt rather than rsqrtf, which is not correctly rounded.
struct Rsqrt {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return A(1) / math::sqrt(x); }
};
struct PowScalar {
  static constexpr bool kIntegers = false;
  double e;
  EMBER_HD explicit PowScalar(const ScalarArgs& s) : e(s.a) {}
  template <class A> EMBER_HD A operator()(A x) const {
    if (e == 2.0) return x * x;
    return math::pow(x, static_cast<A>(e));
  }
};
// s^x
struct RPowScalar {
  static constexpr bool kIntegers = false;
  double base;
  EMBER_HD explicit RPowScalar(const ScalarArgs& s) : base(s.a) {}
  template <class A> EMBER_HD A operator()(A x) const { return math::pow(static_cast<A>(base), x); }
};
// x != x keeps NaN (as PyTorch) and is false for integers.
struct Relu {
  static constexpr bool kIntegers = true;
  template <class A> EMBER_HD A operator()(A x) const { return (x > A(0) || x != x) ? x : A(0); }
};
struct LeakyRelu {
  static constexpr bool kIntegers = false;
  double slope;
  EMBER_HD explicit LeakyRelu(const ScalarArgs& s) : slope(s.a) {}
  template <class A> EMBER_HD A operator()(A x) const { return x > A(0) ? x : x * static_cast<A>(slope); }
};
struct Gelu {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const {
    return A(0.5) * x * (A(1) + math::erf(x * static_cast<A>(0.70710678118654752440)));
  }
};
struct Sigmoid {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return A(1) / (A(1) + math::exp(-x)); }
};
struct Tanh {
  static constexpr bool kIntegers = false;
  template <class A> EMBER_HD A operator()(A x) const { return math::tanh(x); }
};
// A NaN bound means "unbounded" (decided once, here); a NaN input stays NaN.
struct Clamp {
  static constexpr bool kIntegers = false;
  double lo, hi;
  bool has_lo, has_hi;
  EMBER_HD explicit Clamp(const ScalarArgs& s) : lo(s.a), hi(s.b), has_lo(!(s.a != s.a)), has_hi(!(s.b != s.b)) {}
  template <class A> EMBER_HD A operator()(A x) const {
    if (has_lo && x < static_cast<A>(lo)) x = static_cast<A>(lo);
    if (has_hi && x > static_cast<A>(hi)) x = static_cast<A>(hi);
    return x;
  }
};
// a*x + b: the scalar forms of add/sub/mul/div. Integers compute in double and convert
// like the CPU's cast (int_cast).
struct Affine {
  static constexpr bool kIntegers = true;
  double a, b;
  EMBER_HD explicit Affine(const ScalarArgs& s) : a(s.a), b(s.b) {}
  template <class A> EMBER_HD A operator()(A x) const {
    if constexpr (std::is_floating_point_v<A>) {
      return math::add_rn(math::mul_rn(static_cast<A>(a), x), static_cast<A>(b));
    } else {
      return int_cast<A>(math::add_rn(math::mul_rn(static_cast<double>(x), a), b));
    }
  }
};

// The functor of a unary op for its ScalarArgs.
template <class F>
EMBER_HD F make_unary(const ScalarArgs& s) {
  if constexpr (std::is_constructible_v<F, const ScalarArgs&>) return F(s);
  else return F{};
}

// ---- binary: out = f(a, b), every numeric dtype (not bool) ----

struct Add { template <class A> EMBER_HD A operator()(A a, A b) const { return static_cast<A>(a + b); } };
struct Sub { template <class A> EMBER_HD A operator()(A a, A b) const { return static_cast<A>(a - b); } };
struct Mul { template <class A> EMBER_HD A operator()(A a, A b) const { return static_cast<A>(a * b); } };
// Integer division truncates toward zero; the front-end lets only floating dtypes through
// (an integer zero divisor would trap on the CPU).
struct Div { template <class A> EMBER_HD A operator()(A a, A b) const { return static_cast<A>(a / b); } };
// NaN propagates (a + b is NaN when either is), as in PyTorch.
struct Maximum {
  template <class A> EMBER_HD A operator()(A a, A b) const {
    if constexpr (std::is_floating_point_v<A>) {
      if (math::isnan(a) || math::isnan(b)) return a + b;
    }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class A> EMBER_HD A operator()(A a, A b) const {
    if constexpr (std::is_floating_point_v<A>) {
      if (math::isnan(a) || math::isnan(b)) return a + b;
    }
    return a < b ? a : b;
  }
};
// Integers take the exact power (int_pow) and the cast the CPU's std::pow would be
// followed by: CUDA's pow may land an ulp below an exact power (48.99... for 7^2), which
// the truncating cast would turn into one less.
struct Pow {
  template <class A> EMBER_HD A operator()(A a, A b) const {
    if constexpr (std::is_floating_point_v<A>) return math::pow(a, b);
    else return int_cast<A>(int_pow(a, b));
  }
};
// (gradient, relu output) -> the gradient where the output is positive.
struct ReluBackward {
  template <class A> EMBER_HD A operator()(A g, A y) const { return y > A(0) ? g : A(0); }
};

// ---- comparisons: bool out, every dtype ----

struct Eq { template <class A> EMBER_HD bool operator()(A a, A b) const { return a == b; } };
struct Ne { template <class A> EMBER_HD bool operator()(A a, A b) const { return a != b; } };
struct Lt { template <class A> EMBER_HD bool operator()(A a, A b) const { return a < b; } };
struct Le { template <class A> EMBER_HD bool operator()(A a, A b) const { return a <= b; } };
struct Gt { template <class A> EMBER_HD bool operator()(A a, A b) const { return a > b; } };
struct Ge { template <class A> EMBER_HD bool operator()(A a, A b) const { return a >= b; } };

}  // namespace ember::kernels
