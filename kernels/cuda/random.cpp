// Host side of the CUDA random kernels: Tensor -> launcher arguments (random_launch.h).
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/random_launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

template <OpId kKind>
void random_cuda(const Tensor& out, const Tensor& probs, const RandomArgs& a) {
  const char* op = op_name(kKind);
  EMBER_CHECK(out.is_contiguous(), ValueError, "{}: the output must be contiguous (shape {})", op,
              shape_str(out.shape()));
  if constexpr (kKind == OpId::random_uniform || kKind == OpId::random_normal) {
    EMBER_CHECK(is_floating(out.dtype()), DTypeError, "{}: expected a floating-point output, got {}", op,
                out.dtype());
  }
  RandomDraw d;
  d.kind = kKind;
  d.seed = a.seed;
  d.offset = a.offset;
  d.p = a.p;
  d.low = a.low;
  d.range = static_cast<uint64_t>(a.high) - static_cast<uint64_t>(a.low);
  TensorRef pr;
  const bool has_probs = kKind == OpId::random_bernoulli && probs.defined();
  if (has_probs) {
    EMBER_CHECK(probs.device() == out.device(), DeviceError, "{}: probabilities on {} but the output on {}", op,
                probs.device(), out.device());
    EMBER_CHECK(is_floating(probs.dtype()), DTypeError, "{}: probabilities must be floating point, got {}", op,
                probs.dtype());
    EMBER_CHECK(probs.numel() == out.numel(), ShapeError, "{}: {} probabilities for {} outputs", op,
                probs.numel(), out.numel());
    pr = make_ref(probs, op);
    kernels::coalesce_dims(&pr.g, 1);
  }
  const int dev = out.device().index;
  DeviceGuard guard(dev);
  EMBER_CUDA_CHECK_LAUNCH(op, launch_random(d, out.raw_data(), out.dtype(), out.numel(),
                                            has_probs ? &pr : nullptr, stream(dev)));
}

}  // namespace

void register_random_kernels() {
  register_kernel<OpId::random_uniform>(DeviceType::cuda, &random_cuda<OpId::random_uniform>);
  register_kernel<OpId::random_normal>(DeviceType::cuda, &random_cuda<OpId::random_normal>);
  register_kernel<OpId::random_bernoulli>(DeviceType::cuda, &random_cuda<OpId::random_bernoulli>);
  register_kernel<OpId::random_int>(DeviceType::cuda, &random_cuda<OpId::random_int>);
}

}  // namespace ember::cuda
