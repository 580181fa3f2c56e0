// Placeholder: filled in with the elementwise kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_elementwise_kernels() {}
}  // namespace ember::cuda
