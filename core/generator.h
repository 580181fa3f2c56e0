#pragma once
// Counter-based random numbers (Philox4x32-10). Element i of a draw depends only on
// (seed, offset, i), so results are identical for any thread count and on any device
// that implements the same function (core/philox.h, shared by the CPU and CUDA kernels).
#include <array>
#include <cstdint>
#include <vector>

namespace ember {

std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter);

class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves n counters for one draw and returns the first.
  uint64_t reserve(uint64_t n) {
    uint64_t first = offset_;
    offset_ += n;
    return first;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// A uniformly random permutation of 0..n-1 (Fisher-Yates), swap i drawing from Philox
// counter first_counter + i of `seed`: the same for a given (seed, first_counter) on every
// machine and thread count.
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t first_counter);

// The process-wide generator used when none is passed.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace ember
