// Placeholder: filled in with the reduce kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_reduce_kernels() {}
}  // namespace ember::cuda
