#pragma once
// Launchers of the random kernels (random.cu). Plain types only (see launch.h).
#include <cstdint>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

// One draw; element i of the output is the function of core/philox.h for `kind` (one of
// the random_* ops).
struct RandomDraw {
  OpId kind = OpId::random_uniform;
  uint64_t seed = 0;
  uint64_t offset = 0;  // first Philox counter
  double p = 0.0;       // bernoulli without probabilities
  int64_t low = 0;      // integer: low + (bits mod range)
  uint64_t range = 1;
};

// out: n contiguous elements of `dtype`. probs: null, or (bernoulli) n probabilities of a
// floating dtype with any geometry.
cudaError_t launch_random(const RandomDraw& draw, void* out, DType dtype, int64_t n, const TensorRef* probs,
                          cudaStream_t stream);

}  // namespace ember::cuda
