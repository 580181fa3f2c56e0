// CPU/CUDA parity of copies: every dtype pair, contiguous / strided / broadcast sources,
// strided destinations, host->device, device->host, device->device (and across GPUs
// where there are two). Casts are exact, so results must equal the CPU copy's.
#include <string>
#include <vector>

#include "cuda/parity.h"

using namespace ember;
using namespace ember::testing;

namespace {

const std::vector<DType> kAll = {DType::f32, DType::f64, DType::f16, DType::bf16,
                                 DType::i32, DType::i64, DType::u8, DType::boolean};

// Values every cast in the pair defines: fractions (truncated by integer targets), zeros
// (for bool), negatives unless u8 is involved (a negative float -> u8 is undefined in C++).
Tensor source(const Shape& s, DType from, DType to, uint64_t seed) {
  const bool unsigned_involved = from == DType::u8 || to == DType::u8;
  Tensor u = random_tensor(s, DType::f64, seed);  // normal
  Tensor v = unsigned_involved ? abs(u) * 30.0 : u * 30.0;
  Tensor keep = random_tensor(s, DType::boolean, seed + 1);
  return where(keep, v, 0.0).to(from);
}

// An uninitialised tensor of `shape` on `device`, laid out non-contiguously.
Tensor strided_empty(const Shape& shape, DType dtype, Device device) {
  if (shape.empty()) return empty(shape, dtype, device);
  if (shape.size() == 1) return empty({shape[0] * 2}, dtype, device).slice(0, 0, shape[0] * 2, 2);
  Shape t = shape;
  std::swap(t[t.size() - 1], t[t.size() - 2]);
  return empty(t, dtype, device).transpose(-1, -2);
}

std::string what(const char* kind, DType from, DType to, const Shape& s, const std::string& extra = "") {
  return std::string(kind) + " " + std::string(dtype_name(from)) + " -> " + std::string(dtype_name(to)) + " " +
         shape_str(s) + (extra.empty() ? "" : " " + extra);
}

// The CPU copy's shape, dtype and values, exactly; a NaN or an infinity fails (the sources hold
// neither).
::testing::AssertionResult same(const Tensor& got, const Tensor& want, const std::string& w) {
  if (got.shape() != want.shape() || got.dtype() != want.dtype())
    return ::testing::AssertionFailure() << w << ": shape/dtype " << shape_str(got.shape()) << " "
                                         << dtype_name(got.dtype());
  return assert_close(got, want, Tol{0.0, 0.0, /*require_finite=*/true}, w);
}

const Shape kShapes[] = {{7}, {3, 5}, {2, 3, 17}, {64, 257}};

}  // namespace

TEST(CudaCopy, DeviceToDeviceEveryDTypePair) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1;
  for (DType from : kAll) {
    for (DType to : kAll) {
      for (const Shape& s : kShapes) {
        Tensor x = source(s, from, to, seed += 2);
        Tensor want = x.to(to);
        Tensor xg = x.to(gpu());
        EXPECT_TRUE(same(xg.to(to), want, what("d2d", from, to, s)));
        EXPECT_TRUE(same(non_contiguous(xg).to(to), want, what("d2d", from, to, s, "strided src")));
        Tensor dst = strided_empty(s, to, gpu());
        dst.copy_(non_contiguous(xg));
        EXPECT_TRUE(same(dst, want, what("d2d", from, to, s, "strided src and dst")));
      }
    }
  }
}

TEST(CudaCopy, HostToDeviceEveryDTypePair) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 1001;
  for (DType from : kAll) {
    for (DType to : kAll) {
      for (const Shape& s : kShapes) {
        Tensor x = source(s, from, to, seed += 2);
        Tensor want = x.to(to);
        Tensor d = empty(s, to, gpu());
        d.copy_(x);
        EXPECT_TRUE(same(d, want, what("h2d", from, to, s)));
        Tensor ds = strided_empty(s, to, gpu());
        ds.copy_(non_contiguous(x));
        EXPECT_TRUE(same(ds, want, what("h2d", from, to, s, "strided src and dst")));
      }
    }
  }
}

TEST(CudaCopy, DeviceToHostEveryDTypePair) {
  SKIP_WITHOUT_CUDA();
  uint64_t seed = 2001;
  for (DType from : kAll) {
    for (DType to : kAll) {
      for (const Shape& s : kShapes) {
        Tensor x = source(s, from, to, seed += 2);
        Tensor want = x.to(to);
        Tensor xg = x.to(gpu());
        Tensor h = empty(s, to);
        h.copy_(xg);
        EXPECT_TRUE(same(h, want, what("d2h", from, to, s)));
        Tensor hs = strided_empty(s, to, Device::cpu());
        hs.copy_(non_contiguous(xg));
        EXPECT_TRUE(same(hs, want, what("d2h", from, to, s, "strided src and dst")));
      }
    }
  }
}

