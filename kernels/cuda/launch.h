#pragma once
// The boundary between the C++ side of the CUDA backend and our .cu kernels. This header
// stays free of ember's C++ headers (nvcc cannot compile fmt's compile-time format
// checks), so .cu files see plain types only; the .cpp side turns tensors into
// TensorRefs (tensor_ref.h), calls a launcher and checks the returned status.
#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/common/index_math.h"

namespace ember::cuda {

using kernels::Geometry;
using kernels::kMaxDims;

// Mirrors ember::DType value for value (static_assert in tensor_ref.h).
enum class DT : uint8_t { f32, f64, f16, bf16, i32, i64, u8, boolean };

// Mirrors ember::OpId: the same X-macro list, so the numbering is the same.
enum class Op : uint16_t {
#define EMBER_OP(name, family) name,
#include "core/ops.def"
#undef EMBER_OP
  kCount
};

// One operand: data pointer (already offset to the first element), dtype and geometry.
struct TensorRef {
  void* data = nullptr;
  DT dtype = DT::f32;
  int64_t numel = 0;
  Geometry g;
};

// Writes the elem_size-byte pattern `bits` to n elements (contiguous when g is null).
cudaError_t launch_fill(void* base, int elem_size, int64_t n, const Geometry* g, uint64_t bits,
                        cudaStream_t stream);

}  // namespace ember::cuda
