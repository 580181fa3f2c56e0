#pragma once
// Entry points of the CUDA backend's parts; register.cpp calls each register_* once.
#include "ember/core/allocator.h"
#include "ember/core/tensor.h"

namespace ember::cuda {
Allocator* device_allocator();
void fill_cuda(const Tensor& dst, double value);
void copy_cuda(const Tensor& src, const Tensor& dst);

void register_elementwise_kernels();  // unary, binary, compare, where
void register_reduce_kernels();       // sum, amax, amin, max_dim, min_dim
void register_softmax_kernels();
void register_indexing_kernels();     // gather, scatter_add, index_select
void register_matmul_kernels();       // cuBLAS
void register_conv_kernels();         // cuDNN
void register_pool_kernels();
void register_batch_norm_kernels();
void register_optim_kernels();        // fused optimizer updates
}  // namespace ember::cuda
