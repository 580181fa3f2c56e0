#pragma once
// Launchers for our .cu kernels. This header stays free of ember's C++ headers (nvcc
// cannot compile fmt's compile-time format checks), so .cu files see plain types only;
// the .cpp side converts tensors and checks the returned status.
#include <cstdint>

#include <cuda_runtime_api.h>

namespace ember::cuda {

inline constexpr int kMaxDims = 12;

struct StridedGeometry {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // in elements
};

// Writes the elem_size-byte pattern `bits` to n elements (contiguous when g is null).
cudaError_t launch_fill(void* base, int elem_size, int64_t n, const StridedGeometry* g, uint64_t bits,
                        cudaStream_t stream);

}  // namespace ember::cuda
