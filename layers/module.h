#pragma once
// Module: the base of every layer and model. It owns named parameters, buffers and
// submodules, with dotted names and orders that match PyTorch's ("layer1.0.conv1.weight"),
// so that state dicts and parameter lists line up with torch/torchvision one for one.
//
// Parameters, buffers and submodules live in members of the derived class (`Tensor weight;`,
// `std::shared_ptr<Linear> fc;`) and are registered by address: the module keeps a pointer to
// the member, so that the layer's forward, named_parameters(), state_dict() and
// submodule() always see the same object, also after the member is assigned a new one
// (`model->fc = std::make_shared<nn::Linear>(64, 5)` replaces the head everywhere). A module
// is therefore neither copyable nor movable; hold it by std::shared_ptr.
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/core/device.h"
#include "ember/core/dtype.h"
#include "ember/core/tensor.h"

namespace ember::nn {

// Name -> tensor in insertion order (the order PyTorch's state_dict() uses).
class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor>;
  // Replaces the value if the name is already present (keeping its position).
  void insert(const std::string& name, Tensor value);
  bool contains(const std::string& name) const { return index_.count(name) != 0; }
  // Throws IndexError naming the key when absent.
  const Tensor& at(const std::string& name) const;
  Tensor& at(const std::string& name);
  // Returns false if absent.
  bool erase(const std::string& name);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  // A deep copy: every value copied (on its device, detached), so that later training does
  // not change it (PyTorch's copy.deepcopy(model.state_dict())).
  StateDict clone() const;
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// Keys that load_state_dict(strict=false) skipped.
struct LoadResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

class Module {
 public:
  explicit Module(std::string type_name);
  virtual ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // One tensor in, one out: checks the input (check_input) with a message naming this
  // module, then runs forward(). (A template only so that model({x}) picks the call below.)
  template <std::same_as<Tensor> T>
  Tensor operator()(const T& x) {
    return call(x);
  }
  // Several tensors in and/or out, model({x}) or model({image, table}) (a network with a
  // class head and a box head, a model of an image and a table): checks the inputs
  // (check_inputs), then runs forward_multi().
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs);
  // A module overrides forward (one in, one out: most layers) or forward_multi (any other
  // number), or both. By default each runs the other: forward(x) takes the single output
  // of forward_multi({x}), forward_multi({x}) is {forward(x)}; a module that overrides
  // neither throws NotImplementedError when called.
  virtual Tensor forward(const Tensor& x);
  virtual std::vector<Tensor> forward_multi(const std::vector<Tensor>& inputs);

  // "Conv2d", "ResNet", ... (PyTorch's class names).
  const std::string& type_name() const { return type_name_; }
  // Dotted path from the root this module was last registered under ("layer1.0.conv1");
  // empty for a root module.
  const std::string& path() const { return path_; }

  // ---- registration (normally called from a derived constructor) ----
  // `slot` must be a member of the derived object. An undefined slot is a parameter that
  // is absent (PyTorch's `None`, e.g. bias=False): it is skipped everywhere. The tensor is
  // made to require grad.
  void register_parameter(const std::string& name, Tensor* slot);
  // persistent=false keeps the buffer out of state_dict(), as in PyTorch.
  void register_buffer(const std::string& name, Tensor* slot, bool persistent = true);
  // A submodule held by a member of the derived object (`slot`, a std::shared_ptr<M>),
  // first set to `module` when one is given. The module reads the member whenever it walks
  // its children, so assigning the member later replaces the child; a null member is a
  // submodule that is absent (skipped, like an undefined parameter).
  template <class M>
  void register_module(const std::string& name, std::shared_ptr<M>* slot,
                       std::type_identity_t<std::shared_ptr<M>> module = nullptr) {
    static_assert(std::is_base_of_v<Module, M>, "register_module: M must derive from nn::Module");
    EMBER_CHECK(slot != nullptr, ValueError, "{}: submodule '{}' registered with a null slot", type_name_, name);
    if (module) *slot = std::move(module);
    add_child(name, Child{name, slot, &get_slot<M>, &set_slot<M>});
  }
  // Puts `module` into the member of the child `name`, e.g. a new head of another size (the
  // same as assigning the member, for code that has the name rather than the member); the
  // old child's parameters are gone from parameters() and state_dict() from then on. Throws
  // IndexError for an unknown name and ValueError when the member cannot hold that type.
  void replace_module(const std::string& name, std::shared_ptr<Module> module);

  // ---- traversal (pre-order, PyTorch's order and names) ----
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // Includes this module under the name "" (first), as PyTorch does. A module reachable
  // twice is listed once.
  std::vector<std::pair<std::string, Module*>> named_modules();
  // The submodule at a dotted path ("layer1.0"); throws IndexError if absent.
  std::shared_ptr<Module> submodule(const std::string& path) const;
  // The parameter at a dotted path ("layer1.0.conv1.weight"); throws IndexError if absent.
  Tensor parameter(const std::string& path) const;
  // Rebinds the parameter slot at a dotted path to another tensor of the same shape
  // (weight tying; gradchecks that differentiate with respect to the parameters).
  void set_parameter(const std::string& path, Tensor value);
  // Calls fn on this module and every submodule, pre-order.
  void apply(const std::function<void(Module&)>& fn);

  // ---- modes ----
  // Recursive. Only Dropout and BatchNorm behave differently in eval mode. A module frozen
  // with hold_statistics stays in eval mode.
  Module& train(bool on = true);
  Module& eval() { return train(false); }
  bool is_training() const { return training_; }

