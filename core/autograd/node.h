#pragma once
// Graph nodes of the define-by-run autograd engine. A Node is the backward of one op
// call: it receives the gradients of the op's outputs and returns the gradients of its
// inputs, one per next edge.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::autograd {

class Node;

struct Edge {
  std::shared_ptr<Node> fn;  // null: this input needs no gradient
  uint32_t input_nr = 0;     // which of fn's gradient inputs this edge feeds
  bool valid() const { return fn != nullptr; }
};

// Shape/dtype/device of one op output, so that a missing gradient can be zero-filled.
struct OutputMeta {
  Shape shape;
  DType dtype = DType::f32;
  Device device;
};

class Node {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // grads[i] is the gradient of output i (always defined: the engine zero-fills).
  // Returns one tensor per next edge; undefined where the edge needs no gradient.
  virtual std::vector<Tensor> apply(std::vector<Tensor>&& grads) = 0;
  virtual std::string name() const = 0;
  // Drops saved tensors once the graph has been used (unless retain_graph).
  virtual void release_saved() {}

  bool needs_input_grad(size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }
  uint64_t sequence_nr() const { return sequence_nr_; }
  // Set by the engine once the node ran without retain_graph.
  bool freed = false;

  std::vector<Edge> next_edges;
  std::vector<OutputMeta> outputs;

 private:
  uint64_t sequence_nr_;
};

// Sink for a leaf tensor: adds the incoming gradient into the leaf's .grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  uint32_t output_nr = 0;
  std::weak_ptr<Node> grad_accumulator;  // leaves only; the graph holds it strongly
};

// The edge through which a gradient reaches `t` (invalid if t does not require grad).
Edge gradient_edge(const Tensor& t);

}  // namespace ember::autograd
