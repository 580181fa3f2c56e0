// Placeholder: filled in with the optim kernels.
#include "kernels/cuda/kernels.h"

namespace ember::cuda {
void register_optim_kernels() {}
}  // namespace ember::cuda
