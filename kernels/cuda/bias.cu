// Bias broadcasts and the bias gradient for the cuBLAS/cuDNN wrappers (matmul.cpp,
// conv.cpp). Our own kernels rather than cudnnAddTensor / cudnnConvolutionBackwardBias:
// one code path for every floating dtype (bf16 included) and a bias gradient summed in a
// fixed order, so it is the same from run to run.
#include "kernels/cuda/bias_launch.h"
#include "kernels/cuda/dtype.cuh"

namespace ember::cuda {
namespace {

using ew::acc_t;
using ew::load;
using ew::to_storage;

constexpr int kThreads = 256;

int blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<int>(want < 65535 ? (want > 0 ? want : 1) : 65535);  // grid-stride loops cover the rest
}

template <class U>
__global__ void bias_rows_kernel(U* out, const U* bias, int64_t total, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = bias[i % n];
  }
}

template <class T>
__global__ void bias_add_kernel(T* y, const T* bias, int64_t total, int64_t channels, int64_t inner) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = (i / inner) % channels;
    y[i] = to_storage<T>(load(y[i]) + load(bias[c]));
  }
}

// One block per channel; each thread sums a fixed, strided subset of the channel's
// outer * inner elements, then the block reduces in a fixed tree order.
template <class T>
__global__ void bias_grad_kernel(const T* gy, T* gb, int64_t outer, int64_t channels, int64_t inner) {
  using A = acc_t<T>;
  __shared__ A buf[kThreads];
  const int64_t c = blockIdx.x;
  const int64_t count = outer * inner;
  A acc = 0;
  for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const int64_t o = j / inner;
    const int64_t i = j - o * inner;
    acc += load(gy[(o * channels + c) * inner + i]);
  }
  buf[threadIdx.x] = acc;
  __syncthreads();
  for (int step = kThreads / 2; step > 0; step >>= 1) {
    if (static_cast<int>(threadIdx.x) < step) buf[threadIdx.x] += buf[threadIdx.x + step];
    __syncthreads();
  }
  if (threadIdx.x == 0) gb[c] = to_storage<T>(buf[0]);
}

template <class T>
cudaError_t bias_add(void* y, const void* bias, int64_t outer, int64_t channels, int64_t inner, cudaStream_t s) {
  const int64_t total = outer * channels * inner;
  bias_add_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(static_cast<T*>(y), static_cast<const T*>(bias), total,
                                                            channels, inner);
  return cudaGetLastError();
}

template <class T>
cudaError_t bias_grad(const void* gy, void* gb, int64_t outer, int64_t channels, int64_t inner, cudaStream_t s) {
  bias_grad_kernel<T><<<static_cast<unsigned>(channels), kThreads, 0, s>>>(static_cast<const T*>(gy),
                                                                           static_cast<T*>(gb), outer, channels, inner);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_bias_rows(void* out, const void* bias, int elem_size, int64_t rows, int64_t n,
                             cudaStream_t stream) {
  const int64_t total = rows * n;
  if (total == 0) return cudaSuccess;
  const int blocks = blocks_for(total);
  switch (elem_size) {
    case 2:
      bias_rows_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<uint16_t*>(out),
                                                        static_cast<const uint16_t*>(bias), total, n);
      break;
    case 4:
      bias_rows_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<uint32_t*>(out),
                                                        static_cast<const uint32_t*>(bias), total, n);
      break;
    case 8:
      bias_rows_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<uint64_t*>(out),
                                                        static_cast<const uint64_t*>(bias), total, n);
      break;
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

cudaError_t launch_bias_add_channels(void* y, const void* bias, DType dtype, int64_t outer, int64_t channels,
                                     int64_t inner, cudaStream_t stream) {
  if (outer * channels * inner == 0) return cudaSuccess;
  return ew::dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return bias_add<T>(y, bias, outer, channels, inner, stream);
  });
}

cudaError_t launch_bias_grad_channels(const void* gy, void* gb, DType dtype, int64_t outer, int64_t channels,
                                      int64_t inner, cudaStream_t stream) {
  if (channels == 0) return cudaSuccess;
  if (channels > 0x7fffffff) return cudaErrorInvalidConfiguration;
  return ew::dispatch_floating(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return bias_grad<T>(gy, gb, outer, channels, inner, stream);
  });
}

}  // namespace ember::cuda
