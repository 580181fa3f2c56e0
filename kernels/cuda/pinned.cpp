// Pinned (page-locked) host memory from cudaHostAlloc, cached by size: pinning is slow
// (the pages are locked by the driver), and a loader pins a batch of the same size at
// every step.
//
// A block may still be read or written by an asynchronous copy when its tensor is freed;
// record_pinned_host_use() attaches an event to it, and a cached block is handed out again
// only once all of its events have completed.
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "ember/core/allocator.h"
#include "ember/core/runtime.h"
#include "kernels/common/block_pool.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/runtime.h"

namespace ember {
namespace cuda {
namespace {

class PinnedHostAllocator final : public Allocator {
 public:
  static constexpr size_t kPage = 4096;

  void* allocate(size_t nbytes, Device device) override {
    EMBER_CHECK(device.is_cpu(), DeviceError, "pinned host allocator: asked for memory on {}; it only has host memory",
                device);
    EMBER_CHECK(cuda_device_count() > 0, DeviceError, "pin_memory: pinned host memory needs a CUDA device, and none "
                                                      "is available");
    const size_t size = nbytes <= kPage ? kPage : (nbytes + kPage - 1) / kPage * kPage;
    std::lock_guard<std::mutex> lock(mu_);
    // A cached block of this size or at most a quarter larger, whose copies are done.
    for (auto it = free_.lower_bound(size); it != free_.end() && it->first <= size + size / 4; ++it) {
      Block& b = blocks_.at(it->second);
      if (!uses_done(b)) continue;
      char* p = it->second;
      free_.erase(it);
      b.in_use = true;
      return p;
    }
    void* p = nullptr;
    cudaError_t err = cudaHostAlloc(&p, size, cudaHostAllocPortable);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached();
      err = cudaHostAlloc(&p, size, cudaHostAllocPortable);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      EMBER_THROW(OutOfMemoryError,
                  "pin_memory: out of pinned host memory: tried to allocate {} ({} bytes) with {} already pinned "
                  "by ember; pin fewer or smaller tensors",
                  memory::format_bytes(nbytes), nbytes, memory::format_bytes(pinned_bytes_));
    }
    EMBER_CUDA_CHECK(err);
    try {
      blocks_.emplace(static_cast<char*>(p), Block{size, true, {}});
    } catch (...) {
      cudaFreeHost(p);
      throw;
    }
    pinned_bytes_ += size;
    return p;
  }

  void deallocate(void* ptr, Device) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(static_cast<char*>(ptr));
    if (it == blocks_.end() || !it->second.in_use) return;  // not ours: leave it alone
    try {
      free_.emplace(it->second.size, it->first);
      it->second.in_use = false;
    } catch (...) {
      // No host memory for the free list: the block stays marked live and is never reused.
    }
  }

  bool pinned_host() const noexcept override { return true; }

  bool contains(const void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    return find_live(p) != nullptr;
  }

  void record_use(const void* p, cudaStream_t s) {
    std::lock_guard<std::mutex> lock(mu_);
    Block* b = find_live(p);
    if (b == nullptr) return;
    uses_done(*b);  // a buffer pinned once and reused for every batch keeps few events
    cudaEvent_t e = nullptr;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    cudaError_t err = cudaEventRecord(e, s);
    if (err != cudaSuccess) cudaEventDestroy(e);
    EMBER_CUDA_CHECK(err);
    try {
      b->uses.push_back(e);
    } catch (...) {
      // Without room to remember the event, wait for the work now.
      cudaEventSynchronize(e);
      cudaEventDestroy(e);
      throw;
    }
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached();
  }

 private:
  struct Block {
    size_t size = 0;
    bool in_use = false;
    std::vector<cudaEvent_t> uses;  // copies queued from or to the block, maybe not done
  };

  // Drops the events of finished copies; true when none is left.
  static bool uses_done(Block& b) {
    size_t kept = 0;
    for (cudaEvent_t e : b.uses) {
      cudaError_t err = cudaEventQuery(e);
      if (err == cudaErrorNotReady) {
        (void)cudaGetLastError();
        b.uses[kept++] = e;
        continue;
      }
      // Any other error: the copy cannot still be running on a healthy device.
      if (err != cudaSuccess) (void)cudaGetLastError();
      cudaEventDestroy(e);
    }
    b.uses.resize(kept);
    return kept == 0;
  }

  Block* find_live(const void* p) {
    auto it = blocks_.upper_bound(static_cast<char*>(const_cast<void*>(p)));
    if (it == blocks_.begin()) return nullptr;
    --it;
    const char* c = static_cast<const char*>(p);
    if (!it->second.in_use || c >= it->first + it->second.size) return nullptr;
    return &it->second;
  }

  void release_cached() {
    for (auto it = free_.begin(); it != free_.end();) {
      auto b = blocks_.find(it->second);
      if (!uses_done(b->second)) {
        ++it;
        continue;
      }
      cudaFreeHost(b->first);
      pinned_bytes_ -= b->second.size;
      blocks_.erase(b);
      it = free_.erase(it);
    }
  }

  std::mutex mu_;
  std::map<char*, Block> blocks_;          // every block, live and cached, by address
  std::multimap<size_t, char*> free_;      // cached blocks by size
  size_t pinned_bytes_ = 0;
};

// Never destroyed: pinned tensors held by statics may be freed after the CUDA runtime has
// torn down at exit, and cudaFreeHost then would crash.
PinnedHostAllocator& pinned() {
  static auto* a = new PinnedHostAllocator();
  return *a;
}

}  // namespace

bool is_pinned_host(const void* p) { return p != nullptr && pinned().contains(p); }

void record_pinned_host_use(const void* p, void* stream) {
  if (p != nullptr) pinned().record_use(p, static_cast<cudaStream_t>(stream));
}

void empty_pinned_host_cache() { pinned().empty_cache(); }

}  // namespace cuda

Allocator* pinned_host_allocator() {
  EMBER_CHECK(cuda_device_count() > 0, DeviceError,
              "pin_memory: pinned host memory needs a CUDA device, and none is available");
  return &cuda::pinned();
}

}  // namespace ember
