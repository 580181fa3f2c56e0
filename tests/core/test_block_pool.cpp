// The CUDA caching allocator's logic (kernels/common/block_pool.h), driven on the CPU by a
// fake device that counts its calls and runs out of memory on demand.
#include "kernels/common/block_pool.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace ember;
using memory::BlockPool;
using memory::StreamKey;

namespace {

constexpr size_t KiB = size_t{1} << 10;
constexpr size_t MiB = size_t{1} << 20;

// Real host memory (the pool never touches it, but the addresses are genuine), with a
// capacity and a switch to fail the next allocations.
struct FakeDevice {
  size_t capacity = size_t{1} << 40;
  size_t used = 0;
  int fail_next = 0;
  uint64_t mallocs = 0, frees = 0, failed = 0;
  std::map<void*, size_t> segments;

  memory::RawBackend backend() {
    memory::RawBackend b;
    b.allocate = [this](size_t n) -> void* {
      if (fail_next > 0 || used + n > capacity) {
        if (fail_next > 0) --fail_next;
        ++failed;
        return nullptr;
      }
      void* p = std::aligned_alloc(512, n);
      if (!p) return nullptr;
      ++mallocs;
      used += n;
      segments[p] = n;
      return p;
    };
    b.free = [this](void* p, size_t n) {
      auto it = segments.find(p);
      ASSERT_NE(it, segments.end()) << "the pool freed a segment it never got";
      ASSERT_EQ(it->second, n) << "the pool freed a segment with the wrong size";
      segments.erase(it);
      used -= n;
      ++frees;
      std::free(p);
    };
    b.describe = [this] { return fmt::format("fake device with {} bytes", capacity); };
    return b;
  }
  size_t live_segments() const { return segments.size(); }
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(BlockPool, RoundsSizes) {
  EXPECT_EQ(BlockPool::round_size(0), 512u);
  EXPECT_EQ(BlockPool::round_size(1), 512u);
  EXPECT_EQ(BlockPool::round_size(512), 512u);
  EXPECT_EQ(BlockPool::round_size(513), 1024u);
  EXPECT_EQ(BlockPool::round_size(3 * MiB + 1), 3 * MiB + 512);
}

TEST(BlockPool, StatsArithmetic) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  void* a = pool.allocate(1000, 0);  // small: a 2 MiB segment, a 1 KiB block
  auto s = pool.stats();
  EXPECT_EQ(s.allocated, 1024u);
  EXPECT_EQ(s.reserved, 2 * MiB);
  EXPECT_EQ(s.num_raw_mallocs, 1u);
  EXPECT_EQ(s.num_requests, 1u);
  EXPECT_EQ(s.num_cache_hits, 0u);

  void* b = pool.allocate(2000, 0);  // from the same segment
  s = pool.stats();
  EXPECT_EQ(s.allocated, 1024u + 2048u);
  EXPECT_EQ(s.reserved, 2 * MiB);
  EXPECT_EQ(s.num_raw_mallocs, 1u);
  EXPECT_EQ(s.num_cache_hits, 1u);
  EXPECT_EQ(static_cast<char*>(b), static_cast<char*>(a) + 1024);

  void* c = pool.allocate(3 * MiB + 1, 0);  // large: a 4 MiB segment, not split (1 MiB - 512 left)
  s = pool.stats();
  EXPECT_EQ(s.reserved, 6 * MiB);
  EXPECT_EQ(s.allocated, 1024u + 2048u + 4 * MiB);
  EXPECT_EQ(s.peak_allocated, s.allocated);
  EXPECT_EQ(s.peak_reserved, 6 * MiB);

