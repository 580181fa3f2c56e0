#include "ember/core/autograd/node.h"

#include <atomic>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/copy.h"

namespace ember::autograd {
namespace {
std::atomic<uint64_t> g_next_sequence_nr{0};
}

Node::Node() : sequence_nr_(g_next_sequence_nr.fetch_add(1)) {}

// A long chain of nodes would otherwise be freed by nested destructor calls, one stack
// frame per node; instead, nodes whose last owner is this one are freed from a loop.
Node::~Node() {
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  for (auto& e : next_edges)
    if (e.fn && e.fn.use_count() == 1) pending.push_back(std::move(e.fn));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();
  }
  draining = false;
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor& g = grads[0];
  autograd::AutogradMeta* meta = leaf_->autograd_meta();
  Tensor leaf(leaf_);
  EMBER_CHECK(g.shape() == leaf_->shape(), ShapeError,
              "AccumulateGrad: gradient of shape {} for a leaf of shape {}", shape_str(g.shape()),
              shape_str(leaf_->shape()));
  NoGradGuard ng;
  if (!meta->grad.defined()) {
    // The incoming gradient may alias other buffers (add's backward passes one tensor
    // to both inputs), so the leaf gets its own copy.
    meta->grad = g.impl_ptr().use_count() == 1 && g.impl()->storage().use_count() == 1 && g.is_contiguous()
                     ? g
                     : g.clone();
  } else {
    meta->grad = meta->grad + g;
  }
  return {};
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  autograd::AutogradMeta* meta = t.impl()->autograd_meta();
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
  std::shared_ptr<Node> acc = meta->grad_accumulator.lock();
  if (!acc) {
    auto a = std::make_shared<AccumulateGrad>(t.impl_ptr());
    a->outputs.push_back({t.shape(), t.dtype(), t.device()});
    meta->grad_accumulator = a;
    acc = a;
  }
  return {acc, 0};
}

}  // namespace ember::autograd