  // ---- device and dtype ----
  // Moves/casts every parameter and buffer IN PLACE: each tensor keeps its identity (its
  // TensorImpl is refilled with the converted data), so Tensor handles taken earlier (an
  // optimizer's parameter list) stay valid. Gradients are converted with their tensor.
  // Optimizer *state* (momentum buffers) is not touched: build the optimizer after .to(),
  // or before its first step. to(DType) casts floating-point tensors only (num_batches_tracked
  // stays i64), as PyTorch does.
  Module& to(Device device);
  Module& to(DType dtype);
  Module& to(Device device, DType dtype) { return to(device).to(dtype); }

  // ---- gradients and freezing ----
  void zero_grad();  // drops every parameter's .grad() (PyTorch's set_to_none=True)
  int64_t num_parameters(bool trainable_only = false) const;
  // The parameters that require grad: what to give an optimizer when part of the model is
  // frozen (optimizers also skip frozen parameters at each step, so freezing or unfreezing
  // after the optimizer was built works too).
  std::vector<Tensor> trainable_parameters() const;
  // Recursive: requires_grad_(false) on a submodule freezes it (as in PyTorch).
  Module& requires_grad_(bool requires_grad = true);
  // Freezing stops the weights, not batch norm's running statistics: in train mode a frozen
  // BatchNorm still updates them from every batch (and Dropout still drops), as in PyTorch.
  // hold_statistics = true also puts this module and every submodule in eval mode and keeps
  // them there when a parent calls train(), which is what fine-tuning a frozen backbone
  // usually wants; unfreeze() releases both.
  Module& freeze(bool hold_statistics = false);
  Module& unfreeze();
  bool holds_statistics() const { return hold_eval_; }

  // ---- state ----
  // Parameters and persistent buffers, each module's own parameters then its buffers then
  // its children, as PyTorch. The values share storage with the module (detached).
  StateDict state_dict() const;
  // Copies values in (across devices if needed) without changing tensor identities.
  // Checks everything before copying anything: on error the module is unchanged. Throws
  // ember::Error listing missing keys and unexpected keys (strict only) and every shape or
  // dtype mismatch (always), each by name. Non-strict returns the skipped keys.
  LoadResult load_state_dict(const StateDict& dict, bool strict = true);

  // ---- printing ----
  // A table: each module called during a forward pass on zeros of `input_shape` (batch
  // dim included) with its output shape and parameter count (recursive), then totals. Runs
  // in eval mode without grad (so BatchNorm statistics are untouched) and restores the modes.
  std::string summary(const Shape& input_shape, DType dtype = DType::f32);
  // For a module of several inputs: one shape each (outputs are listed side by side).
  std::string summary(const std::vector<Shape>& input_shapes, DType dtype = DType::f32);
  // PyTorch-style repr: "ResNet(\n  (conv1): Conv2d(3, 64, kernel_size=(7, 7), ...)\n ...".
  std::string repr() const;
  // The part inside the parentheses of repr() ("3, 64, kernel_size=(7, 7)").
  virtual std::string extra_repr() const { return {}; }

 protected:
  Tensor call(const Tensor& x);
  // Throws with label() when x cannot be fed to this module. Default: accepts anything.
  virtual void check_input(const Tensor& x) const {}
  // The same for the inputs of the several-tensor call. Default: check_input of a single
  // input, so that a one-tensor module is checked the same through either call.
  virtual void check_inputs(const std::vector<Tensor>& inputs) const {
    if (inputs.size() == 1) check_input(inputs[0]);
  }
  // "conv2d 'layer1.0.conv1'" (or "conv2d" for a root module), for error messages.
  std::string label(const char* op) const;
  // Throws DTypeError/DeviceError naming this module if x and t differ in dtype or device.
  void check_same_dtype_device(const Tensor& x, const Tensor& t, const char* op,
                               const char* what) const;

 private:
  struct ParamSlot {
    std::string name;
    Tensor* slot;
  };
  struct BufferSlot {
    std::string name;
    Tensor* slot;
    bool persistent;
  };
  struct Child {
    std::string name;
    void* slot;  // &member, a std::shared_ptr<M>
    std::shared_ptr<Module> (*get)(void* slot);
    bool (*set)(void* slot, const std::shared_ptr<Module>& m);  // false when m is not an M
    std::shared_ptr<Module> module() const { return get(slot); }
  };
  template <class M>
  static std::shared_ptr<Module> get_slot(void* slot) {
    return *static_cast<std::shared_ptr<M>*>(slot);
  }
  template <class M>
  static bool set_slot(void* slot, const std::shared_ptr<Module>& m) {
    std::shared_ptr<M> typed = std::dynamic_pointer_cast<M>(m);
    if (m && !typed) return false;
    *static_cast<std::shared_ptr<M>*>(slot) = std::move(typed);
    return true;
  }
  void add_child(const std::string& name, Child child);
  // Whether `m` is this module or one of its submodules (a cycle if m became a child).
  bool contains(const Module* m) const;
  // The present children, in registration order, with their paths brought up to date (a
  // member may have been assigned a new module since the last walk).
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> live_children() const;
  void set_path(const std::string& path) const;
  void check_name(const std::string& name, const char* what) const;
  template <class F>
  void for_each_tensor(F&& fn);  // every parameter and buffer slot, recursively, once each
  Tensor* find_parameter_slot(const std::string& path) const;

  std::string type_name_;
  mutable std::string path_;  // refreshed by live_children() of the parent
  bool training_ = true;
  bool hold_eval_ = false;  // freeze(true): train() leaves this module in eval mode
  std::vector<ParamSlot> params_;
  std::vector<BufferSlot> buffers_;
  std::vector<Child> children_;
};

// Shape checks shared by layers: "<label>: expected a <what> input, got shape [...]".
void check_rank(const Tensor& x, std::initializer_list<int64_t> ranks, const std::string& label,
                const char* what);

}  // namespace ember::nn
