#include "kernels/cpu/register.h"

#include "ember/core/dispatch.h"

namespace ember {

void register_cpu_kernels() {
  cpu::register_copy_kernels();
  cpu::register_unary_kernels();
  cpu::register_binary_kernels();
  cpu::register_reduce_kernels();
  cpu::register_matmul_kernels();
  cpu::register_softmax_kernels();
  cpu::register_indexing_kernels();
  cpu::register_conv_kernels();
  cpu::register_pool_kernels();
  cpu::register_batch_norm_kernels();
  cpu::register_random_kernels();
  cpu::register_optim_kernels();
  cpu::register_cross_entropy_kernels();
  cpu::register_sort_kernels();
}

}  // namespace ember
