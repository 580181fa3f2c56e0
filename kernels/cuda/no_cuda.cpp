// Built instead of the CUDA backend when EMBER_CUDA is off.
#include "ember/core/runtime.h"

namespace ember {
int cuda_device_count() { return 0; }
}  // namespace ember
