#pragma once
// The boundary between the C++ side of the CUDA backend and our .cu kernels. This header
// stays free of ember's C++ headers (nvcc cannot compile fmt's compile-time format
// checks), so .cu files see plain types only, all of them defined once in
// core/kernel_abi.h (DType, OpId, the kernels' argument structs); the .cpp side turns
// tensors into TensorRefs (tensor_ref.h), calls a launcher and checks the returned status.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "ember/core/kernel_abi.h"
#include "kernels/common/index_math.h"

namespace ember::cuda {

using kernels::Geometry;
using kernels::kMaxDims;

// One operand: data pointer (already offset to the first element), dtype and geometry.
struct TensorRef {
  void* data = nullptr;
  DType dtype = DType::f32;
  int64_t numel = 0;
  Geometry g;
};

// Writes the elem_size-byte pattern `bits` to n elements (contiguous when g is null).
cudaError_t launch_fill(void* base, int elem_size, int64_t n, const Geometry* g, uint64_t bits,
                        cudaStream_t stream);

}  // namespace ember::cuda
