#include "ember/core/autograd/function.h"

#include "ember/core/anomaly.h"

#include "ember/core/ops/reduce.h"

namespace ember::autograd {

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

std::vector<Tensor> TensorList::to_vector() const {
  std::vector<Tensor> v;
  v.reserve(size_);
  for (size_t i = 0; i < size_; ++i) v.push_back((*this)[i]);
  return v;
}

bool needs_grad(const TensorList& inputs) {
  if (!grad_enabled()) return false;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) return true;
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
    if (is_floating(im.dtype())) {
      AutogradMeta& meta = im.ensure_autograd_meta();
      meta.requires_grad = true;
      meta.grad_fn = node;
      meta.output_nr = nr;
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

namespace detail {

void attach_slow(const char* name, const TensorList& inputs, const TensorList& outputs, const TensorList& to_save,
                 bool recorded, bool check_outputs, FnNode::Backward backward) {
  const std::vector<Tensor> in = inputs.to_vector(), out = outputs.to_vector();
  if (check_outputs && detect_anomaly()) [[unlikely]]
    anomaly::check_forward(name, in, out, recorded);
  if (!recorded) return;
  auto node = std::make_shared<FnNode>(name, std::move(backward), to_save.to_vector());
  record(node, in, out);
}

}  // namespace detail

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
