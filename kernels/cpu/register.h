#pragma once
// One registration function per kernel file; register_cpu_kernels() calls them all.
namespace ember::cpu {
void register_copy_kernels();
void register_unary_kernels();
void register_binary_kernels();
void register_reduce_kernels();
void register_matmul_kernels();
void register_softmax_kernels();
void register_indexing_kernels();
void register_conv_kernels();
void register_pool_kernels();
void register_batch_norm_kernels();
void register_random_kernels();
void register_optim_kernels();
void register_cross_entropy_kernels();
void register_sort_kernels();
}  // namespace ember::cpu
