#pragma once
// Philox4x32-10 and the draws built on it, written once for the host and the device: the
// CPU and CUDA random kernels both call these, so element i of a draw is the same function
// of (seed, first counter, i) on every device. Plain types only: .cu files include this
// header, and nvcc must not see ember's fmt-based headers.
//
// Counter use per draw (Generator::reserve takes these counts):
//   uniform, bernoulli: two elements per counter (words 0-1 and 2-3), (n + 1) / 2 counters;
//   normal, integer:    one counter per element, n counters.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define EMBER_PHILOX_HD __host__ __device__ __forceinline__
#else
#define EMBER_PHILOX_HD inline
#endif

namespace ember::philox {

struct Block {
  uint32_t w[4];
};

EMBER_PHILOX_HD Block philox4x32_10(uint64_t seed, uint64_t counter) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
    k0 += kW0;
    k1 += kW1;
  }
  return Block{{c0, c1, c2, c3}};
}

// [0, 1) from two words: 53 random bits for f64, 24 for every narrower float, so that
// each value is exact in its dtype (the 24-bit value is exact in f32; f16/bf16 round it).
EMBER_PHILOX_HD double uniform_bits53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
}
EMBER_PHILOX_HD double uniform_bits24(uint32_t hi) {
  return static_cast<double>(hi >> 8) * (1.0 / 16777216.0);
}

// Element i of a uniform draw with 53 (wide) or 24 bits.
EMBER_PHILOX_HD double uniform(uint64_t seed, uint64_t offset, int64_t i, bool wide) {
  const Block b = philox4x32_10(seed, offset + static_cast<uint64_t>(i / 2));
  const int lane = static_cast<int>(i % 2) * 2;
  return wide ? uniform_bits53(b.w[lane], b.w[lane + 1]) : uniform_bits24(b.w[lane]);
}

// Box-Muller on one block; u1 in (0, 1] so that log(u1) is finite. log and cos are the
// platform's: the CUDA and host libraries may differ in the last bit of the f64 result.
EMBER_PHILOX_HD double normal_of(const Block& b) {
  const double u1 = 1.0 - uniform_bits53(b.w[0], b.w[1]);
  const double u2 = uniform_bits53(b.w[2], b.w[3]);
  return ::sqrt(-2.0 * ::log(u1)) * ::cos(6.283185307179586 * u2);
}
EMBER_PHILOX_HD double normal(uint64_t seed, uint64_t offset, int64_t i) {
  return normal_of(philox4x32_10(seed, offset + static_cast<uint64_t>(i)));
}

// low + (64 random bits mod range), range = high - low > 0; the modulo bias is below
// range / 2^64. Unsigned arithmetic so that ranges wider than 2^63 cannot overflow.
EMBER_PHILOX_HD int64_t integer(uint64_t seed, uint64_t offset, int64_t i, int64_t low, uint64_t range) {
  const Block b = philox4x32_10(seed, offset + static_cast<uint64_t>(i));
  const uint64_t v = (static_cast<uint64_t>(b.w[0]) << 32) | b.w[1];
  return static_cast<int64_t>(static_cast<uint64_t>(low) + v % range);
}

// 1 where the element's wide uniform draw falls below p.
EMBER_PHILOX_HD bool bernoulli(uint64_t seed, uint64_t offset, int64_t i, double p) {
  return uniform(seed, offset, i, /*wide=*/true) < p;
}

}  // namespace ember::philox
