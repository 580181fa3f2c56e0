#pragma once
// The caching logic of the CUDA device allocator, with no CUDA in it, so that the CPU tests
// drive it with a fake backend. Host code only: it pulls in ember/core/error.h (fmt), so
// no .cu file may include it.
//
// Memory comes from the backend in segments and is handed out in blocks:
// - a request is rounded up to a multiple of 512 bytes;
// - requests up to 1 MiB are "small": they are carved out of 2 MiB segments;
// - larger ones are "large": a segment is the request rounded up to 2 MiB, and a cached
//   large block is split when more than 1 MiB would be left over;
// - a freed block is merged with free neighbours of its segment and kept for reuse;
// - each stream has its own free lists, so a block is only reused by work that the stream
//   orders after the work of its previous owner (no cross-stream synchronisation needed);
// - when the backend is out of memory, every fully free segment of every stream goes back
//   to it and the allocation is tried once more before OutOfMemoryError is thrown.
// Thread-safe: one mutex per pool (one pool per device).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/core/error.h"

namespace ember::memory {

// The raw memory a pool caches. `allocate` returns null when the device is out of memory
// and throws for any other failure; `free` must not throw. `describe` (optional) adds words
// to the out-of-memory message, e.g. the device's total and free memory.
struct RawBackend {
  std::function<void*(size_t)> allocate;
  std::function<void(void*, size_t)> free;
  std::function<std::string()> describe;
};

// Identifies a stream (the cudaStream_t's bits); each has its own free lists.
using StreamKey = std::uintptr_t;

struct PoolStats {
  size_t allocated = 0;  // bytes in blocks handed out (rounded sizes)
  size_t reserved = 0;   // bytes in segments obtained from the backend
  size_t peak_allocated = 0;
  size_t peak_reserved = 0;
  uint64_t num_raw_mallocs = 0;
  uint64_t num_raw_frees = 0;
  uint64_t num_requests = 0;
  uint64_t num_cache_hits = 0;  // requests served without a raw allocation
  uint64_t num_ooms = 0;        // requests that failed after the cache was returned
};

// "1.50 GiB", "512 B": for messages.
inline std::string format_bytes(size_t n) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.2f} {}", v, units[u]);
}

class BlockPool {
 public:
  static constexpr size_t kMinBlock = 512;
  static constexpr size_t kSmallSize = size_t{1} << 20;
  static constexpr size_t kSmallSegment = size_t{2} << 20;
  static constexpr size_t kLargeRound = size_t{2} << 20;
  // No device has this much; larger requests fail without asking the backend (and the
  // rounding below cannot overflow).
  static constexpr size_t kMaxRequest = size_t{1} << 60;

  // `name` ("cuda:0") starts error messages.
  BlockPool(std::string name, RawBackend backend) : name_(std::move(name)), backend_(std::move(backend)) {}
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // Returns every segment to the backend, those with live blocks too: the pool must
  // outlive the memory it handed out.
  ~BlockPool() {
    std::vector<Block*> heads;
    for (auto& [p, b] : live_)
      if (!b->prev) heads.push_back(b);
    for (auto& [key, lists] : free_)
      for (auto* set : {&lists.small, &lists.large})
        for (Block* b : *set)
          if (!b->prev) heads.push_back(b);
    for (Block* head : heads) {
      size_t total = 0;
      for (Block* b = head; b; b = b->next) total += b->size;
      backend_.free(head->ptr, total);
      for (Block* b = head; b;) {
        Block* next = b->next;
        delete b;
        b = next;
      }
    }
  }

  static size_t round_size(size_t n) { return n < kMinBlock ? kMinBlock : (n + kMinBlock - 1) / kMinBlock * kMinBlock; }

  // A block of at least `nbytes` (512-byte aligned if the backend's segments are) for work
  // on `stream`. Throws OutOfMemoryError when the backend has no memory left even after the
  // cache was returned to it.
  void* allocate(size_t nbytes, StreamKey stream) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.num_requests;
    if (nbytes > kMaxRequest) {
      ++stats_.num_ooms;
      throw_oom(nbytes, false);
    }
    const size_t size = round_size(nbytes);
    const bool small = size <= kSmallSize;
    // Both made before anything changes, so that a failed `new` leaves the pool as it was.
    auto fresh = std::make_unique<Block>();
    auto rest = std::make_unique<Block>();
    Lists& lists = free_[stream];
    FreeSet& set = small ? lists.small : lists.large;

    Block* b = nullptr;
    Block probe;
    probe.size = size;
    if (auto it = set.lower_bound(&probe); it != set.end()) {
      b = *it;
      set.erase(it);
      ++stats_.num_cache_hits;
    } else {
      const size_t seg = small ? kSmallSegment : (size + kLargeRound - 1) / kLargeRound * kLargeRound;
      void* p = backend_.allocate(seg);
      if (p == nullptr) {
        release_cached();
        p = backend_.allocate(seg);
      }
      if (p == nullptr) {
        ++stats_.num_ooms;
        throw_oom(nbytes, true);
      }
      b = fresh.release();
      b->ptr = static_cast<char*>(p);
      b->size = seg;
      b->stream = stream;
      b->small = small;
      ++stats_.num_raw_mallocs;
      stats_.reserved += seg;
      stats_.peak_reserved = std::max(stats_.peak_reserved, stats_.reserved);
    }

