// Placeholder: filled in with the pool kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_pool_kernels() {}
}  // namespace ember::cuda
