#pragma once
// Helpers for ops that record a backward node.
#include <functional>
#include <initializer_list>
#include <string>
#include <memory>
#include <vector>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"
#include "ember/core/autograd/saved.h"

namespace ember::autograd {

// True if grad mode is on and any defined input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

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

// If grad mode is on and an input requires grad, records an FnNode for the op.
void attach(const char* name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            const std::vector<Tensor>& to_save, FnNode::Backward backward);

// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace ember::autograd
