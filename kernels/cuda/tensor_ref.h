#pragma once
// Tensor -> TensorRef for the .cu launchers (see launch.h).
#include "ember/core/tensor.h"
#include "kernels/cuda/launch.h"

namespace ember::cuda {

// Throws ShapeError naming `op` when the tensor has more dims than the kernels support.
inline TensorRef make_ref(const Tensor& t, const char* op) {
  EMBER_CHECK(t.dim() <= kMaxDims, ShapeError, "{}: the CUDA kernels support at most {} dims, got {} (shape {})",
              op, kMaxDims, t.dim(), shape_str(t.shape()));
  TensorRef r;
  r.data = t.raw_data();
  r.dtype = t.dtype();
  r.numel = t.numel();
  r.g.ndim = static_cast<int>(t.dim());
  for (int d = 0; d < r.g.ndim; ++d) {
    r.g.shape[d] = t.shape()[d];
    r.g.strides[d] = t.strides()[d];
  }
  return r;
}

}  // namespace ember::cuda
