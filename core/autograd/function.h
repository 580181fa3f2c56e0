#pragma once
// Helpers for ops that record a backward node.
#include <functional>
#include <initializer_list>
#include <string>
#include <memory>
#include <vector>

#include "ember/core/anomaly.h"
#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"
#include "ember/core/autograd/saved.h"

namespace ember::autograd {

// The tensors an op hands to attach: a braced list of existing tensors ({x}, {a, b}) or a
// vector, referred to without copying (the list lives until the end of the call).
class TensorList {
 public:
  TensorList() = default;
  // The braced list outlives the call that this list is a parameter of, which is all a
  // TensorList is for.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  TensorList(std::initializer_list<std::reference_wrapper<const Tensor>> l) : refs_(l.begin()), size_(l.size()) {}
#pragma GCC diagnostic pop
  TensorList(const std::vector<Tensor>& v) : vec_(v.data()), size_(v.size()) {}  // NOLINT: implicit on purpose
  size_t size() const { return size_; }
  const Tensor& operator[](size_t i) const { return vec_ ? vec_[i] : refs_[i].get(); }
  std::vector<Tensor> to_vector() const;

 private:
  const std::reference_wrapper<const Tensor>* refs_ = nullptr;
  const Tensor* vec_ = nullptr;
  size_t size_ = 0;
};

// True if grad mode is on and any defined input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);
bool needs_grad(const TensorList& inputs);

// Wires `node` into the graph: edges to the inputs, and the node as grad_fn of outputs.
void record(const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs,
            const std::vector<Tensor>& outputs);

// A node whose backward is a function of the output gradients and the saved tensors.
// Tensors needed by the backward must go through `saved` (never captured directly):
// that is what detects in-place modification and avoids reference cycles.
class FnNode final : public Node {
 public:
  using Backward = std::function<std::vector<Tensor>(const std::vector<Tensor>& grads,
                                                     const std::vector<Tensor>& saved,
                                                     const FnNode& node)>;
  FnNode(std::string name, Backward backward, const std::vector<Tensor>& to_save);
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string name() const override { return name_; }
  void release_saved() override;

 private:
  std::string name_;
  Backward backward_;
  std::vector<SavedTensor> saved_;
};

// Whether an op with these inputs must call attach at all: a node is needed (grad mode on
// and an input requires grad), or anomaly mode checks the op's outputs. Ops whose backward
// captures something costly to copy (shapes) ask this first.
template <class... Ts>
bool wants_node(const Ts&... inputs) {
  return ((inputs.defined() && inputs.requires_grad()) || ...) ? grad_enabled() || detect_anomaly()
                                                               : detect_anomaly();
}

namespace detail {
void attach_slow(const char* name, const TensorList& inputs, const TensorList& outputs, const TensorList& to_save,
                 bool recorded, bool check_outputs, FnNode::Backward backward);
}  // namespace detail

// If grad mode is on and an input requires grad, records an FnNode for the op (and in
// anomaly mode checks the outputs). When neither applies it returns at once: no node, no
// std::function, no copies of the lists.
template <class F>
void attach(const char* name, const TensorList& inputs, const TensorList& outputs, const TensorList& to_save,
            F&& backward) {
  const bool recorded = needs_grad(inputs);
  if (!recorded && !detect_anomaly()) [[likely]]
    return;
  detail::attach_slow(name, inputs, outputs, to_save, recorded, true,
                      recorded ? FnNode::Backward(std::forward<F>(backward)) : FnNode::Backward());
}

// attach for the view ops (view, permute, slice, expand): they compute nothing, so anomaly
// mode does not check their outputs; a NaN seen through a view was made by the op that
// produced its input, which checks (and is named) when it attaches.
template <class F>
void attach_view(const char* name, const TensorList& input, const TensorList& output, F&& backward) {
  if (!needs_grad(input)) [[likely]]
    return;
  detail::attach_slow(name, input, output, {}, true, false, FnNode::Backward(std::forward<F>(backward)));
}

// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace ember::autograd
