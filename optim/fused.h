#pragma once
// Support for the fused (multi-tensor) updates of SGD and Adam/AdamW. Optimizer::step()
// hands a derived optimizer one parameter at a time; GroupBatch collects a group's
// parameters until its last one with a gradient arrives, so that the whole group can go to
// one fused kernel (kernel::FusedSGD / kernel::FusedAdam). Internal to optim/.
#include <vector>

#include "ember/optim/optimizer.h"

namespace ember::optim::detail {

struct PendingUpdate {
  Tensor param;
  Tensor grad;
  ParamState* state;  // stable: Optimizer keeps states in a node-based map
};

class GroupBatch {
 public:
  // Queues one parameter of `group`; true when it is the group's last parameter with a
  // defined gradient, i.e. when the caller should take() the batch and update it. Never
  // leaves a partial batch behind when it throws.
  bool add(const ParamGroup& group, const Tensor& param, const Tensor& grad, ParamState& state);
  std::vector<PendingUpdate> take();

 private:
  const TensorImpl* last_ = nullptr;
  std::vector<PendingUpdate> items_;
};

// True when the fused kernels can take the batch: every parameter, gradient and existing
// state tensor named in `state_names` is contiguous, of one floating dtype and on one
// device, with its parameter's numel (missing state tensors are created by the caller).
// Anomaly mode turns fusion off so that the per-tensor ops keep checking their outputs.
bool fusable(const std::vector<PendingUpdate>& items, const std::vector<const char*>& state_names);

// Marks the tensors as modified in place (autograd's saved-tensor checks).
void bump_versions(const std::vector<Tensor>& tensors);

}  // namespace ember::optim::detail