  pool.free(c);
  pool.free(a);
  s = pool.stats();
  EXPECT_EQ(s.allocated, 2048u);
  EXPECT_EQ(s.reserved, 6 * MiB);  // cached, not returned
  EXPECT_EQ(s.peak_allocated, 1024u + 2048u + 4 * MiB);
  EXPECT_EQ(s.num_raw_frees, 0u);
  pool.reset_peaks();
  s = pool.stats();
  EXPECT_EQ(s.peak_allocated, 2048u);
  EXPECT_EQ(s.peak_reserved, 6 * MiB);
  pool.free(b);
  pool.validate();
  EXPECT_EQ(pool.stats().num_requests, 3u);
}

TEST(BlockPool, SteadyLoopDoesNoRawMallocAfterTheFirstIteration) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  // Parameters live across steps; each step allocates activations in the forward pass,
  // temporaries that die at once, then gradients while the activations are released.
  const std::vector<size_t> params = {3 * MiB + 100, 40 * KiB, 9 * MiB, 700, 1 * MiB};
  const std::vector<size_t> acts = {12 * MiB, 6 * MiB + 5, 300 * KiB, 1, 2 * MiB, 17 * MiB + 3, 800 * KiB, 4 * KiB};
  std::vector<void*> held;
  for (size_t n : params) held.push_back(pool.allocate(n, 0));
  uint64_t after_first = 0;
  for (int step = 0; step < 6; ++step) {
    std::vector<void*> live;
    for (size_t n : acts) {
      live.push_back(pool.allocate(n, 0));
      pool.free(pool.allocate(n / 2 + 1, 0));  // a temporary
    }
    std::vector<void*> grads;
    for (size_t i = acts.size(); i-- > 0;) {
      grads.push_back(pool.allocate(acts[i], 0));
      pool.free(live[i]);
    }
    for (size_t i = 0; i < params.size(); ++i) grads.push_back(pool.allocate(params[i], 0));
    for (void* g : grads) pool.free(g);
    pool.validate();
    if (step == 0) after_first = pool.stats().num_raw_mallocs;
    EXPECT_EQ(pool.stats().num_raw_mallocs, after_first) << "step " << step;
  }
  EXPECT_GT(pool.stats().num_cache_hits, pool.stats().num_requests / 2);
  EXPECT_EQ(pool.stats().num_raw_frees, 0u);
  for (void* p : held) pool.free(p);
  EXPECT_EQ(pool.stats().allocated, 0u);
}

TEST(BlockPool, StreamsHaveTheirOwnFreeLists) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  const StreamKey s1 = 0x1000, s2 = 0x2000;
  void* a = pool.allocate(5 * MiB, s1);
  pool.free(a);
  void* b = pool.allocate(5 * MiB, s2);  // a's block is cached for s1 only
  EXPECT_NE(a, b);
  EXPECT_EQ(pool.stats().num_raw_mallocs, 2u);
  void* c = pool.allocate(5 * MiB, s1);
  EXPECT_EQ(a, c);
  EXPECT_EQ(pool.stats().num_raw_mallocs, 2u);
  // A freed block returns to the stream it was allocated for, whoever frees it.
  pool.free(b);
  void* d = pool.allocate(5 * MiB, s2);
  EXPECT_EQ(b, d);
  pool.free(c);
  pool.free(d);
  // Small blocks too.
  void* x = pool.allocate(100, s1);
  pool.free(x);
  void* y = pool.allocate(100, s2);
  EXPECT_EQ(pool.stats().num_raw_mallocs, 4u);
  pool.free(y);
  pool.validate();
}

TEST(BlockPool, SplitsAndMergesBlocks) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  void* a = pool.allocate(12 * MiB, 0);
  pool.free(a);
  // A 3 MiB request splits the cached 12 MiB block; the 9 MiB left serves the next one.
  void* b = pool.allocate(3 * MiB, 0);
  void* c = pool.allocate(9 * MiB, 0);
  EXPECT_EQ(b, a);
  EXPECT_EQ(static_cast<char*>(c), static_cast<char*>(a) + 3 * MiB);
  EXPECT_EQ(pool.stats().num_raw_mallocs, 1u);
  pool.validate();
  // Freed in either order, the pieces merge back into the whole segment.
  pool.free(c);
  pool.free(b);
  pool.validate();
  void* whole = pool.allocate(12 * MiB, 0);
  EXPECT_EQ(whole, a);
  EXPECT_EQ(pool.stats().num_raw_mallocs, 1u);
  pool.free(whole);

  // Small blocks: free the middle one, then its neighbours.
  void* s0 = pool.allocate(1000, 0);
  void* s1 = pool.allocate(1000, 0);
  void* s2 = pool.allocate(1000, 0);
  pool.free(s1);
  pool.validate();
  pool.free(s0);
  pool.free(s2);
  pool.validate();
  EXPECT_EQ(pool.stats().allocated, 0u);
  EXPECT_EQ(pool.empty_cache(), 14 * MiB);  // both segments whole again
  EXPECT_EQ(dev.live_segments(), 0u);
}

