#pragma once
// Optimizer: the base of SGD, Adam and AdamW. It owns the parameter groups (parameters plus
// their hyperparameters) and the per-parameter state, and drives the update loop; a derived
// optimizer supplies only the update of one parameter and the validation of its settings.
//
// Contract shared by every optimizer:
// - Parameters must be defined, floating point, leaves, and require grad; a parameter may
//   appear only once across all groups. The optimizer holds the parameters' tensors (shared
//   storage), so it updates the very tensors a module owns. State is keyed by the parameter's
//   TensorImpl: a module that replaces its parameter tensors (e.g. a device move that makes new
//   tensors) needs a new optimizer, so move the model first and then build the optimizer.
// - step() updates, in place and under NoGradGuard, every parameter whose grad is defined;
//   parameters with an undefined grad are skipped (their state is left untouched). Only Tensor
//   ops are used, so the update runs on whatever device the parameters live on.
// - zero_grad() drops the gradients (grad() becomes undefined), as PyTorch's set_to_none=True.
//
// Gradient accumulation: backward() adds into an existing grad, so calling backward on k
// micro-batches, each loss divided by k, and then step() once equals one step on the full
// batch (for losses that are means over the batch), up to float rounding:
//     opt.zero_grad();
//     for (auto& mb : micro_batches) (loss_fn(mb) / k).backward();
//     opt.step();
// (tests/optim/test_accumulation.cpp checks this.)
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/optim/state_dict.h"

namespace ember::optim {

// A set of parameters sharing hyperparameters. A field left unset (std::nullopt) is filled
// from the optimizer's options at construction; setting a field the optimizer does not use
// (e.g. betas for SGD) is an error. After construction every field the optimizer uses is set,
// and schedules or user code may change them between steps (e.g. `group.lr = 0.01`); step()
// validates them again. Build one with designated initializers:
//     ParamGroup{.params = head_params, .lr = 0.1, .weight_decay = 0.0}
struct ParamGroup {
  std::vector<Tensor> params;
  std::optional<double> lr;
  std::optional<double> weight_decay;
  std::optional<double> momentum;                  // SGD
  std::optional<double> dampening;                 // SGD
  std::optional<bool> nesterov;                    // SGD
  std::optional<std::pair<double, double>> betas;  // Adam, AdamW
  std::optional<double> eps;                       // Adam, AdamW
  std::optional<bool> amsgrad;                     // Adam, AdamW
  // The lr the schedules start from; set by the first schedule built on the optimizer
  // (PyTorch's 'initial_lr'), so that a second schedule does not take a warmed-up lr as base.
  std::optional<double> initial_lr;
};

// Per-parameter state: named buffers (same shape, dtype and device as the parameter) and
// named numbers (step counts).
struct ParamState {
  std::unordered_map<std::string, Tensor> tensors;
  std::unordered_map<std::string, double> scalars;
};

// One parameter of a group that has a gradient, with its state, as step() hands it over.
struct ParamUpdate {
  Tensor param;
  Tensor grad;
  ParamState* state;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Schedules hold a reference to their optimizer: no copies or moves.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();
  void zero_grad();

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Adds a group (unset fields from the optimizer's options), e.g. when unfreezing layers.
  void add_param_group(ParamGroup group);

  // The state of one parameter; nullptr before its first update.
  const ParamState* state(const Tensor& param) const;

  // A snapshot (tensors are copies) in the layout documented in state_dict.h.
  StateDict state_dict() const;
  // Restores group hyperparameters and per-parameter state saved by an optimizer of the same
  // type over parameters of the same shapes in the same group layout. Everything is checked
  // before anything is changed: a mismatched dict throws ValueError and leaves this optimizer
  // as it was. State tensors are copied, cast to each parameter's dtype and moved to its device.
  void load_state_dict(const StateDict& dict);

  // "sgd", "adam", "adamw": used in error messages and as the state dict's type.
  const std::string& name() const { return name_; }

 protected:
  // Fills unset fields of every group from `defaults` (which sets exactly the fields this
  // optimizer uses) and checks the parameters. Derived constructors then call check_groups(),
  // which cannot run here because check_group is virtual.
  Optimizer(std::string name, std::vector<ParamGroup> groups, ParamGroup defaults);
  void check_groups() const;

  // Throws ValueError naming the optimizer, the group and the value when a setting is invalid.
  virtual void check_group(const ParamGroup& group, size_t index) const = 0;
  // Updates one parameter in place (grad mode is off). `state` is empty on the first update.
  virtual void update(const ParamGroup& group, Tensor& param, const Tensor& grad,
                      ParamState& state) = 0;
  // Updates a group's parameters that have a gradient (in the group's order). The default
  // calls update() for each; SGD and Adam hand the whole group to one fused kernel.
  virtual void update_group(const ParamGroup& group, const std::vector<ParamUpdate>& items);
  // Names of the state entries this optimizer keeps (for load_state_dict's checks).
  virtual std::vector<std::string> state_tensor_names() const = 0;
  virtual std::vector<std::string> state_scalar_names() const { return {}; }
  // Throws ValueError when a loaded parameter state lacks an entry update() relies on.
  virtual void check_state(const ParamState& state, size_t index) const {}

  // For derived check_group: the value of a field that must be set.
  double need(const std::optional<double>& field, const char* field_name, size_t index) const;
  bool need(const std::optional<bool>& field, const char* field_name, size_t index) const;

 private:
  ParamGroup fill_group(ParamGroup group, size_t index) const;
  void push_group(ParamGroup group, bool check);

  std::string name_;
  ParamGroup defaults_;  // params empty
  std::vector<ParamGroup> groups_;
  std::unordered_map<const TensorImpl*, ParamState> state_;
};

// Groups given as one list of parameters.
std::vector<ParamGroup> single_group(std::vector<Tensor> params);

}  // namespace ember::optim
