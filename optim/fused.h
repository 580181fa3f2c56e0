#pragma once
// Support for the fused (multi-tensor) updates of SGD and Adam/AdamW: Optimizer::step()
// hands a group's parameters to update_group(), which sends them to one fused kernel
// (kernel::FusedSGD / kernel::FusedAdam) when they qualify. Internal to optim/.
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim::detail {

// True when the fused kernels can take the batch: every parameter, gradient and existing
// state tensor named in `state_names` is contiguous, of one floating dtype and on one
// device, with its parameter's numel (missing state tensors are created by the caller).
// Anomaly mode turns fusion off so that the per-tensor ops keep checking their outputs.
bool fusable(const std::vector<ParamUpdate>& items, const std::vector<const char*>& state_names);

// Marks the tensors as modified in place (autograd's saved-tensor checks).
void bump_versions(const std::vector<Tensor>& tensors);

}  // namespace ember::optim::detail
