#include "ember/core/dispatch.h"
#include "kernels/cuda/kernels.h"

namespace ember {

void register_cuda_kernels() {
  set_allocator(DeviceType::cuda, cuda::device_allocator());
  register_kernel<OpId::copy>(DeviceType::cuda, &cuda::copy_cuda);
  register_kernel<OpId::fill>(DeviceType::cuda, &cuda::fill_cuda);
  cuda::register_elementwise_kernels();
  cuda::register_reduce_kernels();
  cuda::register_softmax_kernels();
  cuda::register_indexing_kernels();
  cuda::register_matmul_kernels();
  cuda::register_conv_kernels();
  cuda::register_pool_kernels();
  cuda::register_batch_norm_kernels();
  cuda::register_optim_kernels();
  cuda::register_random_kernels();
  cuda::register_cross_entropy_kernels();
  cuda::register_sort_kernels();
}

}  // namespace ember
