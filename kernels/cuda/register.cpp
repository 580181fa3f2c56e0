#include "ember/core/dispatch.h"
#include "kernels/cuda/kernels.h"

namespace ember {

void register_cuda_kernels() {
  set_allocator(DeviceType::CUDA, cuda::device_allocator());
  register_kernel(OpId::copy, DeviceType::CUDA, &cuda::copy_cuda, "Copy");
  register_kernel(OpId::fill, DeviceType::CUDA, &cuda::fill_cuda, "Fill");
}

}  // namespace ember
