// Copies that involve a CUDA tensor: device<->device (strided and casting, by a kernel),
// host<->device and device<->device across GPUs. Same-dtype contiguous transfers are one
// cudaMemcpyAsync on the current stream; anything else stages through a contiguous
// buffer so that the gather/scatter and cast run as a kernel on the device.
#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/elementwise_launch.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

bool plain(const Tensor& src, const Tensor& dst) {
  return src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous();
}

// src and dst on the same CUDA device.
void copy_on_device(const Tensor& src, const Tensor& dst) {
  const int dev = dst.device().index;
  DeviceGuard guard(dev);
  if (plain(src, dst)) {
    if (src.raw_data() != dst.raw_data())
      EMBER_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), src.nbytes(), cudaMemcpyDeviceToDevice,
                                       stream(dev)));
    return;
  }
  EMBER_CUDA_CHECK_LAUNCH("copy", launch_copy(make_ref(src, "copy"), make_ref(dst, "copy"), sm_count(dev),
                                              stream(dev)));
}

void cpu_copy(const Tensor& src, const Tensor& dst) {
  get_kernel<OpId::copy>(DeviceType::cpu)(src, dst, false);
}

// A contiguous host tensor with src's values and dtype (src itself when it already is).
Tensor contiguous_on_host(const Tensor& src) {
  if (src.is_contiguous()) return src;
  Tensor t = make_tensor(src.shape(), src.dtype(), Device::cpu());
  cpu_copy(src, t);
  return t;
}

// A contiguous tensor on src's device with src's values in `dtype` (src itself when it
// already is one).
Tensor contiguous_on_device(const Tensor& src, DType dtype) {
  if (src.is_contiguous() && src.dtype() == dtype) return src;
  Tensor t = make_tensor(src.shape(), dtype, src.device());
  copy_on_device(src, t);
  return t;
}

void host_to_device(const Tensor& src, const Tensor& dst, bool non_blocking) {
  // Pageable memory is staged by the driver before cudaMemcpyAsync returns, so a host
  // temporary may die right after; pinned memory is read later, in stream order, and its
  // allocator must hold the block until then (record_pinned_host_use: a freed block is
  // not handed out again before the copy is done). Unless the caller asked for
  // non_blocking, the stream is synchronised so that the caller may write into the pinned
  // source as soon as copy returns; with non_blocking it must not (PyTorch's rule too).
  Tensor host = contiguous_on_host(src);
  Tensor target = plain(host, dst) ? dst : make_tensor(src.shape(), src.dtype(), dst.device());
  const int dev = dst.device().index;
  {
    DeviceGuard guard(dev);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(target.raw_data(), host.raw_data(), host.nbytes(), cudaMemcpyHostToDevice,
                                     stream(dev)));
    if (is_pinned_host(host.raw_data())) {
      if (non_blocking) record_pinned_host_use(host.raw_data(), stream(dev));
      else EMBER_CUDA_CHECK(cudaStreamSynchronize(stream(dev)));
    }
  }
  if (!target.is_same(dst)) copy_on_device(target, dst);
}

void device_to_host(const Tensor& src, const Tensor& dst) {
  Tensor staged = contiguous_on_device(src, dst.dtype());
  Tensor host = dst.is_contiguous() ? dst : make_tensor(dst.shape(), dst.dtype(), Device::cpu());
  const int dev = src.device().index;
  {
    DeviceGuard guard(dev);
    EMBER_CUDA_CHECK(cudaMemcpyAsync(host.raw_data(), staged.raw_data(), staged.nbytes(), cudaMemcpyDeviceToHost,
                                     stream(dev)));
    // The caller reads the host tensor as soon as copy returns.
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream(dev)));
  }
  if (!host.is_same(dst)) cpu_copy(host, dst);
}

// cuda:a -> cuda:b. Gather and cast on the source device, one peer copy, scatter on the
// destination device. Both streams are synchronized around the peer copy: it runs on the
// source device's stream and must neither overtake work queued on the destination nor
// be overtaken by it; copies between GPUs are rare enough for this to be cheap.
void device_to_device(const Tensor& src, const Tensor& dst) {
  Tensor staged = contiguous_on_device(src, dst.dtype());
  Tensor target = dst.is_contiguous() ? dst : make_tensor(dst.shape(), dst.dtype(), dst.device());
  const int from = src.device().index, to = dst.device().index;
  {
    DeviceGuard guard(to);
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream(to)));
  }
  {
    DeviceGuard guard(from);
    EMBER_CUDA_CHECK(cudaMemcpyPeerAsync(target.raw_data(), to, staged.raw_data(), from, staged.nbytes(),
                                         stream(from)));
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream(from)));
  }
  if (!target.is_same(dst)) copy_on_device(target, dst);
}

}  // namespace

void copy_cuda(const Tensor& src, const Tensor& dst, bool non_blocking) {
  EMBER_CHECK(src.shape() == dst.shape(), ShapeError, "copy: source shape {} != destination shape {}",
              shape_str(src.shape()), shape_str(dst.shape()));
  if (src.numel() == 0) return;
  const bool from_cuda = src.device().is_cuda(), to_cuda = dst.device().is_cuda();
  if (!from_cuda && !to_cuda) {
    cpu_copy(src, dst);
  } else if (!from_cuda) {
    host_to_device(src, dst, non_blocking);
  } else if (!to_cuda) {
    device_to_host(src, dst);
  } else if (src.device() == dst.device()) {
    copy_on_device(src, dst);
  } else {
    device_to_device(src, dst);
  }
}

}  // namespace ember::cuda