TEST(CudaCopy, NegativeFloatsToU8WrapLikeTheCpu) {
  SKIP_WITHOUT_CUDA();
  // Undefined in C++, but the CPU kernel wraps (-1.5 -> 255, as PyTorch); nvcc's direct
  // conversion would clamp to 0, so the CUDA cast goes through int64 like the CPU's.
  for (DType from : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Tensor x = (random_tensor({3, 77}, DType::f64, 55) * 100.0).to(from);
    Tensor want = x.to(DType::u8);
    EXPECT_TRUE(same(x.to(gpu()).to(DType::u8), want, what("d2d", from, DType::u8, x.shape(), "negative values")));
    Tensor d = empty({3, 77}, DType::u8, gpu());
    d.copy_(x);
    EXPECT_TRUE(same(d, want, what("h2d", from, DType::u8, x.shape(), "negative values")));
  }
}

TEST(CudaCopy, BroadcastSources) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f16, DType::i64, DType::boolean}) {
    Tensor row = source({1, 9}, d, d, 77);
    Tensor want = empty({5, 9}, d);
    want.copy_(row);
    Tensor on_gpu = empty({5, 9}, d, gpu());
    on_gpu.copy_(row.to(gpu()));  // d2d from a stride-0 view
    EXPECT_TRUE(same(on_gpu, want, what("d2d broadcast", d, d, {5, 9})));
    Tensor from_host = empty({5, 9}, d, gpu());
    from_host.copy_(row);  // h2d from a stride-0 view
    EXPECT_TRUE(same(from_host, want, what("h2d broadcast", d, d, {5, 9})));
    Tensor to_host = empty({5, 9}, DType::f64);
    to_host.copy_(row.to(gpu()));  // d2h from a stride-0 view, with a cast
    EXPECT_TRUE(same(to_host, want.to(DType::f64), what("d2h broadcast", d, DType::f64, {5, 9})));
  }
}

TEST(CudaCopy, LargeAndMisaligned) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::u8}) {
    Tensor x = source({1 << 20 | 3}, d, d, 99);
    Tensor xg = x.to(gpu());
    EXPECT_TRUE(same(xg, x, what("h2d large", d, d, x.shape())));
    // dense views starting one element in: the vectorized kernel must not be used
    Tensor a = xg.narrow(0, 1, x.numel() - 1), b = empty({x.numel() + 1}, d, gpu()).narrow(0, 1, x.numel() - 1);
    b.copy_(non_contiguous(a));
    EXPECT_TRUE(same(b, x.narrow(0, 1, x.numel() - 1), what("d2d misaligned", d, d, a.shape())));
    Tensor c = empty({x.numel() - 1}, DType::f32, gpu());
    c.copy_(a);
    EXPECT_TRUE(same(c, x.narrow(0, 1, x.numel() - 1).to(DType::f32), what("d2d misaligned cast", d, DType::f32, a.shape())));
  }
}

TEST(CudaCopy, PinnedSourceFreedWhileItsCopyRuns) {
  SKIP_WITHOUT_CUDA();
  // 64 MiB per copy: still in flight when to(.., non_blocking) returns. The pinned source dies at once
  // and a tensor of the same size is pinned and overwritten right after; the allocator
  // must not hand it the block the copy is still reading.
  const int64_t n = int64_t{1} << 24;
  for (int i = 1; i <= 3; ++i) {
    Tensor g;
    {
      Tensor p = full({n}, static_cast<double>(i), DType::f32).pin_memory();
      g = p.to(gpu(), /*non_blocking=*/true);
    }
    Tensor q = empty({n}, DType::f32).pin_memory();
    q.fill_(-1.0);
    EXPECT_EQ(amin(g, {}).item<float>(), static_cast<float>(i)) << "copy " << i;
    EXPECT_EQ(amax(g, {}).item<float>(), static_cast<float>(i)) << "copy " << i;
  }
}

TEST(CudaCopy, BlockingCopyFromPinnedMemoryIsComplete) {
  SKIP_WITHOUT_CUDA();
  // Without non_blocking the source may be overwritten as soon as to() returns.
  const int64_t n = int64_t{1} << 24;
  Tensor p = full({n}, 3.0, DType::f32).pin_memory();
  Tensor g = p.to(gpu());
  p.fill_(-1.0);
  EXPECT_EQ(amin(g, {}).item<float>(), 3.0f);
  EXPECT_EQ(amax(g, {}).item<float>(), 3.0f);
}

TEST(CudaCopy, EmptyAndScalar) {
  SKIP_WITHOUT_CUDA();
  Tensor e = empty({0, 4}, DType::f32, gpu());
  EXPECT_NO_THROW(e.copy_(empty({0, 4})));
  EXPECT_EQ(e.to(DType::f16).cpu().numel(), 0);
  Tensor s = full({}, 3.5, DType::f64);
  EXPECT_EQ(s.to(gpu()).to(DType::i32).cpu().item<int32_t>(), 3);
}

TEST(CudaCopy, AcrossDevices) {
  SKIP_WITHOUT_CUDA();
  if (cuda_device_count() < 2) GTEST_SKIP() << "needs two CUDA devices";
  Tensor x = source({33, 65}, DType::f32, DType::f16, 5);
  Tensor on1 = x.to(gpu()).to(Device::cuda(1));
  EXPECT_TRUE(same(on1.cpu(), x, "cuda:0 -> cuda:1"));
  Tensor dst = strided_empty({33, 65}, DType::f16, Device::cuda(1));
  dst.copy_(non_contiguous(x.to(gpu())));
  EXPECT_TRUE(same(dst.cpu(), x.to(DType::f16), "cuda:0 -> cuda:1 strided, cast"));
}
