#pragma once
// Launchers of the fused optimizer kernels (optim.cu). Plain types only (see launch.h).
// Each list is a host array of n_tensors device pointers (tensor k of every list has
// numels[k] contiguous elements of `dtype`); an optional list may be null.
#include <cstdint>

#include "kernels/common/optim_math.h"
#include "kernels/cuda/launch.h"

namespace ember::cuda {

// bufs: null when momentum == 0.
cudaError_t launch_fused_sgd(DType dtype, int64_t n_tensors, void* const* params, void* const* grads,
                             void* const* bufs, const int64_t* numels, const FusedSGDArgs& h,
                             cudaStream_t stream);

// max_exp_avg_sqs: null unless amsgrad.
cudaError_t launch_fused_adam(DType dtype, int64_t n_tensors, void* const* params, void* const* grads,
                              void* const* exp_avgs, void* const* exp_avg_sqs, void* const* max_exp_avg_sqs,
                              const int64_t* numels, const FusedAdamArgs& h, cudaStream_t stream);

}  // namespace ember::cuda
