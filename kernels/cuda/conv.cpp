// 2-D convolution on cuDNN: forward, backward data and backward filter (NCHW, contiguous).
//
// Why cuDNN's legacy API (cudnnConvolutionForward & co.): it is deprecated in cuDNN 9 but
// still shipped and supported across the 9.x series, while the graph API needs either
// cudnn_frontend (shipped neither with the CUDA toolkit nor in Debian) or several hundred
// lines of backend-descriptor code per op. Future work: move to the graph API before a
// cuDNN release drops the legacy one, which also opens fused conv+bias+activation.
//
// Algorithms are chosen once per geometry by measurement (conv_algo.cpp); the bias is
// added and its gradient summed by our own kernels (bias.cu).
#include <algorithm>

#include "ember/core/dispatch.h"
#include "kernels/cuda/bias_launch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/conv_algo.h"
#include "kernels/cuda/cudnn_desc.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"  // see cudnn_desc.h

namespace ember::cuda {
namespace {

// cuDNN's alpha/beta: double for f64 data, float for every other dtype.
struct Scale {
  explicit Scale(double v) : d(v), f(static_cast<float>(v)) {}
  const void* get(DType t) const { return t == DType::f64 ? static_cast<const void*>(&d) : &f; }
  double d;
  float f;
};

// Runs `call(algo, workspace, bytes)` with the chosen algorithm and math type. When its
// workspace cannot be allocated, falls back to the fastest algorithm that needs none.
// The workspace is freed when this returns, with the pass only queued: safe, because the
// caching allocator hands the block out again only to work on this same stream.
template <class F>
void run_pass(ConvPass pass, cudnnHandle_t h, const ConvAlgo& a, ConvDescs& d, Device device, F&& call) {
  Workspace ws;
  int algo = a.algo;
  d.conv.set_math(a.math);
  const size_t need = std::max(a.workspace, conv_workspace_size(pass, h, d, a.algo));
  if (need > 0) {
    try {
      ws = Workspace(need, device);
    } catch (const CudaError&) {
      if (a.fallback_algo < 0) throw;
      algo = a.fallback_algo;
      d.conv.set_math(a.fallback_math);
    }
  }
  call(algo, ws.data(), ws.size());
}

void zero(const Tensor& t, cudaStream_t s) { EMBER_CUDA_CHECK(cudaMemsetAsync(t.raw_data(), 0, t.nbytes(), s)); }

void conv2d_cuda(const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& out, const Conv2dOptions& opt) {
  const char* op = "conv2d";
  cudnn_dtype(x.dtype(), op);  // rejects non-floating dtypes before anything else
  if (out.numel() == 0) return;
  const Device dev = out.device();
  DeviceGuard guard(dev);
  cudaStream_t s = stream(dev.index);
  if (x.numel() == 0 || w.numel() == 0) {  // no input channels: out = bias or 0
    zero(out, s);
  } else {
    ConvDescs d(x.shape(), w.shape(), out.shape(), opt, x.dtype(), op);
    cudnnHandle_t h = cudnn_handle(dev.index);
    const ConvAlgo a = conv_algorithm(ConvPass::forward, h, d, {x.raw_data(), w.raw_data(), out.raw_data()},
                                      x.shape(), w.shape(), opt, x.dtype(), dev);
    const Scale one(1.0), zero_scale(0.0);
    run_pass(ConvPass::forward, h, a, d, dev, [&](int algo, void* ws, size_t bytes) {
      EMBER_CUDNN_CHECK(cudnnConvolutionForward(h, one.get(x.dtype()), d.x.get(), x.raw_data(), d.w.get(),
                                                w.raw_data(), d.conv.get(),
                                                static_cast<cudnnConvolutionFwdAlgo_t>(algo), ws, bytes,
                                                zero_scale.get(x.dtype()), d.y.get(), out.raw_data()));
    });
  }
  if (bias.defined()) {
    const Tensor bc = bias.is_contiguous() ? bias : bias.contiguous();
    EMBER_CUDA_CHECK_LAUNCH(op, launch_bias_add_channels(out.raw_data(), bc.raw_data(), out.dtype(),
                                                         out.size(0), out.size(1), out.size(2) * out.size(3), s));
  }
}

void conv2d_backward_data_cuda(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dOptions& opt) {
  const char* op = "conv2d_backward_data";
  cudnn_dtype(gx.dtype(), op);
  if (gx.numel() == 0) return;
  const Device dev = gx.device();
  DeviceGuard guard(dev);
  cudaStream_t s = stream(dev.index);
  if (gy.numel() == 0 || w.numel() == 0) {
    zero(gx, s);
    return;
  }
  ConvDescs d(gx.shape(), w.shape(), gy.shape(), opt, gx.dtype(), op);
  cudnnHandle_t h = cudnn_handle(dev.index);
  const ConvAlgo a = conv_algorithm(ConvPass::backward_data, h, d, {gx.raw_data(), w.raw_data(), gy.raw_data()},
                                    gx.shape(), w.shape(), opt, gx.dtype(), dev);
  const Scale one(1.0), zero_scale(0.0);
  run_pass(ConvPass::backward_data, h, a, d, dev, [&](int algo, void* ws, size_t bytes) {
    EMBER_CUDNN_CHECK(cudnnConvolutionBackwardData(h, one.get(gx.dtype()), d.w.get(), w.raw_data(), d.y.get(),
                                                   gy.raw_data(), d.conv.get(),
                                                   static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), ws, bytes,
                                                   zero_scale.get(gx.dtype()), d.x.get(), gx.raw_data()));
  });
}

void conv2d_backward_weight_cuda(const Tensor& x, const Tensor& gy, const Tensor& gw, const Tensor& gb,
                                 const Conv2dOptions& opt) {
  const char* op = "conv2d_backward_weight";
  cudnn_dtype(x.dtype(), op);
  const Device dev = x.device();
  DeviceGuard guard(dev);
  cudaStream_t s = stream(dev.index);
  if (gw.defined() && gw.numel() > 0) {
    if (x.numel() == 0 || gy.numel() == 0) {
      zero(gw, s);
    } else {
      ConvDescs d(x.shape(), gw.shape(), gy.shape(), opt, x.dtype(), op);
      cudnnHandle_t h = cudnn_handle(dev.index);
      const ConvAlgo a = conv_algorithm(ConvPass::backward_filter, h, d, {x.raw_data(), gw.raw_data(), gy.raw_data()},
                                        x.shape(), gw.shape(), opt, x.dtype(), dev);
      const Scale one(1.0), zero_scale(0.0);
      run_pass(ConvPass::backward_filter, h, a, d, dev, [&](int algo, void* ws, size_t bytes) {
        EMBER_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, one.get(x.dtype()), d.x.get(), x.raw_data(), d.y.get(),
                                                         gy.raw_data(), d.conv.get(),
                                                         static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), ws, bytes,
                                                         zero_scale.get(x.dtype()), d.w.get(), gw.raw_data()));
      });
    }
  }
  if (gb.defined()) {
    EMBER_CUDA_CHECK_LAUNCH(op, launch_bias_grad_channels(gy.raw_data(), gb.raw_data(), gb.dtype(), gy.size(0),
                                                          gy.size(1), gy.size(2) * gy.size(3), s));
  }
}

}  // namespace

void register_conv_kernels() {
  register_kernel<OpId::conv2d>(DeviceType::cuda, &conv2d_cuda);
  register_kernel<OpId::conv2d_backward_data>(DeviceType::cuda, &conv2d_backward_data_cuda);
  register_kernel<OpId::conv2d_backward_weight>(DeviceType::cuda, &conv2d_backward_weight_cuda);
}

}  // namespace ember::cuda

#pragma GCC diagnostic pop
