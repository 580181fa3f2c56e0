#include <mutex>

#include "ember/core/runtime.h"
#include "kernels/cuda/check.h"

namespace ember {

int cuda_device_count() {
  static int count = [] {
    int n = 0;
    // Without a driver this returns cudaErrorInsufficientDriver (35) or cudaErrorNoDevice;
    // both mean "no usable device", not an error.
    cudaError_t err = cudaGetDeviceCount(&n);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky error state
      return 0;
    }
    return n;
  }();
  return count;
}

namespace cuda {

void set_device(int device) {
  int n = cuda_device_count();
  EMBER_CHECK(device >= 0 && device < n, DeviceError, "cuda:{} does not exist ({} CUDA devices available)", device,
              n);
  EMBER_CUDA_CHECK(cudaSetDevice(device));
}

// The legacy default stream for now; per-device stream objects come with the caching
// allocator.
cudaStream_t current_stream(int) { return nullptr; }

}  // namespace cuda
}  // namespace ember
