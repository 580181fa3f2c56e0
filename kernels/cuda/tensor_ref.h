#pragma once
// Tensor -> TensorRef for the .cu launchers (see launch.h).
#include "ember/core/tensor.h"
#include "kernels/cuda/launch.h"

namespace ember::cuda {

static_assert(static_cast<int>(DT::boolean) == static_cast<int>(DType::boolean) &&
              static_cast<int>(DT::u8) == static_cast<int>(DType::u8) &&
              static_cast<int>(DT::bf16) == static_cast<int>(DType::bf16));

inline DT to_dt(DType d) { return static_cast<DT>(static_cast<uint8_t>(d)); }

// Throws ShapeError naming `op` when the tensor has more dims than the kernels support.
inline TensorRef make_ref(const Tensor& t, const char* op) {
  EMBER_CHECK(t.dim() <= kMaxDims, ShapeError, "{}: the CUDA kernels support at most {} dims, got {} (shape {})",
              op, kMaxDims, t.dim(), shape_str(t.shape()));
  TensorRef r;
  r.data = t.raw_data();
  r.dtype = to_dt(t.dtype());
  r.numel = t.numel();
  r.g.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < r.g.ndim; ++d) {
    r.g.shape[d] = t.shape()[d];
    r.g.strides[d] = t.strides()[d];
  }
  return r;
}

}  // namespace ember::cuda
