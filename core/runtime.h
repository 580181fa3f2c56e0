#pragma once
// What this process can run on.
namespace ember {

// Number of usable CUDA devices: 0 when the build has no CUDA backend, or when there is
// no driver or no device (never throws for those cases).
int cuda_device_count();
inline bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace ember