TEST(BlockPool, OutOfMemoryReturnsTheCacheAndRetries) {
  FakeDevice dev;
  dev.capacity = 8 * MiB;
  BlockPool pool("fake:0", dev.backend());
  void* held = pool.allocate(4 * MiB, 1);
  pool.free(pool.allocate(2 * MiB, 1));  // cached on stream 1
  pool.free(pool.allocate(2 * MiB, 2));  // cached on stream 2
  EXPECT_EQ(dev.used, 8 * MiB);
  // Nothing fits and the device is full: both cached blocks go back, then it fits.
  void* big = pool.allocate(4 * MiB, 3);
  auto s = pool.stats();
  EXPECT_EQ(s.num_raw_frees, 2u);
  EXPECT_EQ(s.reserved, 8 * MiB);
  EXPECT_EQ(s.num_ooms, 0u);
  EXPECT_EQ(dev.failed, 1u);

  try {
    (void)pool.allocate(6 * MiB, 3);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, "fake:0")) << m;
    EXPECT_TRUE(contains(m, "6.00 MiB")) << m;
    EXPECT_TRUE(contains(m, "6291456 bytes")) << m;
    EXPECT_TRUE(contains(m, "8.00 MiB is allocated")) << m;
    EXPECT_TRUE(contains(m, "8.00 MiB reserved")) << m;
    EXPECT_TRUE(contains(m, "empty_cache")) << m;
    EXPECT_TRUE(contains(m, "smaller batch")) << m;
    EXPECT_TRUE(contains(m, "fake device with 8388608 bytes")) << m;
  }
  s = pool.stats();
  EXPECT_EQ(s.num_ooms, 1u);
  EXPECT_EQ(s.allocated, 8 * MiB);
  pool.validate();

  // Still usable: once a tensor is gone its memory serves the next request.
  pool.free(big);
  void* again = pool.allocate(4 * MiB, 3);
  EXPECT_EQ(again, big);
  pool.free(again);
  pool.free(held);
  pool.validate();
}

TEST(BlockPool, FailureOnDemandAlsoRetriesOnce) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  pool.free(pool.allocate(3 * MiB, 0));
  dev.fail_next = 1;  // the first try fails, the retry after emptying the cache succeeds
  void* p = pool.allocate(7 * MiB, 0);
  EXPECT_NE(p, nullptr);
  EXPECT_EQ(pool.stats().num_raw_frees, 1u);
  dev.fail_next = 2;
  EXPECT_THROW((void)pool.allocate(7 * MiB, 0), OutOfMemoryError);
  pool.free(p);
  pool.validate();
}

TEST(BlockPool, HugeRequestFailsWithoutAskingTheDevice) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  const size_t pib = size_t{1} << 50;
  try {
    (void)pool.allocate(pib << 12, 0);
    FAIL() << "expected OutOfMemoryError";
  } catch (const OutOfMemoryError& e) {
    EXPECT_TRUE(contains(e.what(), "4.00 EiB")) << e.what();
  }
  EXPECT_EQ(dev.failed, 0u);
  // A petabyte goes to the device, which refuses it.
  EXPECT_THROW((void)pool.allocate(pib, 0), OutOfMemoryError);
  EXPECT_EQ(dev.failed, 2u);
  EXPECT_EQ(pool.stats().num_ooms, 2u);
  EXPECT_THROW((void)pool.allocate(SIZE_MAX, 0), OutOfMemoryError);
}

TEST(BlockPool, EmptyCacheReturnsEveryCachedByte) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  std::vector<void*> ps;
  for (size_t n : {100 * KiB, 3 * MiB, 5 * MiB + 7, size_t{64}, 900 * KiB, 20 * MiB}) ps.push_back(pool.allocate(n, n % 3));
  void* keep = pool.allocate(6 * MiB, 0);  // a whole 6 MiB segment, not split
  for (void* p : ps) pool.free(p);
  pool.empty_cache();
  auto s = pool.stats();
  EXPECT_EQ(s.reserved, s.allocated);
  EXPECT_EQ(s.reserved, 6 * MiB);
  EXPECT_EQ(dev.used, 6 * MiB);
  EXPECT_EQ(s.num_raw_mallocs - s.num_raw_frees, 1u);
  pool.free(keep);
  EXPECT_EQ(pool.empty_cache(), 6 * MiB);
  EXPECT_EQ(pool.stats().reserved, 0u);
  EXPECT_EQ(dev.live_segments(), 0u);
  pool.validate();
}

