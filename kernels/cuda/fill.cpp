#include <cstring>

#include "kernels/cuda/check.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// The value's bit pattern in the tensor's dtype.
template <class T>
uint64_t bits_of(double v) {
  T t;
  if constexpr (std::is_same_v<T, bool>) t = v != 0.0;
  else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) t = T(static_cast<float>(v));
  else t = static_cast<T>(v);
  uint64_t bits = 0;
  std::memcpy(&bits, &t, sizeof(T));
  return bits;
}

}  // namespace

void fill_cuda(const Tensor& dst, double value) {
  uint64_t bits = detail::dispatch_all(dst.dtype(), "fill", [&]<class T>() { return bits_of<T>(value); });
  const TensorRef r = make_ref(dst, "fill");
  DeviceGuard guard(dst.device().index);
  EMBER_CUDA_CHECK_LAUNCH("fill", launch_fill(dst.raw_data(), static_cast<int>(dtype_size(dst.dtype())), dst.numel(),
                               dst.is_contiguous() ? nullptr : &r.g, bits, stream(dst.device().index)));
}

}  // namespace ember::cuda
