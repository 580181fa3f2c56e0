#include "ember/core/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "ember/core/anomaly.h"
#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"
#include "ember/core/ops/factory.h"

namespace ember::autograd {
namespace {

struct NodeState {
  int deps = 0;               // incoming edges from nodes that will run
  bool runs = false;          // apply() is called
  std::vector<Tensor> buffer;  // accumulated gradients of the node's outputs
};

struct ByNewest {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

void accumulate(NodeState& st, Node* fn, uint32_t slot, Tensor g) {
  if (st.buffer.empty()) st.buffer.resize(fn->outputs.size());
  EMBER_CHECK(slot < st.buffer.size(), AutogradError, "{}: gradient for output {} of {}",
              fn->name(), slot, st.buffer.size());
  const auto& meta = fn->outputs[slot];
  EMBER_CHECK(g.shape() == meta.shape, AutogradError,
              "{}: received a gradient of shape {} for an output of shape {}", fn->name(),
              shape_str(g.shape()), shape_str(meta.shape));
  Tensor& b = st.buffer[slot];
  b = b.defined() ? b + g : g;
}

using NodeStates = std::unordered_map<Node*, NodeState>;
using Parents = std::unordered_map<Node*, std::vector<Node*>>;  // node -> the nodes with an edge to it
using ReadyQueue = std::priority_queue<Node*, std::vector<Node*>, ByNewest>;

// Finds every node below root_edges, iteratively (deep chains must not recurse), and which
// nodes point at each; refuses a graph that an earlier backward freed.
void discover_graph(const std::vector<Edge>& root_edges, NodeStates& state, Parents& parents) {
  std::vector<Node*> stack;
  for (const Edge& e : root_edges)
    if (e.fn && state.try_emplace(e.fn.get()).second) stack.push_back(e.fn.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    EMBER_CHECK(!n->freed, AutogradError,
                "{}: backward through a graph that was already freed; pass retain_graph=true to "
                "the first backward to run it twice",
                n->name());
    for (const Edge& e : n->next_edges) {
      if (!e.fn) continue;
      parents[e.fn.get()].push_back(n);
      if (state.try_emplace(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
}

// Without targets every node runs; with them, only the nodes that some target lies strictly
// below, so that grad() computes no more than the gradients it returns need.
void mark_running_nodes(const std::vector<Edge>& targets, Parents& parents, NodeStates& state) {
  if (targets.empty()) {
    for (auto& [n, st] : state) st.runs = true;
    return;
  }
  std::vector<Node*> todo;
  for (const Edge& t : targets)
    if (t.fn && state.count(t.fn.get())) todo.push_back(t.fn.get());
  std::unordered_set<Node*> seen(todo.begin(), todo.end());
  while (!todo.empty()) {
    Node* n = todo.back();
    todo.pop_back();
    for (Node* p : parents[n]) {
      state[p].runs = true;
      if (seen.insert(p).second) todo.push_back(p);
    }
  }
}

// A node becomes ready once every node that runs and points at it has passed its gradient on.
void count_dependencies(NodeStates& state) {
  for (auto& [n, st] : state)
    if (st.runs)
      for (const Edge& e : n->next_edges)
        if (e.fn) state[e.fn.get()].deps++;
}

// Hands the root gradients to their nodes and returns the roots that wait for no other node.
ReadyQueue seed_roots(const std::vector<Edge>& root_edges, const std::vector<Tensor>& root_grads,
                      NodeStates& state) {
  ReadyQueue ready;
  for (size_t i = 0; i < root_edges.size(); ++i) {
    const Edge& e = root_edges[i];
    if (!e.fn) continue;
    accumulate(state[e.fn.get()], e.fn.get(), e.input_nr, root_grads[i]);
  }
  // A node given as several roots is queued once.
  std::unordered_set<Node*> pushed;
  for (const Edge& e : root_edges)
    if (e.fn && state[e.fn.get()].deps == 0 && pushed.insert(e.fn.get()).second) ready.push(e.fn.get());
  return ready;
}

// Outputs that received no gradient get zeros: apply() expects one defined gradient per output.
void fill_missing_gradients(const Node& n, NodeState& st) {
  if (st.buffer.empty()) st.buffer.resize(n.outputs.size());
  for (size_t i = 0; i < st.buffer.size(); ++i) {
    if (!st.buffer[i].defined()) {
      const auto& m = n.outputs[i];
      st.buffer[i] = zeros(m.shape, m.dtype, m.device);
    }
  }
}

// Calls apply() on the node's gradient buffer (consuming it); in anomaly mode inside a
// BackwardScope, and with the gradients it returns checked.
std::vector<Tensor> apply_node(Node& n, NodeState& st) {
  std::vector<Tensor> in_grads;
  if (detect_anomaly()) [[unlikely]] {
    {
      anomaly::BackwardScope scope;
      in_grads = n.apply(std::move(st.buffer));
    }
    anomaly::check_backward(n, in_grads);
  } else {
    in_grads = n.apply(std::move(st.buffer));
  }
  st.buffer.clear();
  return in_grads;
}

// Adds the node's input gradients into the nodes below it and queues each that has now heard
// from every node it waits for.
void pass_gradients(const Node& n, std::vector<Tensor>& in_grads, NodeStates& state, ReadyQueue& ready) {
  for (size_t i = 0; i < n.next_edges.size(); ++i) {
    const Edge& e = n.next_edges[i];
    if (!e.fn) continue;
    NodeState& child = state[e.fn.get()];
    if (i < in_grads.size() && in_grads[i].defined())
      accumulate(child, e.fn.get(), e.input_nr, std::move(in_grads[i]));
    if (--child.deps == 0) ready.push(e.fn.get());
  }
}

// The gradient that arrived at each target edge (undefined where none did).
std::vector<Tensor> captured_gradients(const std::vector<Edge>& targets,
                                       const std::unordered_map<Node*, std::vector<Tensor>>& captured) {
  std::vector<Tensor> result(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    auto it = captured.find(targets[i].fn.get());
    if (it != captured.end()) result[i] = it->second[targets[i].input_nr];
  }
  return result;
}

// Runs the graph below root_edges. With targets empty, every reachable node runs
// (AccumulateGrad included). With targets, only nodes upstream of a target run and the
// gradient arriving at each target edge is returned.
std::vector<Tensor> execute(const std::vector<Edge>& root_edges, const std::vector<Tensor>& root_grads,
                            bool retain_graph, const std::vector<Edge>& targets) {
  NoGradGuard no_grad;
  NodeStates state;
  Parents parents;
  discover_graph(root_edges, state, parents);
  const bool capture = !targets.empty();
  mark_running_nodes(targets, parents, state);
  count_dependencies(state);
  ReadyQueue ready = seed_roots(root_edges, root_grads, state);

  std::unordered_map<Node*, std::vector<Tensor>> captured;
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    NodeState& st = state[n];
    fill_missing_gradients(*n, st);
    if (capture) captured[n] = st.buffer;
    if (!st.runs) continue;
    std::vector<Tensor> in_grads = apply_node(*n, st);
    if (!retain_graph && !dynamic_cast<AccumulateGrad*>(n)) {
      n->release_saved();
      n->freed = true;
    }
    pass_gradients(*n, in_grads, state, ready);
  }
  return captured_gradients(targets, captured);
}

std::vector<Tensor> root_gradients(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
                                   const char* op) {
  std::vector<Tensor> out(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    EMBER_CHECK(r.defined(), ValueError, "{}: output {} is undefined", op, i);
    EMBER_CHECK(r.requires_grad(), AutogradError,
                "{}: output {} (shape {}) does not require grad and has no grad_fn", op, i,
                shape_str(r.shape()));
    Tensor g = i < grads.size() ? grads[i] : Tensor();
    if (!g.defined()) {
      EMBER_CHECK(r.numel() == 1, AutogradError,
                  "{}: a gradient must be given for a non-scalar output (shape {})", op,
                  shape_str(r.shape()));
      g = ones(r.shape(), r.dtype(), r.device());
    } else {
      EMBER_CHECK(g.shape() == r.shape(), ShapeError,
                  "{}: gradient shape {} does not match output shape {}", op, shape_str(g.shape()),
                  shape_str(r.shape()));
      EMBER_CHECK(g.device() == r.device(), DeviceError,
                  "{}: gradient on {} for an output on {}", op, g.device(), r.device());
      if (g.dtype() != r.dtype()) g = g.to(r.dtype());
    }
    out[i] = g.detach();
  }
  return out;
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads, bool retain_graph) {
  auto g = root_gradients(roots, grads, "backward");
  std::vector<Edge> edges;
  for (const Tensor& r : roots) edges.push_back(gradient_edge(r));
  execute(edges, g, retain_graph, {});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool allow_unused) {
  auto g = root_gradients(outputs, grad_outputs, "grad");
  std::vector<Edge> edges;
  for (const Tensor& r : outputs) edges.push_back(gradient_edge(r));
  std::vector<Edge> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(inputs[i].defined() && inputs[i].requires_grad(), AutogradError,
                "grad: input {} does not require grad", i);
    targets.push_back(gradient_edge(inputs[i]));
  }
  auto res = execute(edges, g, retain_graph, targets);
  for (size_t i = 0; i < res.size(); ++i)
    EMBER_CHECK(allow_unused || res[i].defined(), AutogradError,
                "grad: input {} (shape {}) is not used by the outputs; pass allow_unused=true", i,
                shape_str(inputs[i].shape()));
  return res;
}

}  // namespace ember::autograd
