// Copies that involve a CUDA tensor. Same-dtype contiguous copies are one cudaMemcpy;
// anything else is staged through a contiguous host tensor and the CPU copy kernel
// (dtype casts and strided copies get device kernels with the rest of the CUDA backend).
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
namespace {

void memcpy_contiguous(const Tensor& src, const Tensor& dst) {
  const size_t n = src.nbytes();
  if (n == 0) return;
  cudaMemcpyKind kind = src.device().is_cpu()   ? cudaMemcpyHostToDevice
                        : dst.device().is_cpu() ? cudaMemcpyDeviceToHost
                                                : cudaMemcpyDeviceToDevice;
  set_device(src.device().is_cuda() ? src.device().index : dst.device().index);
  EMBER_CUDA_CHECK(cudaMemcpy(dst.raw_data(), src.raw_data(), n, kind));
}

}  // namespace

void copy_cuda(const Tensor& src, const Tensor& dst) {
  EMBER_CHECK(src.shape() == dst.shape(), ShapeError, "copy: source shape {} != destination shape {}",
              shape_str(src.shape()), shape_str(dst.shape()));
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    memcpy_contiguous(src, dst);
    return;
  }
  auto cpu_copy = get_kernel<kernel::Copy>(OpId::copy, DeviceType::CPU, "Copy");
  Tensor host_src = src;
  if (src.device().is_cuda()) {
    EMBER_CHECK(src.is_contiguous(), NotImplementedError,
                "copy: strided copies out of CUDA memory are not implemented yet (shape {})", shape_str(src.shape()));
    host_src = make_tensor(src.shape(), src.dtype(), Device::cpu());
    memcpy_contiguous(src, host_src);
  }
  if (dst.device().is_cpu()) {
    cpu_copy(host_src, dst);
    return;
  }
  EMBER_CHECK(dst.is_contiguous(), NotImplementedError,
              "copy: strided copies into CUDA memory are not implemented yet (shape {})", shape_str(dst.shape()));
  Tensor staged = make_tensor(dst.shape(), dst.dtype(), Device::cpu());
  cpu_copy(host_src, staged);
  memcpy_contiguous(staged, dst);
}

}  // namespace ember::cuda
