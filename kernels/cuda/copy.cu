// Device-side copies: strided gather/scatter and dtype casts with the CPU copy kernel's
// rules (kernels/cpu/copy.cpp): to bool is "!= 0" (NaN is true), 16-bit floats round to
// nearest even from float, everything else is a C++ static_cast of the compute value
// (floating -> u8 through int64, so that negative values wrap as on the CPU: int_cast).
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/elementwise_launch.h"

namespace ember::cuda {
namespace {

struct Identity {
  template <class U> __device__ U operator()(U v) const { return v; }
};

// Receives the source's compute value (float for f16/bf16); ew::to_storage then does
// the cast to To (via float for f16/bf16, as the CPU).
template <class To>
struct Convert {
  template <class A> __device__ auto operator()(A v) const {
    if constexpr (std::is_same_v<To, bool>) return v != A(0);
    else if constexpr (std::is_same_v<To, __half> || std::is_same_v<To, __nv_bfloat16>) return static_cast<float>(v);
    else if constexpr (std::is_integral_v<To>) return kernels::int_cast<To>(v);
    else return static_cast<To>(v);
  }
};

}  // namespace

cudaError_t launch_copy(const TensorRef& src, const TensorRef& dst, int sm, cudaStream_t s) {
  const TensorRef* in[] = {&src};
  if (src.dtype == dst.dtype) {
    return ew::dispatch_by_size(dst.dtype, [&]<class U>(ew::Tag<U>) {
      // Dense same-dtype copies are cudaMemcpyAsync on the .cpp side: no vector kernel.
      return ew::elementwise_strided<U, U>(Identity{}, dst, in, sm, s);
    });
  }
  return ew::dispatch_all(dst.dtype, [&]<class To>(ew::Tag<To>) {
    return ew::dispatch_all(src.dtype, [&]<class From>(ew::Tag<From>) -> cudaError_t {
      if constexpr (std::is_same_v<To, From>) return cudaErrorNotSupported;  // handled above
      else return ew::elementwise_strided<To, From>(Convert<To>{}, dst, in, sm, s);
    });
  });
}

}  // namespace ember::cuda
