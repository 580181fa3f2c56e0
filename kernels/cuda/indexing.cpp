// Placeholder: filled in with the indexing kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_indexing_kernels() {}
}  // namespace ember::cuda