TEST(BlockPool, FreeOfAForeignPointerThrowsAndChangesNothing) {
  FakeDevice dev;
  BlockPool pool("fake:0", dev.backend());
  void* a = pool.allocate(1000, 0);
  int local = 0;
  auto before = pool.stats();
  EXPECT_THROW(pool.free(&local), ValueError);
  EXPECT_THROW(pool.free(static_cast<char*>(a) + 512), ValueError);  // inside a block
  EXPECT_NO_THROW(pool.free(nullptr));
  EXPECT_TRUE(pool.owns(a));
  pool.free(a);
  EXPECT_FALSE(pool.owns(a));
  try {
    pool.free(a);
    FAIL() << "expected ValueError for a double free";
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "already freed")) << e.what();
  }
  EXPECT_EQ(pool.stats().allocated, 0u);
  EXPECT_EQ(pool.stats().reserved, before.reserved);
  pool.validate();
}

TEST(BlockPool, DestructionReturnsEverySegment) {
  FakeDevice dev;
  {
    BlockPool pool("fake:0", dev.backend());
    void* a = pool.allocate(1000, 0);
    (void)pool.allocate(3000, 0);          // live at destruction, same segment as a
    (void)pool.allocate(10 * MiB, 1);      // live, own segment
    pool.free(pool.allocate(7 * MiB, 2));  // cached
    pool.free(a);
    EXPECT_EQ(dev.live_segments(), 3u);
  }
  EXPECT_EQ(dev.live_segments(), 0u);
  EXPECT_EQ(dev.used, 0u);
  EXPECT_EQ(dev.mallocs, dev.frees);
}

// Random allocations and frees on a few streams: blocks never overlap, are big enough and
// aligned, and the bookkeeping stays consistent throughout.
TEST(BlockPool, RandomWorkloadKeepsBlocksDisjoint) {
  FakeDevice dev;
  dev.capacity = 256 * MiB;
  BlockPool pool("fake:0", dev.backend());
  std::mt19937_64 rng(7);
  std::map<char*, size_t> live;  // pointer -> requested size
  for (int i = 0; i < 4000; ++i) {
    if (live.empty() || rng() % 5 < 3) {
      size_t n = rng() % 3 == 0 ? rng() % (24 * MiB) : rng() % (256 * KiB);
      char* p = nullptr;
      try {
        p = static_cast<char*>(pool.allocate(n, rng() % 3));
      } catch (const OutOfMemoryError&) {
        continue;
      }
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 512, 0u);
      auto next = live.lower_bound(p);
      ASSERT_TRUE(next == live.end() || p + n <= next->first) << "overlaps the next block";
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + prev->second, p) << "overlaps the previous block";
      }
      live[p] = n;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      pool.free(it->first);
      live.erase(it);
    }
    if (i % 97 == 0) pool.validate();
    if (i % 1000 == 999) pool.empty_cache();
  }
  pool.validate();
  for (auto& [p, n] : live) pool.free(p);
  pool.empty_cache();
  EXPECT_EQ(pool.stats().reserved, 0u);
  EXPECT_EQ(dev.live_segments(), 0u);
}

TEST(BlockPool, ThreadsShareAPool) {
  FakeDevice dev;  // not thread-safe itself: the pool calls it under its lock
  BlockPool pool("fake:0", dev.backend());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      std::mt19937 rng(static_cast<unsigned>(t));
      std::vector<void*> mine;
      for (int i = 0; i < 2000; ++i) {
        if (mine.size() < 8 && rng() % 2) {
          mine.push_back(pool.allocate(rng() % (3 * MiB), static_cast<StreamKey>(rng() % 2 + 2 * t)));
        } else if (!mine.empty()) {
          pool.free(mine.back());
          mine.pop_back();
        }
      }
      for (void* p : mine) pool.free(p);
    });
  }
  for (auto& th : threads) th.join();
  pool.validate();
  EXPECT_EQ(pool.stats().allocated, 0u);
  pool.empty_cache();
  EXPECT_EQ(dev.live_segments(), 0u);
}

TEST(BlockPool, FormatsBytes) {
  EXPECT_EQ(memory::format_bytes(0), "0 B");
  EXPECT_EQ(memory::format_bytes(1023), "1023 B");
  EXPECT_EQ(memory::format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(memory::format_bytes(size_t{3} << 30), "3.00 GiB");
}
