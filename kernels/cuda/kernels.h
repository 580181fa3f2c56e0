#pragma once
// Entry points of the CUDA backend's parts; register.cpp calls each register_* once.
#include "ember/core/allocator.h"
#include "ember/core/tensor.h"

namespace ember::cuda {
Allocator* device_allocator();
void fill_cuda(const Tensor& dst, double value);
void copy_cuda(const Tensor& src, const Tensor& dst, bool non_blocking);

// Pinned host memory (pinned.cpp). True when `p` points into a live block of the pinned
// host allocator, so that a copy from or to it may run asynchronously.
bool is_pinned_host(const void* p);
// To call after queueing an asynchronous copy from or to pinned memory on `stream` (a
// cudaStream_t; its device current): the block is not handed out again before that work
// is done, even if its tensor is freed first. Does nothing for other pointers.
void record_pinned_host_use(const void* p, void* stream);
// Returns the cached pinned blocks whose work is done to the driver (cuda::empty_cache).
void empty_pinned_host_cache();

void register_elementwise_kernels();  // unary, binary, compare, where
void register_reduce_kernels();       // sum, amax, amin, max_dim, min_dim
void register_softmax_kernels();
void register_indexing_kernels();     // gather, scatter_add, index_select
void register_matmul_kernels();       // cuBLAS
void register_conv_kernels();         // cuDNN
void register_pool_kernels();
void register_batch_norm_kernels();
void register_optim_kernels();        // fused optimizer updates
void register_random_kernels();       // Philox draws (core/philox.h)
void register_cross_entropy_kernels();  // fused cross-entropy forward/backward
void register_sort_kernels();           // argsort (CUB segmented sort)
}  // namespace ember::cuda
