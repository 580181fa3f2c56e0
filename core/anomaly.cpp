#include "ember/core/anomaly.h"

#include <cmath>
#include <string>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"

namespace ember {

namespace detail {
std::atomic<bool> g_detect_anomaly{false};
}  // namespace detail

void set_detect_anomaly(bool on) { detail::g_detect_anomaly.store(on, std::memory_order_relaxed); }

namespace anomaly {
namespace {

// Set while a check runs (its own copies and conversions go through attach too) and while
// the engine runs a node's backward.
thread_local bool t_suppress = false;

struct Scan {
  int64_t nan = 0, inf = 0, first = -1;
};

template <class T>
void scan_values(const T* p, int64_t n, Scan& s) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = p[i];
    if (std::isnan(v)) {
      ++s.nan;
    } else if (std::isinf(v)) {
      ++s.inf;
    } else {
      continue;
    }
    if (s.first < 0) s.first = i;
  }
}

Scan scan(const Tensor& t) {
  Scan s;
  if (!t.defined() || !is_floating(t.dtype()) || t.numel() == 0) return s;
  Tensor c = t.detach();
  if (!c.device().is_cpu()) c = c.cpu();
  if (c.dtype() == DType::f16 || c.dtype() == DType::bf16) c = c.to(DType::f32);
  c = c.contiguous();
  if (c.dtype() == DType::f32)
    scan_values(c.data<float>(), c.numel(), s);
  else
    scan_values(c.data<double>(), c.numel(), s);
  return s;
}

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined";
  return fmt::format("{} {}", shape_str(t.shape()), t.dtype());
}

std::string what_bad(const Scan& s) {
  std::string r;
  if (s.nan) r += fmt::format("{} NaN", s.nan);
  if (s.inf) r += fmt::format("{}{} Inf", r.empty() ? "" : " and ", s.inf);
  return r;
}

std::string origin(const Tensor& t) {
  if (!t.defined()) return "";
  auto fn = t.grad_fn();
  if (fn) return fmt::format(" (grad_fn {})", fn->name());
  return t.requires_grad() ? " (leaf)" : "";
}

struct Suppress {
  bool prev = t_suppress;
  Suppress() { t_suppress = true; }
  ~Suppress() { t_suppress = prev; }
};

}  // namespace

BackwardScope::BackwardScope() : prev_(t_suppress) { t_suppress = true; }
BackwardScope::~BackwardScope() { t_suppress = prev_; }

void check_forward(const char* op, const std::vector<Tensor>& inputs,
                   const std::vector<Tensor>& outputs, bool recorded) {
  if (t_suppress) return;
  Suppress sup;
  NoGradGuard ng;
  for (size_t i = 0; i < outputs.size(); ++i) {
    Scan s = scan(outputs[i]);
    if (s.nan == 0 && s.inf == 0) continue;
    std::string ins;
    for (size_t k = 0; k < inputs.size(); ++k)
      ins += fmt::format("{}{}{}", k ? ", " : "", describe(inputs[k]), origin(inputs[k]));
    EMBER_THROW(AnomalyError,
                "anomaly: op {} produced {} in output {} ({}, first at flat index {}); graph "
                "node: {}; inputs: {}",
                op, what_bad(s), i, describe(outputs[i]), s.first,
                recorded ? std::string(op) : "none (no input requires grad)",
                ins.empty() ? "none" : ins);
  }
}

void check_backward(const autograd::Node& node, const std::vector<Tensor>& input_grads) {
  Suppress sup;
  NoGradGuard ng;
  for (size_t i = 0; i < input_grads.size(); ++i) {
    Scan s = scan(input_grads[i]);
    if (s.nan == 0 && s.inf == 0) continue;
    std::string outs;
    for (size_t k = 0; k < node.outputs.size(); ++k)
      outs += fmt::format("{}{} {}", k ? ", " : "", shape_str(node.outputs[k].shape),
                          node.outputs[k].dtype);
    std::string next = "none";
    if (i < node.next_edges.size() && node.next_edges[i].fn) next = node.next_edges[i].fn->name();
    EMBER_THROW(AnomalyError,
                "anomaly: backward of graph node {} produced {} in the gradient for its input {} "
                "({}, first at flat index {}; flows to {}); gradients received for the node's "
                "outputs: {}",
                node.name(), what_bad(s), i, describe(input_grads[i]), s.first, next,
                outs.empty() ? "none" : outs);
  }
}

}  // namespace anomaly
}  // namespace ember
