#include "kernels/cuda/launch.h"

namespace ember::cuda {
namespace {

template <class T>
__global__ void fill_kernel(T* base, int64_t n, Geometry g, T value, bool strided) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off = i;
    if (strided) {
      off = 0;
      int64_t rem = i;
      for (int d = g.ndim - 1; d >= 0; --d) {
        off += (rem % g.shape[d]) * g.strides[d];
        rem /= g.shape[d];
      }
    }
    base[off] = value;
  }
}

template <class T>
cudaError_t run(void* base, int64_t n, const Geometry* g, uint64_t bits, cudaStream_t stream) {
  const int threads = 256;
  int64_t want = (n + threads - 1) / threads;
  const int blocks = static_cast<int>(want < 65535 ? want : 65535);
  Geometry geo = g ? *g : Geometry{};
  fill_kernel<T><<<blocks, threads, 0, stream>>>(static_cast<T*>(base), n, geo, static_cast<T>(bits), g != nullptr);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_fill(void* base, int elem_size, int64_t n, const Geometry* g, uint64_t bits,
                        cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (elem_size) {
    case 1: return run<uint8_t>(base, n, g, bits, stream);
    case 2: return run<uint16_t>(base, n, g, bits, stream);
    case 4: return run<uint32_t>(base, n, g, bits, stream);
    case 8: return run<uint64_t>(base, n, g, bits, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace ember::cuda
