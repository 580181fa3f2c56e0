// The CUDA caching allocator and pinned host memory, through the public API. The caching
// logic itself is tested on the CPU (tests/core/test_block_pool.cpp); these check that the
// device build wires it up. The statistics are process-wide, so each test works on deltas.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <ember/core/cuda.h>
#include <ember/ember.h>

#include "cuda/parity.h"

using namespace ember;
using ember::testing::gpu;

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST(CudaAllocator, StatsWithoutADeviceAreEmpty) {
  if (cuda_available()) GTEST_SKIP() << "a device is present";
  EXPECT_EQ(cuda::memory_stats().num_device_mallocs, 0u);
  EXPECT_NO_THROW(cuda::empty_cache());
  EXPECT_NO_THROW(cuda::reset_peak_memory_stats());
  EXPECT_FALSE(cuda::memory_summary().empty());
}

TEST(CudaAllocator, PinMemoryWithoutADeviceIsADeviceError) {
  if (cuda_available()) GTEST_SKIP() << "a device is present";
  Tensor x = ones({4});
  EXPECT_FALSE(x.is_pinned());
  EXPECT_THROW((void)x.pin_memory(), DeviceError);
}

TEST(CudaAllocator, SteadyLoopDoesNoNewCudaMalloc) {
  SKIP_WITHOUT_CUDA();
  Tensor w = randn({256, 256}).to(gpu());
  Tensor bias = randn({256}).to(gpu());
  auto step = [&] {
    Tensor x = ones({64, 256}, DType::f32, gpu());
    Tensor h = relu(matmul(x, w) + bias);
    Tensor big = full({3, 1000, 1000}, 0.5, DType::f32, gpu());  // a large block (11.4 MiB)
    Tensor s = sum(h * 2.0) + sum(big);
    return s.item<double>();
  };
  const double first = step();
  const uint64_t mallocs = cuda::memory_stats().num_device_mallocs;
  const uint64_t hits = cuda::memory_stats().num_cache_hits;
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(step(), first, 1e-4 * std::abs(first));
    EXPECT_EQ(cuda::memory_stats().num_device_mallocs, mallocs) << "iteration " << i + 2;
  }
  EXPECT_GT(cuda::memory_stats().num_cache_hits, hits);
  const auto s = cuda::memory_stats();
  EXPECT_GE(s.reserved, s.allocated);
  EXPECT_GE(s.peak_allocated, s.allocated);
  EXPECT_GE(s.peak_reserved, s.reserved);
  EXPECT_TRUE(contains(cuda::memory_summary(), "cudaMalloc")) << cuda::memory_summary();
}

TEST(CudaAllocator, EmptyCacheDropsReservedToAllocated) {
  SKIP_WITHOUT_CUDA();
  cuda::empty_cache();
  const auto s0 = cuda::memory_stats();
  const bool no_partial_segments = s0.reserved == s0.allocated;
  {
    Tensor a = ones({1 << 20}, DType::f32, gpu());  // 4 MiB
    Tensor b = ones({1000}, DType::f32, gpu());
    Tensor c = ones({5 << 20}, DType::f32, gpu());
  }
  const auto s1 = cuda::memory_stats();
  EXPECT_EQ(s1.allocated, s0.allocated);
  if (no_partial_segments) EXPECT_GT(s1.reserved, s0.reserved);  // cached, in new segments
  // 24 MiB: larger than any cached block, so it gets a whole segment of its own (a
  // smaller one would be split out of c's cached 20 MiB segment and pin all of it).
  Tensor keep = ones({6 << 20}, DType::f32, gpu());
  cuda::empty_cache();
  const auto s2 = cuda::memory_stats();
  EXPECT_EQ(s2.allocated, s0.allocated + (size_t{24} << 20));
  EXPECT_GT(s2.num_device_frees, s0.num_device_frees);
  if (no_partial_segments) EXPECT_EQ(s2.reserved, s2.allocated);
  keep = Tensor();
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_stats().reserved, s0.reserved);
  EXPECT_EQ(cuda::memory_stats().allocated, s0.allocated);
}

