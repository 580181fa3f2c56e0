#include "ember/core/allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

#include "ember/core/dispatch.h"
#include "ember/core/error.h"

namespace ember {
namespace {

// Large blocks are kept after free and reused: glibc would otherwise mmap/munmap every
// large tensor, and a training step then spends its time in page faults (measured: an
// out-of-place add on 16M floats ran at 0.13x memcpy bandwidth, 16k faults per call).
// Small blocks go straight to malloc, which already reuses them; from 64 KiB up glibc
// mmaps or trims its heap, and the page faults showed up as 20% of a ResNet-20 step.
class CpuAllocator final : public Allocator {
 public:
  static constexpr size_t kCacheFrom = size_t{64} << 10;
  static constexpr size_t kMaxCached = size_t{2} << 30;
  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugeFrom = size_t{4} << 20;

  void* allocate(size_t nbytes, Device) override {
    size_t size = round(nbytes);
    if (size >= kCacheFrom) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.lower_bound(size);
      // Reuse a block of this size class or at most 1/8 larger, so small tensors do not
      // pin much larger blocks.
      if (it != free_.end() && it->first <= size + size / 8) {
        void* p = it->second;
        sizes_[p] = it->first;
        cached_bytes_ -= it->first;
        free_.erase(it);
        return p;
      }
    }
    // Blocks of 4 MiB and more are aligned to huge pages and marked for them: fewer TLB
    // misses on big activations (a hint the kernel may ignore).
    const size_t align = size >= kHugeFrom ? kHugePage : 64;
    void* p = std::aligned_alloc(align, (size + align - 1) / align * align);
    if (p == nullptr && size >= kCacheFrom) {  // give the cache back and try once more
      empty_cache();
      p = std::aligned_alloc(align, (size + align - 1) / align * align);
    }
    EMBER_CHECK(p != nullptr, Error, "cpu allocator: out of memory allocating {} bytes", nbytes);
    if (size >= kHugeFrom) madvise(p, size, MADV_HUGEPAGE);
    if (size >= kCacheFrom) {
      std::lock_guard<std::mutex> lock(mu_);
      sizes_[p] = size;
    }
    return p;
  }

  void deallocate(void* ptr, Device) noexcept override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = sizes_.find(ptr);
      if (it != sizes_.end()) {
        size_t size = it->second;
        sizes_.erase(it);
        if (cached_bytes_ + size <= kMaxCached) {
          free_.emplace(size, ptr);
          cached_bytes_ += size;
          return;
        }
      }
    }
    std::free(ptr);
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, p] : free_) std::free(p);
    free_.clear();
    cached_bytes_ = 0;
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_bytes_;
  }

 private:
  // 64-byte multiples; large blocks in steps of 1/8 of their power of two.
  static size_t round(size_t n) {
    n = (n + 63) / 64 * 64;
    if (n < kCacheFrom) return n == 0 ? 64 : n;
    size_t p = size_t{1} << (63 - __builtin_clzll(n));
    size_t step = p / 8;
    return (n + step - 1) / step * step;
  }

  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::map<void*, size_t> sizes_;  // live cacheable blocks
  size_t cached_bytes_ = 0;
};

CpuAllocator& cpu_allocator() {
  static CpuAllocator* a = new CpuAllocator();  // never destroyed: tensors may outlive statics
  return *a;
}

Allocator*& slot(DeviceType t) {
  static Allocator* table[kNumDeviceTypes] = {&cpu_allocator(), nullptr};
  return table[static_cast<int>(t)];
}

}  // namespace

Allocator* get_allocator(DeviceType type) {
  if (type != DeviceType::cpu) ensure_backends_registered();
  Allocator* a = slot(type);
  // A device this build cannot drive is a device error, like a CUDA index that does not exist.
  EMBER_CHECK(a != nullptr, DeviceError, "no allocator for device type {}: this build of ember has no {} backend",
              device_type_name(type), device_type_name(type));
  return a;
}

void set_allocator(DeviceType type, Allocator* alloc) { slot(type) = alloc; }

void cpu_empty_cache() { cpu_allocator().empty_cache(); }
size_t cpu_cached_bytes() { return cpu_allocator().cached_bytes(); }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (nbytes > 0) data_ = get_allocator(device.type)->allocate(nbytes, device);
}

Storage::Storage(size_t nbytes, Device device, Allocator* owner) : nbytes_(nbytes), device_(device), owner_(owner) {
  EMBER_CHECK(owner != nullptr, ValueError, "Storage: null allocator for {} bytes on {}", nbytes, device);
  if (nbytes > 0) data_ = owner->allocate(nbytes, device);
}

Storage::~Storage() {
  if (data_) (owner_ ? owner_ : get_allocator(device_.type))->deallocate(data_, device_);
}

}  // namespace ember
