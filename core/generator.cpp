#include "ember/core/generator.h"

#include <utility>

#include "ember/core/philox.h"

namespace ember {

std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter) {
  const philox::Block b = philox::philox4x32_10(seed, counter);
  return {b.w[0], b.w[1], b.w[2], b.w[3]};
}

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t first_counter) {
  std::vector<int64_t> idx(static_cast<size_t>(n > 0 ? n : 0));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const auto r = philox4x32(seed, first_counter + static_cast<uint64_t>(i));
    const uint64_t bits = (uint64_t(r[0]) << 32) | r[1];
    const auto j = static_cast<int64_t>(bits % static_cast<uint64_t>(i + 1));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(j)]);
  }
  return idx;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
