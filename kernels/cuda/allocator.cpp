// Device memory: the caching allocator (kernels/common/block_pool.h) over cudaMalloc and
// cudaFree, one pool per device, so that a training loop stops calling cudaMalloc after its
// first step.
//
// A block is cached under the stream that was current when it was allocated and is reused
// only by work on that stream, which runs after whatever its last owner queued there. A
// tensor used on another stream must therefore have that stream synchronised (or waited on
// by the owning stream) before it is freed: there is no record_stream yet.
#include <cstdint>
#include <vector>

#include "ember/core/allocator.h"
#include "ember/core/cuda.h"
#include "ember/core/runtime.h"
#include "kernels/common/block_pool.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"

namespace ember::cuda {
namespace {

memory::RawBackend cuda_backend(int device) {
  memory::RawBackend b;
  // Called by the pool with `device` current (allocate and empty_cache set it).
  b.allocate = [](size_t n) -> void* {
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, n);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      return nullptr;
    }
    EMBER_CUDA_CHECK(err);
    return p;
  };
  // cudaFree waits for the device to finish, so no kernel still uses the segment. It must
  // not throw: a failure leaves the segment to the driver, which frees it with the context.
  // Errors are cleared, not left for the next kernel launch's cudaGetLastError to report.
  b.free = [device](void* p, size_t) {
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    if (prev != device) cudaSetDevice(device);
    cudaFree(p);
    if (prev >= 0 && prev != device) cudaSetDevice(prev);
    (void)cudaGetLastError();
  };
  b.describe = [device]() -> std::string {
    size_t free_b = 0, total_b = 0;
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    if (prev != device) cudaSetDevice(device);
    cudaError_t err = cudaMemGetInfo(&free_b, &total_b);
    if (prev >= 0 && prev != device) cudaSetDevice(prev);
    (void)cudaGetLastError();
    if (err != cudaSuccess) return {};
    return fmt::format("the device has {} in all, {} free", memory::format_bytes(total_b),
                       memory::format_bytes(free_b));
  };
  return b;
}

// One pool per device, made on first use and never destroyed: tensors held by statics, and
// the pools' cached segments, may outlive the CUDA runtime at process exit, and cudaFree
// after the runtime has torn down crashes. The driver reclaims the memory with the process.
std::vector<memory::BlockPool*>& pools() {
  static auto* all = [] {
    auto* v = new std::vector<memory::BlockPool*>();
    for (int d = 0; d < cuda_device_count(); ++d)
      v->push_back(new memory::BlockPool(fmt::format("cuda:{}", d), cuda_backend(d)));
    return v;
  }();
  return *all;
}

memory::BlockPool& pool(int device) {
  auto& all = pools();
  EMBER_CHECK(device >= 0 && static_cast<size_t>(device) < all.size(), DeviceError,
              "cuda:{} does not exist ({} CUDA devices available)", device, all.size());
  return *all[static_cast<size_t>(device)];
}

class DeviceAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes, Device device) override {
    DeviceGuard g(device.index);
    auto key = reinterpret_cast<memory::StreamKey>(stream(device.index));
    return pool(device.index).allocate(nbytes, key);
  }
  // Never throws; a pointer the pool does not know is ignored rather than corrupting it.
  void deallocate(void* ptr, Device device) noexcept override {
    try {
      pool(device.index).free(ptr);
    } catch (...) {
    }
  }
};

}  // namespace

Allocator* device_allocator() {
  static DeviceAllocator a;  // stateless: safe to destroy at exit
  return &a;
}

// ---- public API (core/cuda.h) ----
// Without a device these answer like the build without CUDA: nothing allocated.

MemoryStats memory_stats(int device) {
  if (cuda_device_count() == 0) return {};
  memory::PoolStats s = pool(device).stats();
  MemoryStats m;
  m.allocated = s.allocated;
  m.reserved = s.reserved;
  m.peak_allocated = s.peak_allocated;
  m.peak_reserved = s.peak_reserved;
  m.num_device_mallocs = s.num_raw_mallocs;
  m.num_device_frees = s.num_raw_frees;
  m.num_requests = s.num_requests;
  m.num_cache_hits = s.num_cache_hits;
  m.num_ooms = s.num_ooms;
  return m;
}

void reset_peak_memory_stats(int device) {
  if (cuda_device_count() == 0) return;
  pool(device).reset_peaks();
}

void empty_cache() {
  auto& all = pools();
  for (size_t d = 0; d < all.size(); ++d) {
    DeviceGuard g(static_cast<int>(d));
    all[d]->empty_cache();
  }
  if (!all.empty()) empty_pinned_host_cache();
}

std::string memory_summary(int device) {
  if (cuda_device_count() == 0) return "cuda: no device";
  MemoryStats s = memory_stats(device);
  const double hit_rate =
      s.num_requests ? 100.0 * static_cast<double>(s.num_cache_hits) / static_cast<double>(s.num_requests) : 0.0;
  return fmt::format(
      "cuda:{} memory: {} allocated (peak {}), {} reserved (peak {}), {} cudaMalloc / {} cudaFree, {} requests "
      "({:.1f}% from the cache), {} out-of-memory",
      device, memory::format_bytes(s.allocated), memory::format_bytes(s.peak_allocated),
      memory::format_bytes(s.reserved), memory::format_bytes(s.peak_reserved), s.num_device_mallocs,
      s.num_device_frees, s.num_requests, hit_rate, s.num_ooms);
}

}  // namespace ember::cuda
