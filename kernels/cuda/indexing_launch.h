#pragma once
// Launchers of indexing.cu (plain types: see launch.h). `index` is int64 with any strides;
// the other operands may be strided too. Indices outside [0, size of `dim`) are never
// dereferenced: gather/index_select write 0 for them and scatter_add skips them (the
// front-ends in core/ops/indexing.cpp reject such indices before any kernel runs).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

// out[..j..] = x[..index[..j..]..] along dim; out and index share a shape. Any dtype.
cudaError_t launch_gather(const TensorRef& x, int dim, const TensorRef& index, const TensorRef& out,
                          cudaStream_t stream);

// out[..index[j]..] = x along dim; index is 1-D (or 0-d) with out.shape[dim] elements. Any dtype.
cudaError_t launch_index_select(const TensorRef& x, int dim, const TensorRef& index, const TensorRef& out,
                                cudaStream_t stream);

// out[..index[..j..]..] += src[..j..] with atomics; index's shape is iterated, src and out
// are at least that large. Numeric dtypes (not bool).
cudaError_t launch_scatter_add(const TensorRef& out, int dim, const TensorRef& index, const TensorRef& src,
                               cudaStream_t stream);

}  // namespace ember::cuda
