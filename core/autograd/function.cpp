#include "ember/core/autograd/function.h"

#include <string_view>

#include "ember/core/anomaly.h"

#include "ember/core/ops/reduce.h"

namespace ember::autograd {

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(const std::shared_ptr<Node>& node, const std::vector<Tensor>& inputs,
            const std::vector<Tensor>& outputs) {
  node->next_edges.clear();
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
  node->outputs.clear();
  uint32_t nr = 0;
  for (const Tensor& out : outputs) {
    node->outputs.push_back({out.shape(), out.dtype(), out.device()});
    auto& im = *out.impl();
    if (is_floating(im.dtype)) {
      if (!im.autograd) im.autograd = std::make_unique<AutogradMeta>();
      im.autograd->requires_grad = true;
      im.autograd->grad_fn = node;
      im.autograd->output_nr = nr;
    }
    ++nr;
  }
}

FnNode::FnNode(std::string name, Backward backward, const std::vector<Tensor>& to_save)
    : name_(std::move(name)), backward_(std::move(backward)) {
  saved_.reserve(to_save.size());
  for (const Tensor& t : to_save) saved_.emplace_back(t);
}

std::vector<Tensor> FnNode::apply(std::vector<Tensor>&& grads) {
  std::vector<Tensor> saved;
  saved.reserve(saved_.size());
  for (const SavedTensor& s : saved_) saved.push_back(s.unpack(name_));
  return backward_(grads, saved, *this);
}

void FnNode::release_saved() {
  for (SavedTensor& s : saved_) s.release();
}

namespace {
bool is_view_op(std::string_view name) {
  return name == "view" || name == "permute" || name == "slice" || name == "expand";
}
}  // namespace

void attach(const char* name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            const std::vector<Tensor>& to_save, FnNode::Backward backward) {
  const bool recorded = needs_grad(inputs);
  // Views compute nothing: a NaN seen through one was made by the op that produced its
  // input, which checks (and is named) when it attaches, often just after its own view.
  if (detect_anomaly() && !is_view_op(name)) [[unlikely]]
    anomaly::check_forward(name, inputs, outputs, recorded);
  if (!recorded) return;
  auto node = std::make_shared<FnNode>(name, std::move(backward), to_save);
  record(node, inputs, outputs);
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
    } else if (shape[i - lead] == 1 && grad.shape()[i] != 1) {
      dims.push_back(i);
    }
  }
  Tensor r = dims.empty() ? grad : ember::sum(grad, dims, /*keepdim=*/true);
  return r.reshape(shape);
}

}  // namespace ember::autograd
