// Binary elementwise kernels on broadcast operands, mirroring kernels/cpu/binary.cpp on
// the compute type A (float for f16/bf16; integer ops wrap like the CPU's casts).
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

struct Add { template <class A> __device__ A operator()(A a, A b) const { return static_cast<A>(a + b); } };
struct Sub { template <class A> __device__ A operator()(A a, A b) const { return static_cast<A>(a - b); } };
struct Mul { template <class A> __device__ A operator()(A a, A b) const { return static_cast<A>(a * b); } };
// Integer division truncates toward zero (C++); a zero divisor gives an unspecified value
// where the CPU would trap (the front-end only lets floating dtypes through).
struct Div { template <class A> __device__ A operator()(A a, A b) const { return static_cast<A>(a / b); } };
// NaN propagates (a + b is NaN when either is), as on the CPU and in PyTorch.
struct Maximum {
  template <class A> __device__ A operator()(A a, A b) const {
    if constexpr (std::is_floating_point_v<A>) {
      if (isnan(a) || isnan(b)) return a + b;
    }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class A> __device__ A operator()(A a, A b) const {
    if constexpr (std::is_floating_point_v<A>) {
      if (isnan(a) || isnan(b)) return a + b;
    }
    return a < b ? a : b;
  }
};
// float stays float, double double. std::pow on two integers computes in double and the
// CPU kernel truncates that back; the device's ::pow is only accurate to 2 ulp, and a
// result an ulp below an exact power (48.99... for 7^2) would truncate to one less, so
// integers take the exact power (kernels::int_pow) and the CPU's cast (int_cast).
struct Pow {
  template <class A> __device__ A operator()(A a, A b) const {
    if constexpr (std::is_same_v<A, float>) return ::powf(a, b);
    else if constexpr (std::is_same_v<A, double>) return ::pow(a, b);
    else return kernels::int_cast<A>(kernels::int_pow(a, b));
  }
};
struct ReluBackward {
  template <class A> __device__ A operator()(A g, A y) const { return y > A(0) ? g : A(0); }
};

template <class F>
cudaError_t run(const F& f, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm, cudaStream_t s) {
  return ew::dispatch_numeric(out.dtype, [&]<class T>(ew::Tag<T>) {
    const TensorRef* in[] = {&a, &b};
    return ew::elementwise<T, T, T>(f, out, in, sm, s);
  });
}

}  // namespace

cudaError_t launch_binary(Op op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm,
                          cudaStream_t s) {
  if (a.dtype != out.dtype || b.dtype != out.dtype) return cudaErrorNotSupported;
  switch (op) {
    case Op::add: return run(Add{}, a, b, out, sm, s);
    case Op::sub: return run(Sub{}, a, b, out, sm, s);
    case Op::mul: return run(Mul{}, a, b, out, sm, s);
    case Op::div: return run(Div{}, a, b, out, sm, s);
    case Op::maximum: return run(Maximum{}, a, b, out, sm, s);
    case Op::minimum: return run(Minimum{}, a, b, out, sm, s);
    case Op::pow: return run(Pow{}, a, b, out, sm, s);
    case Op::relu_backward: return run(ReluBackward{}, a, b, out, sm, s);
    default: return cudaErrorNotSupported;
  }
}

}  // namespace ember::cuda