TEST(CudaAllocator, ResetPeakStats) {
  SKIP_WITHOUT_CUDA();
  {
    Tensor a = ones({4 << 20}, DType::f32, gpu());
  }
  EXPECT_GE(cuda::memory_stats().peak_allocated, size_t{16} << 20);
  cuda::reset_peak_memory_stats();
  const auto s = cuda::memory_stats();
  EXPECT_EQ(s.peak_allocated, s.allocated);
  EXPECT_EQ(s.peak_reserved, s.reserved);
}

TEST(CudaAllocator, OutOfMemoryIsAClearErrorAndLeavesTheAllocatorUsable) {
  SKIP_WITHOUT_CUDA();
  Tensor live = ones({1 << 20}, DType::f32, gpu());
  const auto before = cuda::memory_stats();
  const int64_t pib_floats = int64_t{1} << 48;  // 1 PiB of f32
  try {
    Tensor t = empty({pib_floats}, DType::f32, gpu());
    (void)t;
    FAIL() << "allocating 1 PiB succeeded";
  } catch (const OutOfMemoryError& e) {
    const std::string m = e.what();
    EXPECT_TRUE(contains(m, "cuda:0")) << m;
    EXPECT_TRUE(contains(m, "out of memory")) << m;
    EXPECT_TRUE(contains(m, "1.00 PiB")) << m;
    EXPECT_TRUE(contains(m, "1125899906842624 bytes")) << m;
    EXPECT_TRUE(contains(m, "is allocated")) << m;
    EXPECT_TRUE(contains(m, "reserved")) << m;
    EXPECT_TRUE(contains(m, "in all")) << m;  // the device's total and free memory
    EXPECT_TRUE(contains(m, "empty_cache")) << m;
    EXPECT_TRUE(contains(m, "smaller batch")) << m;
  }
  const auto after = cuda::memory_stats();
  EXPECT_EQ(after.num_ooms, before.num_ooms + 1);
  EXPECT_EQ(after.allocated, before.allocated);
  // Usable afterwards, and the live tensor is intact.
  Tensor y = full({1000}, 3.0, DType::f32, gpu());
  EXPECT_EQ(y.cpu().to_vector<float>(), std::vector<float>(1000, 3.0f));
  EXPECT_EQ(live.cpu().to_vector<float>(), std::vector<float>(size_t{1} << 20, 1.0f));
}

TEST(CudaAllocator, PinMemoryRoundTrip) {
  SKIP_WITHOUT_CUDA();
  Tensor x = randn({3, 5, 7});
  EXPECT_FALSE(x.is_pinned());
  Tensor p = x.pin_memory();
  EXPECT_TRUE(p.is_pinned());
  EXPECT_TRUE(p.device().is_cpu());
  EXPECT_TRUE(p.is_contiguous());
  EXPECT_EQ(p.to_vector<float>(), x.to_vector<float>());
  EXPECT_TRUE(p.pin_memory().is_same(p));  // already pinned
  EXPECT_TRUE(p.view({15, 7}).is_pinned());  // views share the pinned storage
  EXPECT_FALSE(p.clone().is_pinned());
  EXPECT_EQ(p.to(gpu()).cpu().to_vector<float>(), x.to_vector<float>());

  // Non-contiguous sources come out contiguous, and every dtype survives.
  Tensor t = x.transpose(0, 2).pin_memory();
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.to_vector<float>(), x.transpose(0, 2).to_vector<float>());
  for (DType d : {DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::boolean}) {
    Tensor h = x.to(d);
    EXPECT_EQ(h.pin_memory().to(gpu()).cpu().to_vector<double>(), h.to_vector<double>()) << dtype_name(d);
  }

  // A freed pinned block is reused for the next tensor of its size.
  const void* first = nullptr;
  {
    Tensor a = ones({1 << 16}).pin_memory();
    first = a.raw_data();
  }
  Tensor b = zeros({1 << 16}).pin_memory();
  EXPECT_EQ(b.raw_data(), first);
  EXPECT_EQ(b.to_vector<float>(), std::vector<float>(size_t{1} << 16, 0.0f));

  EXPECT_THROW((void)x.to(gpu()).pin_memory(), DeviceError);
  EXPECT_FALSE(x.to(gpu()).is_pinned());
  Tensor empty_pinned = zeros({0}).pin_memory();
  EXPECT_TRUE(empty_pinned.is_pinned());
}
