#pragma once
#include <vector>

#include "ember/core/tensor.h"

namespace ember::autograd {

// Accumulates d(sum_i <roots_i, grads_i>)/d(leaf) into every leaf's .grad().
// grads[i] may be undefined for a scalar root (taken as 1). Frees the graph unless
// retain_graph.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
              bool retain_graph = false);

// Returns d(sum_i <outputs_i, grad_outputs_i>)/d(inputs_j) without touching any .grad();
// only the part of the graph between outputs and inputs runs. An input that the outputs
// do not depend on gets an undefined tensor if allow_unused, else an AutogradError.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

}  // namespace ember::autograd
