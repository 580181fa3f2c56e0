#pragma once
// Anomaly mode: a process-wide debugging switch. While it is on, every op that goes through
// autograd::attach (all differentiable ops, and so every composite such as the losses) has
// its floating-point outputs checked for NaN and Inf, and so has every gradient a graph node
// returns during backward. The first bad value throws AnomalyError naming the op, its graph
// node and the shapes involved, e.g.
//   anomaly: op log produced 1 NaN in output 0 ([3] float32, first at index 1); graph node
//   log; inputs: [3] float32 (grad_fn exp)
// It copies every output to the host and scans it: a debugging mode, many times slower.
// Off (the default) it costs one relaxed atomic load per op. Unlike grad mode it is global,
// not per thread, as in PyTorch: set it before the threads that run the model start.
#include <atomic>
#include <vector>

#include "ember/core/tensor.h"

namespace ember {

namespace detail {
extern std::atomic<bool> g_detect_anomaly;
}  // namespace detail

void set_detect_anomaly(bool on);
inline bool detect_anomaly() { return detail::g_detect_anomaly.load(std::memory_order_relaxed); }

// Turns anomaly mode on (or off) for a scope, restoring the previous setting afterwards.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool on = true) : prev_(detect_anomaly()) { set_detect_anomaly(on); }
  ~DetectAnomalyGuard() { set_detect_anomaly(prev_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool prev_;
};

namespace autograd {
class Node;
}

namespace anomaly {
// The hooks (called only when detect_anomaly() is true). check_forward: from autograd::attach,
// `recorded` says whether a graph node will be created for the op. check_backward: from the
// engine after node.apply(), with the gradients apply returned for the node's inputs (the
// shapes of the gradients it received are in node.outputs).
void check_forward(const char* op, const std::vector<Tensor>& inputs,
                   const std::vector<Tensor>& outputs, bool recorded);
void check_backward(const autograd::Node& node, const std::vector<Tensor>& input_grads);
// While alive on this thread, check_forward does nothing: the engine reports NaNs made by the
// ops inside a backward function under the node's name instead.
class BackwardScope {
 public:
  BackwardScope();
  ~BackwardScope();
  BackwardScope(const BackwardScope&) = delete;
  BackwardScope& operator=(const BackwardScope&) = delete;

 private:
  bool prev_;
};
}  // namespace anomaly

}  // namespace ember
