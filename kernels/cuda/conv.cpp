// Placeholder: filled in with the conv kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_conv_kernels() {}
}  // namespace ember::cuda
