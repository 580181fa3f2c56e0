#pragma once
// Launchers of the elementwise and copy kernels (unary.cu, binary.cu, compare.cu, copy.cu).
// Plain types only (see launch.h). All operands have out's shape; broadcast inputs have
// stride 0. The caller has made the operands' device current and checked the dtypes:
// a dtype outside an op's set returns cudaErrorNotSupported.
#include <cuda_runtime_api.h>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

// out = op(x; args), out.dtype == x.dtype: floating dtypes, and integer ones (i32, i64,
// u8) for the ops whose functor has kIntegers (kernels/common/elementwise_ops.h).
cudaError_t launch_unary(OpId op, const TensorRef& x, const TensorRef& out, const ScalarArgs& args, int sm_count,
                         cudaStream_t stream);

// out = op(a, b) for add, sub, mul, div, maximum, minimum, pow, relu_backward; one numeric
// dtype (not bool) for all three.
cudaError_t launch_binary(OpId op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm_count,
                          cudaStream_t stream);

// out (bool) = op(a, b) for eq, ne, lt, le, gt, ge; a and b of one dtype, any.
cudaError_t launch_compare(OpId op, const TensorRef& a, const TensorRef& b, const TensorRef& out, int sm_count,
                           cudaStream_t stream);

// out = cond ? a : b; cond bool, a, b and out of one dtype, any.
cudaError_t launch_where(const TensorRef& cond, const TensorRef& a, const TensorRef& b, const TensorRef& out,
                         int sm_count, cudaStream_t stream);

// dst = src converted to dst's dtype (the CPU copy kernel's casts), both on the current
// device, any strides.
cudaError_t launch_copy(const TensorRef& src, const TensorRef& dst, int sm_count, cudaStream_t stream);

}  // namespace ember::cuda
