#include "ember/core/generator.h"

#include "ember/core/philox.h"

namespace ember {

std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter) {
  const philox::Block b = philox::philox4x32_10(seed, counter);
  return {b.w[0], b.w[1], b.w[2], b.w[3]};
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace ember
