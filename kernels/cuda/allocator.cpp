// Device memory. A plain cudaMalloc/cudaFree allocator: the caching allocator that a
// training loop needs replaces it in the CUDA backend issue.
#include "ember/core/allocator.h"
#include "ember/core/cuda.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/runtime.h"

namespace ember::cuda {

class DeviceAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, Device device) override {
    set_device(device.index);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, nbytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      EMBER_THROW(CudaError, "cuda allocator: out of memory allocating {} bytes on {}", nbytes, device);
    }
    EMBER_CUDA_CHECK(err);
    return p;
  }
  void deallocate(void* ptr, Device device) noexcept override {
    // Destructors never throw: a failure here is reported by the next checked call.
    cudaSetDevice(device.index);
    cudaFree(ptr);
  }
};

Allocator* device_allocator() {
  static DeviceAllocator a;
  return &a;
}

}  // namespace ember::cuda

// Placeholder statistics until the caching allocator lands.
namespace ember::cuda {
MemoryStats memory_stats(int) { return {}; }
void reset_peak_memory_stats(int) {}
void empty_cache() {}
std::string memory_summary(int) { return {}; }
}  // namespace ember::cuda