    const size_t left = b->size - size;
    if (small ? left >= kMinBlock : left > kSmallSize) {
      Block* r = rest.release();
      r->ptr = b->ptr + size;
      r->size = left;
      r->stream = stream;
      r->small = small;
      r->prev = b;
      r->next = b->next;
      if (b->next) b->next->prev = r;
      b->next = r;
      b->size = size;
      insert_free(r);
    }
    b->in_use = true;
    insert_live(b);
    stats_.allocated += b->size;
    stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
    return b->ptr;
  }

  // Gives a block back to the free lists of the stream it was allocated for. Throws
  // ValueError (and changes nothing) for a pointer this pool did not hand out or that was
  // already freed. A null pointer is ignored.
  void free(void* ptr) {
    if (ptr == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(ptr);
    EMBER_CHECK(it != live_.end(), ValueError,
                "{} allocator: free of {} which it did not allocate or which was already freed", name_, ptr);
    Block* b = it->second;
    live_.erase(it);
    stats_.allocated -= b->size;
    b->in_use = false;
    if (Block* p = b->prev; p && !p->in_use) {
      erase_free(p);
      p->size += b->size;
      p->next = b->next;
      if (b->next) b->next->prev = p;
      delete b;
      b = p;
    }
    if (Block* n = b->next; n && !n->in_use) {
      erase_free(n);
      b->size += n->size;
      b->next = n->next;
      if (n->next) n->next->prev = b;
      delete n;
    }
    insert_free(b);
  }

  // Returns every fully free segment (of every stream) to the backend; segments that still
  // hold a live block stay reserved. Returns the bytes released.
  size_t empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    return release_cached();
  }

  bool owns(const void* ptr) const {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.count(const_cast<void*>(ptr)) != 0;
  }

  PoolStats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void reset_peaks() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.peak_allocated = stats_.allocated;
    stats_.peak_reserved = stats_.reserved;
  }

  // Checks the bookkeeping (for tests): the blocks of each segment tile it, no two free
  // neighbours are left unmerged, and the byte counters match the blocks. Throws Error.
  void validate() const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t allocated = 0, reserved = 0;
    auto check_segment = [&](const Block* head) {
      for (const Block* b = head; b; b = b->next) {
        EMBER_CHECK(!b->next || (b->next->prev == b && b->next->ptr == b->ptr + b->size), Error,
                    "{} pool: blocks of a segment do not tile it", name_);
        EMBER_CHECK(!b->next || b->in_use || b->next->in_use, Error, "{} pool: two free neighbours not merged",
                    name_);
        reserved += b->size;
      }
    };
    for (const auto& [p, b] : live_) {
      EMBER_CHECK(b->in_use && b->ptr == p, Error, "{} pool: live block bookkeeping is off", name_);
      allocated += b->size;
      if (!b->prev) check_segment(b);
    }
    for (const auto& [key, lists] : free_)
      for (const FreeSet* set : {&lists.small, &lists.large})
        for (const Block* b : *set) {
          EMBER_CHECK(!b->in_use && b->stream == key && b->small == (set == &lists.small), Error,
                      "{} pool: free block in the wrong list", name_);
          if (!b->prev) check_segment(b);
        }
    EMBER_CHECK(allocated == stats_.allocated && reserved == stats_.reserved, Error,
                "{} pool: counters say {} allocated / {} reserved, blocks say {} / {}", name_, stats_.allocated,
                stats_.reserved, allocated, reserved);
  }

 private:
  struct Block {
    char* ptr = nullptr;
    size_t size = 0;
    StreamKey stream = 0;
    bool small = false;
    bool in_use = false;
    Block* prev = nullptr;  // neighbours in the same segment
    Block* next = nullptr;
  };
  // Best fit: smallest size first, then lowest address (a deterministic choice).
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      if (a->size != b->size) return a->size < b->size;
      return std::less<const char*>()(a->ptr, b->ptr);
    }
  };
  using FreeSet = std::set<Block*, BySize>;
  struct Lists {
    FreeSet small, large;
  };

  FreeSet& set_of(const Block* b) {
    Lists& lists = free_.at(b->stream);
    return b->small ? lists.small : lists.large;
  }
  void insert_free(Block* b) { set_of(b).insert(b); }
  void erase_free(Block* b) { set_of(b).erase(b); }

  void insert_live(Block* b) {
    try {
      live_.emplace(b->ptr, b);
    } catch (...) {
      // Out of host memory for the map: hand the block back rather than lose it.
      b->in_use = false;
      insert_free(b);
      throw;
    }
  }

  size_t release_cached() {
    size_t released = 0;
    for (auto& [key, lists] : free_)
      for (FreeSet* set : {&lists.small, &lists.large})
        for (auto it = set->begin(); it != set->end();) {
          Block* b = *it;
          if (b->prev || b->next) {
            ++it;
            continue;
          }
          it = set->erase(it);
          backend_.free(b->ptr, b->size);
          ++stats_.num_raw_frees;
          stats_.reserved -= b->size;
          released += b->size;
          delete b;
        }
    return released;
  }

  [[noreturn]] void throw_oom(size_t nbytes, bool retried) const {
    std::string extra = backend_.describe ? backend_.describe() : std::string();
    EMBER_THROW(OutOfMemoryError,
                "{}: out of memory: tried to allocate {} ({} bytes); {} is allocated by tensors and {} reserved by "
                "ember's caching allocator on this device{}{}. {}; free tensors that are no longer needed "
                "(ember::cuda::empty_cache() returns what the allocator caches) or use a smaller batch size",
                name_, format_bytes(nbytes), nbytes, format_bytes(stats_.allocated), format_bytes(stats_.reserved),
                extra.empty() ? "" : "; ", extra,
                retried ? "The cached blocks were already returned to the device and the allocation retried"
                        : "No device has that much memory");
  }

  std::string name_;
  RawBackend backend_;
  mutable std::mutex mu_;
  std::unordered_map<StreamKey, Lists> free_;
  std::unordered_map<void*, Block*> live_;
  PoolStats stats_;
};

}  // namespace ember::memory
