// Every public op called with bad arguments: wrong shapes, wrong dtypes, undefined tensors,
// out-of-range dims and values (and mismatched devices when a GPU is present). Each call
// must throw the ember::Error subclass its row names (never crash, never another exception
// type) with a message that names the op and the offending value (the bad shape as
// shape_str writes it, the dtype's name, the out-of-range dim or value). The table is the
// point: a new op gets its rows here, taken from the EMBER_CHECK the call reaches.
#include <gtest/gtest.h>

#include <ember/core/dispatch.h>
#include <ember/ember.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

using namespace ember;

namespace {

struct Case {
  std::string name;                // op and what is wrong, for the failure message
  const char* type;                // the error type it must throw
  bool (*is_type)(const Error&);   // whether a caught error is of that type
  std::string op;                  // must appear in the error message (the op's name)
  std::string value;               // must appear too: the offending value, as the message writes it
  std::function<void()> fn;
};

template <class E>
constexpr const char* type_name() {
  if constexpr (std::is_same_v<E, ShapeError>) return "ShapeError";
  else if constexpr (std::is_same_v<E, DTypeError>) return "DTypeError";
  else if constexpr (std::is_same_v<E, ValueError>) return "ValueError";
  else if constexpr (std::is_same_v<E, IndexError>) return "IndexError";
  else if constexpr (std::is_same_v<E, DeviceError>) return "DeviceError";
  else if constexpr (std::is_same_v<E, NotImplementedError>) return "NotImplementedError";
  else if constexpr (std::is_same_v<E, AutogradError>) return "AutogradError";
  else if constexpr (std::is_same_v<E, Error>) return "Error (no subclass)";
  else static_assert(std::is_same_v<E, Error>, "add the type to type_name");
}

// The most derived ember error type of e, for the failure message.
std::string type_of(const Error& e) {
  if (dynamic_cast<const ShapeError*>(&e)) return "ShapeError";
  if (dynamic_cast<const DTypeError*>(&e)) return "DTypeError";
  if (dynamic_cast<const ValueError*>(&e)) return "ValueError";
  if (dynamic_cast<const IndexError*>(&e)) return "IndexError";
  if (dynamic_cast<const DeviceError*>(&e)) return "DeviceError";
  if (dynamic_cast<const NotImplementedError*>(&e)) return "NotImplementedError";
  if (dynamic_cast<const AutogradError*>(&e)) return "AutogradError";
  if (dynamic_cast<const AnomalyError*>(&e)) return "AnomalyError";
  if (dynamic_cast<const CudaError*>(&e)) return "CudaError";
  if (dynamic_cast<const IOError*>(&e)) return "IOError";
  return std::string("Error (") + typeid(e).name() + ")";
}

class Table {
 public:
  // A call that must throw E (or a type derived from it; E = Error means Error itself, no
  // subclass) whose message contains `op` (or `op_in_message`, when the error comes from a
  // function the op calls and names that one) and `value`.
  template <class E>
  void add(const std::string& op, const std::string& what, const std::string& value, std::function<void()> fn,
           const std::string& op_in_message = "") {
    bool (*is_type)(const Error&) = [](const Error& e) {
      if constexpr (std::is_same_v<E, Error>) return typeid(e) == typeid(Error);
      else return dynamic_cast<const E*>(&e) != nullptr;
    };
    cases_.push_back(
        {op + ": " + what, type_name<E>(), is_type, op_in_message.empty() ? op : op_in_message, value, std::move(fn)});
  }
  std::vector<Case> take() { return std::move(cases_); }

 private:
  std::vector<Case> cases_;
};

Tensor f32(Shape s) { return randn(std::move(s)); }
Tensor f64(Shape s) { return randn(std::move(s), DType::f64); }
Tensor i64(Shape s) { return zeros(std::move(s), DType::i64); }
Tensor boolean(Shape s) { return zeros(std::move(s), DType::boolean); }
const Tensor U;  // undefined

std::vector<Case> make_cases() {
  Table t;

  // ---- unary ----
  using UnaryFn = Tensor (*)(const Tensor&);
  const std::vector<std::pair<const char*, UnaryFn>> unary = {
      {"neg", &neg},   {"abs", &abs},         {"sign", &sign},       {"exp", &exp},
      {"log", &log},   {"log1p", &log1p},     {"sqrt", &sqrt},       {"rsqrt", &rsqrt},
      {"relu", &relu}, {"gelu", &gelu},       {"sigmoid", &sigmoid}, {"tanh", &tanh}};
  for (auto [name, fn] : unary) {
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U); });
    // neg/abs/sign take integers, and so does relu (as in PyTorch).
    const std::string n = name;
    if (n != "neg" && n != "abs" && n != "sign" && n != "relu")
      t.add<DTypeError>(name, "int64 input", "got int64", [fn] { fn(i64({3})); });
  }
  t.add<DTypeError>("neg", "bool input", "not defined for bool", [] { neg(boolean({3})); });
  // The scalar powers are the kernels pow_scalar and rpow_scalar, which the messages name.
  t.add<ValueError>("pow", "undefined input", "input is undefined", [] { pow(U, 2.0); });
  t.add<DTypeError>("pow", "int64 input", "got int64", [] { pow(i64({3}), 2.0); });
  t.add<ValueError>("rpow", "undefined input", "input is undefined", [] { pow(2.0, U); });
  t.add<DTypeError>("rpow", "int64 input", "got int64", [] { pow(2.0, i64({3})); });
  t.add<ValueError>("leaky_relu", "undefined input", "input is undefined", [] { leaky_relu(U); });
  t.add<DTypeError>("leaky_relu", "int64 input", "got int64", [] { leaky_relu(i64({3})); });
  t.add<ValueError>("clamp", "undefined input", "input is undefined", [] { clamp(U, 0, 1); });
  t.add<DTypeError>("clamp", "int64 input", "got int64", [] { clamp(i64({3}), 0, 1); });
  t.add<ValueError>("clamp", "min > max", "min 1 is greater than max 0", [] { clamp(f32({3}), 1, 0); });
  t.add<ValueError>("clamp_min", "undefined input", "input is undefined", [] { clamp_min(U, 0); }, "clamp");
  t.add<DTypeError>("clamp_max", "int64 input", "got int64", [] { clamp_max(i64({3}), 0); }, "clamp");
  t.add<ValueError>("affine", "undefined input", "input is undefined", [] { affine(U, 2, 1); });
  t.add<DTypeError>("affine", "bool input", "not defined for bool", [] { affine(boolean({3}), 2, 1); });

  // ---- binary ----
  using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);
  const std::vector<std::pair<const char*, BinaryFn>> binary = {
      {"add", &ember::add}, {"sub", &sub}, {"mul", &mul}, {"div", &div},
      {"maximum", static_cast<BinaryFn>(&maximum)}, {"minimum", static_cast<BinaryFn>(&minimum)},
      {"pow", static_cast<BinaryFn>(&pow)},
      {"eq", static_cast<BinaryFn>(&eq)}, {"ne", static_cast<BinaryFn>(&ne)},
      {"lt", static_cast<BinaryFn>(&lt)}, {"le", static_cast<BinaryFn>(&le)},
      {"gt", static_cast<BinaryFn>(&gt)}, {"ge", static_cast<BinaryFn>(&ge)}};
  for (auto [name, fn] : binary) {
    t.add<ValueError>(name, "undefined lhs", "an operand is undefined", [fn] { fn(U, f32({3})); });
    t.add<ValueError>(name, "undefined rhs", "an operand is undefined", [fn] { fn(f32({3}), U); });
    t.add<DTypeError>(name, "f32 with f64", "float32 with shape [3] and float64 with shape [3]",
                      [fn] { fn(f32({3}), f64({3})); });
    t.add<DTypeError>(name, "f32 with i64", "float32 with shape [3] and int64 with shape [3]",
                      [fn] { fn(f32({3}), i64({3})); });
    t.add<ShapeError>(name, "shapes [2,3] and [4]", "shapes [2, 3] and [4]", [fn] { fn(f32({2, 3}), f32({4})); });
    t.add<ShapeError>(name, "shapes [2,3] and [3,2]", "shapes [2, 3] and [3, 2]",
                      [fn] { fn(f32({2, 3}), f32({3, 2})); });
  }
  using ScalarFn = Tensor (*)(const Tensor&, double);
  const std::vector<std::pair<const char*, ScalarFn>> scalar = {
      {"maximum", static_cast<ScalarFn>(&maximum)}, {"minimum", static_cast<ScalarFn>(&minimum)},
      {"eq", static_cast<ScalarFn>(&eq)}, {"ne", static_cast<ScalarFn>(&ne)},
      {"lt", static_cast<ScalarFn>(&lt)}, {"le", static_cast<ScalarFn>(&le)},
      {"gt", static_cast<ScalarFn>(&gt)}, {"ge", static_cast<ScalarFn>(&ge)}};
  for (auto [name, fn] : scalar)
    t.add<ValueError>(name, "undefined tensor with a scalar", "an operand is undefined", [fn] { fn(U, 1.0); });
  t.add<DTypeError>("add", "bool operands", "not defined for bool", [] { ember::add(boolean({3}), boolean({3})); });
  t.add<ValueError>("where", "undefined cond", "the condition is undefined",
                    [] { where(U, f32({3}), f32({3})); });
  t.add<DTypeError>("where", "f32 cond", "bool tensor, got float32", [] { where(f32({3}), f32({3}), f32({3})); });
  t.add<ShapeError>("where", "cond shape [4] with [3]", "shapes [4] and [3]",
                    [] { where(boolean({4}), f32({3}), f32({3})); });
  t.add<DTypeError>("where", "f32 with f64", "float32 with shape [3] and float64 with shape [3]",
                    [] { where(boolean({3}), f32({3}), f64({3})); });
  t.add<ValueError>("where", "undefined a", "an operand is undefined", [] { where(boolean({3}), U, f32({3})); });
  t.add<ValueError>("where", "scalar form, undefined a", "an operand is undefined",
                    [] { where(boolean({3}), U, 1.0); });
  t.add<DTypeError>("where", "scalar form, f32 cond", "bool tensor, got float32",
                    [] { where(f32({3}), f32({3}), 1.0); });

  // ---- reduce ----
  using DimsFn = Tensor (*)(const Tensor&, std::vector<int64_t>, bool);
  const std::vector<std::pair<const char*, DimsFn>> dims_reduce = {
      {"sum", &ember::sum}, {"mean", &ember::mean}, {"amax", &amax}, {"amin", &amin}};
  for (auto [name, fn] : dims_reduce) {
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U, {}, false); });
    t.add<IndexError>(name, "dim 2 of a 2-d tensor", "dim 2 is out of range for a tensor with 2 dims",
                      [fn] { fn(f32({2, 3}), {2}, false); });
    t.add<IndexError>(name, "dim -3 of a 2-d tensor", "dim -3 is out of range for a tensor with 2 dims",
                      [fn] { fn(f32({2, 3}), {-3}, false); });
    t.add<ValueError>(name, "dim repeated", "dim 1 appears twice", [fn] { fn(f32({2, 3}), {1, 1}, false); });
  }
  t.add<DTypeError>("mean", "int64 input", "got int64", [] { mean(i64({3})); });
  t.add<ValueError>("amax", "empty input", "empty tensor (shape [0, 3])", [] { amax(f32({0, 3})); });
  t.add<ValueError>("var", "undefined input", "input is undefined", [] { var(U); });
  t.add<IndexError>("var", "dim out of range", "dim 5 is out of range", [] { var(f32({2, 3}), {5}); });
  t.add<DTypeError>("var", "int64 input", "got int64", [] { var(i64({3})); });
  t.add<ValueError>("std", "undefined input", "input is undefined", [] { ember::std(U); });
  t.add<IndexError>("std", "dim out of range", "dim -5 is out of range", [] { ember::std(f32({2, 3}), {-5}); });
  using ValIdx = ValuesIndices (*)(const Tensor&, int64_t, bool);
  using ArgFn = Tensor (*)(const Tensor&, int64_t, bool);
  const std::vector<std::pair<const char*, ValIdx>> vi = {{"max", static_cast<ValIdx>(&ember::max)},
                                                          {"min", static_cast<ValIdx>(&ember::min)}};
  for (auto [name, fn] : vi) {
    t.add<ValueError>(name, "undefined input (dim form)", "input is undefined", [fn] { fn(U, 0, false); });
    t.add<IndexError>(name, "dim 2 of a 2-d tensor", "dim 2 is out of range", [fn] { fn(f32({2, 3}), 2, false); });
    t.add<IndexError>(name, "dim -3 of a 2-d tensor", "dim -3 is out of range", [fn] { fn(f32({2, 3}), -3, false); });
    t.add<ValueError>(name, "empty reduced dim", "dim 1 of shape [2, 0] is empty", [fn] { fn(f32({2, 0}), 1, false); });
  }
  const std::vector<std::pair<const char*, ArgFn>> args = {{"argmax", &argmax}, {"argmin", &argmin}};
  for (auto [name, fn] : args) {
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U, 0, false); });
    t.add<IndexError>(name, "dim 2 of a 2-d tensor", "dim 2 is out of range", [fn] { fn(f32({2, 3}), 2, false); });
    t.add<ValueError>(name, "empty reduced dim", "dim 1 of shape [2, 0] is empty", [fn] { fn(f32({2, 0}), 1, false); });
  }
  // max/min of all elements are amax/amin, which the messages name.
  t.add<ValueError>("max", "undefined input (all)", "input is undefined", [] { ember::max(U); });
  t.add<ValueError>("max", "empty input (all)", "empty tensor (shape [0])", [] { ember::max(f32({0})); });
  t.add<ValueError>("min", "empty input (all)", "empty tensor (shape [0, 2])", [] { ember::min(f32({0, 2})); });

  // ---- linalg ----
  t.add<ValueError>("matmul", "undefined lhs", "an operand is undefined", [] { matmul(U, f32({3, 2})); });
  t.add<ValueError>("matmul", "undefined rhs", "an operand is undefined", [] { matmul(f32({2, 3}), U); });
  t.add<ShapeError>("matmul", "[2,3] x [4,5]", "inner dimensions differ: [2, 3] @ [4, 5]",
                    [] { matmul(f32({2, 3}), f32({4, 5})); });
  t.add<DTypeError>("matmul", "f32 x f64", "(float32 and float64)", [] { matmul(f32({2, 3}), f64({3, 2})); });
  t.add<DTypeError>("matmul", "int64", "floating-point operands, got int64", [] { matmul(i64({2, 3}), i64({3, 2})); });
  t.add<ShapeError>("matmul", "0-d operand", "at least 1 dim, got [] and [3]", [] { matmul(f32({}), f32({3})); });
  // The vectors go in as [1, 3] and [4, 1].
  t.add<ShapeError>("matmul", "vector lengths 3 and 4", "[1, 3] @ [4, 1] (3 vs 4)", [] { matmul(f32({3}), f32({4})); });
  t.add<ShapeError>("matmul", "batch dims 2 and 3", "shapes [2] and [3] cannot be broadcast",
                    [] { matmul(f32({2, 2, 3}), f32({3, 3, 2})); });
  t.add<ValueError>("linear", "undefined x", "an operand is undefined", [] { linear(U, f32({4, 3})); });
  t.add<ValueError>("linear", "undefined weight", "an operand is undefined", [] { linear(f32({2, 3}), U); });
  t.add<ShapeError>("linear", "in features 3 vs 4", "input has 3 features but weight expects 4",
                    [] { linear(f32({2, 3}), f32({5, 4})); });
  t.add<ShapeError>("linear", "1-d weight", "got shape [3]", [] { linear(f32({2, 3}), f32({3})); });
  t.add<ShapeError>("linear", "bias [4] for 5 outputs", "bias has shape [4] but weight has 5 outputs",
                    [] { linear(f32({2, 3}), f32({5, 3}), f32({4})); });
  t.add<DTypeError>("linear", "f64 weight with f32 x", "(float32 and float64)",
                    [] { linear(f32({2, 3}), f64({5, 3})); });
  t.add<ShapeError>("linear", "0-d x", "input shape []", [] { linear(f32({}), f32({5, 3})); });

  // ---- softmax ----
  for (const char* name : {"softmax", "log_softmax"}) {
    auto fn = std::string(name) == "softmax" ? &softmax : &log_softmax;
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U, 0); });
    t.add<IndexError>(name, "dim 2 of a 2-d tensor", "dim 2 is out of range", [fn] { fn(f32({2, 3}), 2); });
    t.add<IndexError>(name, "dim -3 of a 2-d tensor", "dim -3 is out of range", [fn] { fn(f32({2, 3}), -3); });
    t.add<DTypeError>(name, "int64 input", "got int64", [fn] { fn(i64({2, 3}), 1); });
  }

  // ---- loss ----
  t.add<ValueError>("cross_entropy", "undefined logits", "an operand is undefined", [] { cross_entropy(U, i64({2})); });
  t.add<ValueError>("cross_entropy", "undefined target", "an operand is undefined",
                    [] { cross_entropy(f32({2, 3}), U); });
  t.add<DTypeError>("cross_entropy", "f32 target", "int64 class indices, got float32",
                    [] { cross_entropy(f32({2, 3}), f32({2})); });
  t.add<ShapeError>("cross_entropy", "target batch 3 for 2", "target shape [3] does not match scores shape [2, 3]",
                    [] { cross_entropy(f32({2, 3}), i64({3})); });
  t.add<ShapeError>("cross_entropy", "1-d logits", "got shape [3]", [] { cross_entropy(f32({3}), i64({3})); });
  t.add<IndexError>("cross_entropy", "class 7 of 3", "target class 7 is outside [0, 3)",
                    [] { cross_entropy(f32({2, 3}), full({2}, 7, DType::i64)); });
  t.add<IndexError>("cross_entropy", "class -2", "target class -2 is outside [0, 3)",
                    [] { cross_entropy(f32({2, 3}), full({2}, -2, DType::i64)); });
  t.add<ValueError>("cross_entropy", "label smoothing 1.5", "label_smoothing 1.5 is outside [0, 1]",
                    [] { cross_entropy(f32({2, 3}), i64({2}), Reduction::mean, 1.5); });
  t.add<DTypeError>("cross_entropy", "int64 logits", "floating-point scores, got int64",
                    [] { cross_entropy(i64({2, 3}), i64({2})); });
  t.add<ValueError>("nll_loss", "undefined log_probs", "an operand is undefined", [] { nll_loss(U, i64({2})); });
  t.add<DTypeError>("nll_loss", "f32 target", "int64 class indices, got float32",
                    [] { nll_loss(f32({2, 3}), f32({2})); });
  t.add<ShapeError>("nll_loss", "target batch 3 for 2", "target shape [3] does not match scores shape [2, 3]",
                    [] { nll_loss(f32({2, 3}), i64({3})); });
  t.add<IndexError>("nll_loss", "class 3 of 3", "target class 3 is outside [0, 3)",
                    [] { nll_loss(f32({2, 3}), full({2}, 3, DType::i64)); });
  t.add<ShapeError>("nll_loss", "0-d log_probs", "got shape []", [] { nll_loss(f32({}), i64({})); });
  t.add<ShapeError>("nll_loss", "spatial target shape", "target shape [2, 5] does not match scores shape [2, 3, 4]",
                    [] { nll_loss(f32({2, 3, 4}), i64({2, 5})); });
  using PairLoss = Tensor (*)(const Tensor&, const Tensor&, Reduction);
  const std::vector<std::pair<const char*, PairLoss>> pair_losses = {{"mse_loss", &mse_loss},
                                                                     {"l1_loss", &l1_loss}};
  for (auto [name, fn] : pair_losses) {
    t.add<ValueError>(name, "undefined input", "an operand is undefined", [fn] { fn(U, f32({3}), Reduction::mean); });
    t.add<ValueError>(name, "undefined target", "an operand is undefined", [fn] { fn(f32({3}), U, Reduction::mean); });
    t.add<ShapeError>(name, "shapes [3] and [4]", "input shape [3] and target shape [4] differ",
                      [fn] { fn(f32({3}), f32({4}), Reduction::mean); });
    t.add<DTypeError>(name, "f32 with f64", "input dtype float32 and target dtype float64 differ",
                      [fn] { fn(f32({3}), f64({3}), Reduction::mean); });
    t.add<DTypeError>(name, "int64", "floating-point tensors, got int64",
                      [fn] { fn(i64({3}), i64({3}), Reduction::mean); });
  }
  t.add<ValueError>("smooth_l1_loss", "undefined input", "an operand is undefined",
                    [] { smooth_l1_loss(U, f32({3})); });
  t.add<ShapeError>("smooth_l1_loss", "shapes [3] and [4]", "input shape [3] and target shape [4] differ",
                    [] { smooth_l1_loss(f32({3}), f32({4})); });
  t.add<ValueError>("smooth_l1_loss", "negative beta", "beta must be >= 0, got -1",
                    [] { smooth_l1_loss(f32({3}), f32({3}), Reduction::mean, -1.0); });
  t.add<ValueError>("binary_cross_entropy_with_logits", "undefined logits", "an operand is undefined",
                    [] { binary_cross_entropy_with_logits(U, f32({3})); });
  t.add<ShapeError>("binary_cross_entropy_with_logits", "shapes [3] and [4]",
                    "input shape [3] and target shape [4] differ",
                    [] { binary_cross_entropy_with_logits(f32({3}), f32({4})); });
  t.add<DTypeError>("binary_cross_entropy_with_logits", "i64 target",
                    "input dtype float32 and target dtype int64 differ",
                    [] { binary_cross_entropy_with_logits(f32({3}), i64({3})); });
  t.add<ShapeError>("binary_cross_entropy_with_logits", "pos_weight [4] for [3]",
                    "shapes [4] and [3] cannot be broadcast",
                    [] { binary_cross_entropy_with_logits(f32({3}), f32({3}), Reduction::mean, f32({4})); });

  // ---- indexing ----
  t.add<ValueError>("gather", "undefined x", "input is undefined", [] { gather(U, 0, i64({2})); });
  t.add<ValueError>("gather", "undefined index", "index is undefined", [] { gather(f32({2, 3}), 1, U); });
  t.add<IndexError>("gather", "dim 2 of 2", "dim 2 is out of range", [] { gather(f32({2, 3}), 2, i64({2, 1})); });
  t.add<DTypeError>("gather", "f32 index", "index must be int64, got float32",
                    [] { gather(f32({2, 3}), 1, f32({2, 1})); });
  t.add<ShapeError>("gather", "index rank 1 for rank 2", "index has 1 dims but input has 2",
                    [] { gather(f32({2, 3}), 1, i64({2})); });
  t.add<IndexError>("gather", "index 3 out of 3", "index 3 is out of range for a dim of size 3",
                    [] { gather(f32({2, 3}), 1, full({2, 1}, 3, DType::i64)); });
  t.add<IndexError>("gather", "index -1", "index -1 is out of range for a dim of size 3",
                    [] { gather(f32({2, 3}), 1, full({2, 1}, -1, DType::i64)); });
  t.add<ShapeError>("gather", "index larger than x in a non-gathered dim",
                    "index shape [4, 1] exceeds input shape [2, 3]",
                    [] { gather(f32({2, 3}), 1, i64({4, 1})); });
  t.add<ValueError>("scatter_add", "undefined src", "an operand is undefined",
                    [] { scatter_add(f32({2, 3}), 1, i64({2, 1}), U); });
  t.add<ShapeError>("scatter_add", "src shape [1,1] for index [2,1]", "index shape [2, 1] exceeds src shape [1, 1]",
                    [] { scatter_add(f32({2, 3}), 1, i64({2, 1}), f32({1, 1})); });
  t.add<ShapeError>("scatter_add", "src rank 1 for index rank 2", "src has 1 dims but index has 2",
                    [] { scatter_add(f32({2, 3}), 1, i64({2, 1}), f32({2})); });
  t.add<IndexError>("scatter_add", "index 5 out of 3", "index 5 is out of range for a dim of size 3",
                    [] { scatter_add(f32({2, 3}), 1, full({2, 1}, 5, DType::i64), f32({2, 1})); });
  t.add<DTypeError>("scatter_add", "src f64 for f32", "src (float64 on cpu) must match input (float32 on cpu)",
                    [] { scatter_add(f32({2, 3}), 1, i64({2, 1}), f64({2, 1})); });
  t.add<IndexError>("scatter_add", "dim -3", "dim -3 is out of range",
                    [] { scatter_add(f32({2, 3}), -3, i64({2, 1}), f32({2, 1})); });
  t.add<ValueError>("index_select", "undefined x", "input is undefined", [] { index_select(U, 0, i64({1})); });
  t.add<ShapeError>("index_select", "2-d index", "index must be 1-D, got shape [1, 1]",
                    [] { index_select(f32({2, 3}), 0, i64({1, 1})); });
  t.add<DTypeError>("index_select", "f32 index", "index must be int64, got float32",
                    [] { index_select(f32({2, 3}), 0, f32({1})); });
  t.add<IndexError>("index_select", "index 2 of 2", "index 2 is out of range for a dim of size 2",
                    [] { index_select(f32({2, 3}), 0, full({1}, 2, DType::i64)); });
  t.add<IndexError>("index_select", "dim 2 of 2", "dim 2 is out of range",
                    [] { index_select(f32({2, 3}), 2, i64({1})); });
  // An undefined index is reported as an index that is not int64.
  t.add<ValueError>("one_hot", "undefined index", "index is undefined", [] { one_hot(U, 3); });
  t.add<DTypeError>("one_hot", "f32 index", "index must be int64, got float32", [] { one_hot(f32({3}), 3); });
  t.add<IndexError>("one_hot", "negative index", "class -1 is outside [0, 3)",
                    [] { one_hot(full({2}, -1, DType::i64), 3); });
  t.add<IndexError>("one_hot", "index 3 with 3 classes", "class 3 is outside [0, 3)",
                    [] { one_hot(full({2}, 3, DType::i64), 3); });
  t.add<ValueError>("one_hot", "empty index with inferred classes", "cannot infer num_classes from an empty index",
                    [] { one_hot(i64({0})); });

  // ---- shape_ops ----
  t.add<ValueError>("cat", "no tensors", "expected at least one tensor", [] { cat({}); });
  t.add<ValueError>("cat", "undefined tensor", "tensor 1 is undefined", [] { cat({f32({2}), U}); });
  t.add<ShapeError>("cat", "shapes [2,3] and [2,4] along 0", "tensor 1 has shape [2, 4] but tensor 0 has [2, 3]",
                    [] { cat({f32({2, 3}), f32({2, 4})}, 0); });
  t.add<DTypeError>("cat", "f32 with f64", "tensor 1 is float64 on cpu but tensor 0 is float32 on cpu",
                    [] { cat({f32({2}), f64({2})}); });
  t.add<ShapeError>("cat", "ranks 1 and 2", "tensor 1 has shape [2, 2] but tensor 0 has [2]",
                    [] { cat({f32({2}), f32({2, 2})}); });
  t.add<IndexError>("cat", "dim 2 of 2", "dim 2 is out of range", [] { cat({f32({2, 3}), f32({2, 3})}, 2); });
  t.add<ShapeError>("cat", "0-d tensors", "tensors must have at least 1 dim", [] { cat({f32({}), f32({})}); });
  t.add<ValueError>("stack", "no tensors", "expected at least one tensor", [] { stack({}); });
  t.add<ShapeError>("stack", "shapes [2] and [3]", "tensor 1 has shape [3] but tensor 0 has [2]",
                    [] { stack({f32({2}), f32({3})}); });
  // stack wraps the dim for rank + 1.
  t.add<IndexError>("stack", "dim 3 for rank 1", "dim 3 is out of range for a tensor with 2 dims",
                    [] { stack({f32({2}), f32({2})}, 3); });
  t.add<ValueError>("stack", "undefined tensor", "tensor 0 is undefined", [] { stack({U, f32({2})}); });
  t.add<ValueError>("split", "undefined input", "input is undefined", [] { split(U, 1); });
  t.add<ValueError>("split", "split_size 0", "split_size must be positive, got 0", [] { split(f32({4}), 0); });
  t.add<ValueError>("split", "negative split_size", "split_size must be positive, got -1", [] { split(f32({4}), -1); });
  t.add<IndexError>("split", "dim 1 of 1", "dim 1 is out of range for a tensor with 1 dims",
                    [] { split(f32({4}), 2, 1); });
  t.add<ShapeError>("split", "sizes summing to 3 of 4", "sizes add up to 3 but dim 0 has size 4",
                    [] { split(f32({4}), std::vector<int64_t>{1, 2}); });
  t.add<ValueError>("split", "negative size", "negative size -1", [] { split(f32({4}), std::vector<int64_t>{5, -1}); });
  t.add<ValueError>("pad", "undefined input", "input is undefined", [] { pad(U, {1, 1}); });
  t.add<ShapeError>("pad", "odd pads length", "(2 dims), got 1", [] { pad(f32({2, 3}), {1}); });
  t.add<ShapeError>("pad", "more pairs than dims", "(1 dims), got 4", [] { pad(f32({3}), {1, 1, 1, 1}); });
  t.add<ShapeError>("pad", "crop more than the size", "pads -2 on dim 0 of size 3 give a negative size",
                    [] { pad(f32({3}), {-2, -2}); });

  // ---- conv ----
  const Tensor x4 = f32({1, 3, 8, 8}), w4 = f32({4, 3, 3, 3});
  t.add<ValueError>("conv2d", "undefined input", "input or weight is undefined", [w4] { conv2d(U, w4); });
  t.add<ValueError>("conv2d", "undefined weight", "input or weight is undefined", [x4] { conv2d(x4, U); });
  t.add<ShapeError>("conv2d", "3-d input", "got shape [3, 8, 8]", [w4] { conv2d(f32({3, 8, 8}), w4); });
  t.add<ShapeError>("conv2d", "3-d weight", "got shape [4, 3, 3]", [x4] { conv2d(x4, f32({4, 3, 3})); });
  t.add<ShapeError>("conv2d", "2 channels for weight of 3", "input has 2 channels but weight expects 3",
                    [w4] { conv2d(f32({1, 2, 8, 8}), w4); });
  t.add<ShapeError>("conv2d", "bias [3] for 4 outputs", "bias has shape [3] but weight has 4 outputs",
                    [x4, w4] { conv2d(x4, w4, f32({3})); });
  t.add<DTypeError>("conv2d", "f64 weight with f32 input", "input (float32) and weight (float64)",
                    [x4] { conv2d(x4, f64({4, 3, 3, 3})); });
  t.add<DTypeError>("conv2d", "int64 tensors", "input (int64) and weight (int64)",
                    [] { conv2d(i64({1, 3, 8, 8}), i64({4, 3, 3, 3})); });
  t.add<ValueError>("conv2d", "stride 0", "stride [0, 1]", [x4, w4] { conv2d(x4, w4, U, {.stride = {0, 1}}); });
  t.add<ValueError>("conv2d", "negative padding", "padding [-1, 0] non-negative",
                    [x4, w4] { conv2d(x4, w4, U, {.padding = {-1, 0}}); });
  t.add<ValueError>("conv2d", "dilation 0", "dilation [1, 0]", [x4, w4] { conv2d(x4, w4, U, {.dilation = {1, 0}}); });
  t.add<ValueError>("conv2d", "groups 0", "not divisible by groups=0", [x4, w4] { conv2d(x4, w4, U, {.groups = 0}); });
  t.add<ShapeError>("conv2d", "groups 2 with 3 channels", "input has 3 channels but weight expects 2",
                    [x4] { conv2d(x4, f32({4, 1, 3, 3}), U, {.groups = 2}); });
  t.add<ShapeError>("conv2d", "kernel 9 on input 8", "too small for kernel 9x9",
                    [x4] { conv2d(x4, f32({4, 3, 9, 9})); });
  // Passes conv2d's own checks; the CPU kernel's oneDNN refuses the empty weight, and its
  // error comes back as a plain ember::Error.
  t.add<Error>("conv2d", "empty batch dim in weight", "oneDNN failed", [x4] { conv2d(x4, f32({0, 3, 3, 3})); });

  // ---- pool ----
  using PoolFn = Tensor (*)(const Tensor&, const Pool2dOptions&);
  const std::vector<std::pair<const char*, PoolFn>> pools = {{"max_pool2d", &max_pool2d},
                                                             {"avg_pool2d", &avg_pool2d}};
  for (auto [name, fn] : pools) {
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U, {}); });
    t.add<ShapeError>(name, "2-d input", "got shape [8, 8]", [fn] { fn(f32({8, 8}), {}); });
    t.add<ValueError>(name, "kernel 0", "kernel [0, 2]", [fn] { fn(f32({1, 1, 8, 8}), {.kernel = {0, 2}}); });
    t.add<ValueError>(name, "negative stride", "stride [-1, 1]", [fn] { fn(f32({1, 1, 8, 8}), {.stride = {-1, 1}}); });
    t.add<ValueError>(name, "padding 2 for kernel 2", "padding [2, 0] must be at most half the kernel size [2, 2]",
                      [fn] { fn(f32({1, 1, 8, 8}), {.padding = {2, 0}}); });
    t.add<ValueError>(name, "negative padding", "padding [-1, 0] non-negative",
                      [fn] { fn(f32({1, 1, 8, 8}), {.padding = {-1, 0}}); });
    t.add<ShapeError>(name, "kernel 9 on input 8", "too small for kernel [9, 9]",
                      [fn] { fn(f32({1, 1, 8, 8}), {.kernel = {9, 9}}); });
    t.add<DTypeError>(name, "int64 input", "got int64", [fn] { fn(i64({1, 1, 8, 8}), {}); });
  }
  t.add<ValueError>("adaptive_avg_pool2d", "undefined input", "input is undefined",
                    [] { adaptive_avg_pool2d(U, {1, 1}); });
  t.add<ValueError>("adaptive_avg_pool2d", "output size 0", "output size [0, 1] must be positive",
                    [] { adaptive_avg_pool2d(f32({1, 1, 8, 8}), {0, 1}); });
  t.add<ValueError>("adaptive_avg_pool2d", "negative output size", "output size [-1, 1] must be positive",
                    [] { adaptive_avg_pool2d(f32({1, 1, 8, 8}), {-1, 1}); });
  t.add<ShapeError>("adaptive_avg_pool2d", "2-d input", "got shape [8, 8]",
                    [] { adaptive_avg_pool2d(f32({8, 8}), {1, 1}); });
  t.add<DTypeError>("adaptive_avg_pool2d", "int64 input", "got int64",
                    [] { adaptive_avg_pool2d(i64({1, 1, 8, 8}), {1, 1}); });

  // ---- batch_norm ----
  const Tensor xb = f32({4, 3, 2, 2}), c3 = ones({3}), c2 = ones({2});
  t.add<ValueError>("batch_norm", "undefined input", "input is undefined",
                    [c3] { batch_norm(U, c3, c3, c3, c3, true); });
  t.add<ShapeError>("batch_norm", "1-d input", "got shape [3]", [c3] { batch_norm(f32({3}), c3, c3, c3, c3, true); });
  t.add<ShapeError>("batch_norm", "weight [2] for 3 channels", "weight has shape [2] but the input has 3 channels",
                    [xb, c2, c3] { batch_norm(xb, c2, c3, U, U, true); });
  t.add<ShapeError>("batch_norm", "bias [2] for 3 channels", "bias has shape [2] but the input has 3 channels",
                    [xb, c2, c3] { batch_norm(xb, c3, c2, U, U, true); });
  t.add<ShapeError>("batch_norm", "running_mean [2]", "running_mean has shape [2] but the input has 3 channels",
                    [xb, c2, c3] { batch_norm(xb, c3, c3, c2, c3, true); });
  t.add<ShapeError>("batch_norm", "running_var [2] in eval", "running_var has shape [2] but the input has 3 channels",
                    [xb, c2, c3] { batch_norm(xb, c3, c3, c3, c2, false); });
  t.add<ValueError>("batch_norm", "eval without running stats", "eval mode needs running_mean/running_var",
                    [xb, c3] { batch_norm(xb, c3, c3, U, U, false); });
  t.add<DTypeError>("batch_norm", "f64 weight with f32 input", "weight has dtype float64 but the input has float32",
                    [xb, c3] { batch_norm(xb, ones({3}, DType::f64), c3, U, U, true); });
  t.add<DTypeError>("batch_norm", "int64 input", "floating-point input, got int64",
                    [c3] { batch_norm(i64({4, 3}), c3, c3, U, U, true); });
  t.add<ValueError>("batch_norm", "one value per channel in training",
                    "more than one value per channel, got input shape [1, 3]",
                    [c3] { batch_norm(f32({1, 3}), c3, c3, U, U, true); });
  t.add<ValueError>("batch_norm", "negative eps", "eps must be positive, got -1",
                    [xb, c3] { batch_norm(xb, c3, c3, U, U, true, 0.1, -1.0); });

  // ---- factory ----
  // The factories allocate through make_tensor, whose message is empty()'s.
  t.add<ShapeError>("empty", "negative dim", "negative dimension in shape [2, -1]", [] { empty({2, -1}); });
  t.add<ShapeError>("zeros", "negative dim", "negative dimension in shape [-3]", [] { zeros({-3}); }, "empty");
  t.add<ShapeError>("ones", "negative dim", "negative dimension in shape [-3]", [] { ones({-3}); }, "empty");
  t.add<ShapeError>("full", "negative dim", "negative dimension in shape [-3]", [] { full({-3}, 1.0); }, "empty");
  t.add<ValueError>("arange", "step 0", "step=0", [] { arange(0, 5, 0); });
  t.add<ValueError>("arange", "step against the range", "step -1 has the wrong sign", [] { arange(0, 5, -1); });
  t.add<ValueError>("arange", "NaN bound", "end=nan", [] { arange(0, std::nan(""), 1); });
  t.add<ValueError>("arange", "negative end", "end=-1", [] { arange(int64_t{-1}); });
  t.add<ValueError>("linspace", "negative steps", "steps must be >= 0, got -1", [] { linspace(0, 1, -1); });
  t.add<ValueError>("eye", "negative n", "n must be >= 0, got -2", [] { eye(-2); });
  t.add<ValueError>("eye", "negative m", "m must be >= 0 (or -1 for m = n), got -5", [] { eye(2, -5); });
  t.add<DTypeError>("rand", "int64 dtype", "got int64", [] { rand({2}, DType::i64); });
  t.add<DTypeError>("randn", "int64 dtype", "got int64", [] { randn({2}, DType::i64); });
  t.add<ShapeError>("randn", "negative dim", "negative dimension in shape [-2]", [] { randn({-2}); }, "empty");
  t.add<ValueError>("randint", "low >= high", "empty range [5, 5)", [] { randint(5, 5, {2}); });
  t.add<ValueError>("randint", "high < low", "empty range [5, 2)", [] { randint(5, 2, {2}); });
  t.add<ValueError>("randperm", "negative n", "n must be >= 0, got -1", [] { randperm(-1); });
  t.add<ValueError>("randperm", "n too large for uint8", "n = 300 does not fit dtype uint8",
                    [] { randperm(300, DType::u8); });
  t.add<DTypeError>("randperm", "bool dtype", "dtype must be numeric, got bool", [] { randperm(3, DType::boolean); });
  for (auto [name, fn] : std::vector<std::pair<const char*, Tensor (*)(const Tensor&)>>{
           {"isnan", &isnan}, {"isinf", &isinf}, {"isfinite", &isfinite}}) {
    t.add<ValueError>(name, "undefined input", "input is undefined", [fn] { fn(U); });
  }
  t.add<ValueError>("argmax", "undefined input (all elements)", "input is undefined",
                    [] { argmax(U); });
  t.add<ValueError>("set_num_threads", "0 threads", "need at least 1 thread, got 0", [] { set_num_threads(0); });
  t.add<DTypeError>("argsort", "bool input", "not defined for bool tensors (shape [3])",
                    [] { argsort(boolean({3})); });
  t.add<ValueError>("argsort", "undefined input", "input is undefined", [] { argsort(U); });
  t.add<IndexError>("argsort", "dim 2 of a 2-d tensor", "2", [] { argsort(f32({2, 3}), 2); });
  t.add<ValueError>("topk", "k too large", "k = 4 is outside [0, 3]", [] { topk(f32({2, 3}), 4); });
  t.add<ValueError>("topk", "negative k", "k = -1 is outside [0, 3]", [] { topk(f32({2, 3}), -1); });
  t.add<ShapeError>("topk", "0-d input", "got a 0-d tensor", [] { topk(f32({}), 1); });
  t.add<ValueError>("nonzero", "undefined input", "input is undefined", [] { nonzero(U); });
  t.add<DTypeError>("masked_select", "float mask", "mask must be a bool tensor, got float32",
                    [] { masked_select(f32({3}), f32({3})); });
  t.add<ValueError>("masked_select", "undefined mask", "mask is undefined", [] { masked_select(f32({3}), U); });
  t.add<ShapeError>("masked_select", "mask [4] for [2, 3]", "[2, 3]", [] { masked_select(f32({2, 3}), boolean({4})); });
  t.add<ShapeError>("index", "mask [3] over [2, 3]", "a mask of shape [3] does not match the leading dims of shape [2, 3]",
                    [] { index(f32({2, 3}), boolean({3})); });
  t.add<ValueError>("bernoulli", "p 1.5", "probability 1.5 is outside [0, 1]", [] { bernoulli({2}, 1.5); });
  t.add<ValueError>("bernoulli", "p -0.1", "probability -0.1 is outside [0, 1]", [] { bernoulli({2}, -0.1); });
  t.add<ValueError>("bernoulli", "undefined p tensor", "probabilities are undefined", [] { bernoulli(U); });
  t.add<DTypeError>("bernoulli", "int64 p tensor", "got int64", [] { bernoulli(i64({2})); });
  t.add<ValueError>("empty_like", "undefined", "input is undefined", [] { empty_like(U); });
  t.add<ValueError>("zeros_like", "undefined", "input is undefined", [] { zeros_like(U); });
  t.add<ValueError>("ones_like", "undefined", "input is undefined", [] { ones_like(U); });
  t.add<ValueError>("full_like", "undefined", "input is undefined", [] { full_like(U, 1.0); });
  t.add<ShapeError>("from_vector", "3 values for [2,2]", "3 values for shape [2, 2]",
                    [] { from_vector<float>({1, 2, 3}, {2, 2}); });
  t.add<ShapeError>("from_vector", "negative dim", "0 values for shape [-1]", [] { from_vector<float>({}, {-1}); });
  // Thin wrappers of from_vector, named by it.
  t.add<ShapeError>("from_vector_bool", "3 values for [2]", "3 values for shape [2]",
                    [] { from_vector_bool({true, false, true}, {2}); }, "from_vector");
  t.add<ShapeError>("tensor", "3 values for [2,2]", "3 values for shape [2, 2]",
                    [] { tensor({1.0, 2.0, 3.0}, {2, 2}); }, "from_vector");

  // ---- copy ----
  t.add<ValueError>("to_device", "undefined", "input is undefined", [] { to_device(U, Device::cpu()); });
  if (!cuda_available()) {
    // Refused by the allocator: a build with the CUDA backend has no device 0, one without
    // it has no CUDA allocator at all.
    const std::string no_gpu = cuda_compiled() ? "cuda:0 does not exist" : "has no cuda backend";
    t.add<DeviceError>("to_device", "CUDA without a GPU", no_gpu, [] { to_device(f32({2}), Device::cuda(0)); }, "cuda");
    t.add<DeviceError>("zeros", "CUDA without a GPU", no_gpu, [] { zeros({2}, DType::f32, Device::cuda(0)); }, "cuda");
  } else {
    t.add<DeviceError>("to_device", "CUDA device index 99", "cuda:99 does not exist",
                       [] { to_device(f32({2}), Device::cuda(99)); }, "cuda");
  }
  t.add<ValueError>("to_dtype", "undefined", "input is undefined", [] { to_dtype(U, DType::f64); });
  t.add<ValueError>("contiguous", "undefined", "input is undefined", [] { ember::contiguous(U); });
  t.add<ValueError>("clone", "undefined", "input is undefined", [] { ember::clone(U); });

  // ---- dropout ----
  t.add<ValueError>("dropout", "undefined input", "input is undefined", [] { dropout(U, 0.5, true); });
  t.add<ValueError>("dropout", "p 1.5", "probability 1.5 is outside [0, 1]", [] { dropout(f32({4}), 1.5, true); });
  t.add<ValueError>("dropout", "p -0.5", "probability -0.5 is outside [0, 1]", [] { dropout(f32({4}), -0.5, true); });
  t.add<DTypeError>("dropout", "int64 input", "got int64", [] { dropout(i64({4}), 0.5, true); });

  // ---- views and methods on Tensor ----
  const Tensor m = f32({2, 3});
  t.add<ShapeError>("view", "6 elements into [4,-1]", "cannot reshape [2, 3] (6 elements) into [4, -1]",
                    [m] { m.view({4, -1}); });
  t.add<ShapeError>("view", "non-contiguous input", "shape [3, 2] and strides [1, 3]", [m] { m.t().view({6}); });
  t.add<ShapeError>("reshape", "6 elements into [4]", "cannot reshape [2, 3] (6 elements) into [4]",
                    [m] { m.reshape({4}); });
  t.add<ShapeError>("reshape", "two -1", "only one dimension can be -1 in [-1, -1]", [m] { m.reshape({-1, -1}); });
  t.add<ShapeError>("reshape", "size -2", "invalid size -2 in [-2, 3]", [m] { m.reshape({-2, 3}); });
  t.add<IndexError>("flatten", "start_dim after end_dim", "start_dim 1 > end_dim 0", [m] { m.flatten(1, 0); });
  t.add<IndexError>("flatten", "dim out of range", "dim 5 is out of range", [m] { m.flatten(0, 5); });
  t.add<ShapeError>("permute", "2 dims for rank 3", "2 dims given for a tensor with 3 dims",
                    [] { f32({2, 3, 4}).permute({0, 1}); });
  t.add<ShapeError>("permute", "repeated dim", "dim 0 repeated in [0, 0]", [m] { m.permute({0, 0}); });
  t.add<IndexError>("permute", "dim 5", "dim 5 is out of range", [m] { m.permute({0, 5}); });
  t.add<IndexError>("transpose", "dim 2 of 2", "dim 2 is out of range", [m] { m.transpose(0, 2); });
  t.add<IndexError>("narrow", "past the end", "range [2, 4) is outside dim 1 of size 3", [m] { m.narrow(1, 2, 2); });
  t.add<IndexError>("narrow", "negative length", "range [0, -1) is outside dim 1 of size 3",
                    [m] { m.narrow(1, 0, -1); });
  t.add<ValueError>("slice", "step 0", "step must be positive, got 0", [m] { m.slice(1, 0, 2, 0); });
  t.add<IndexError>("slice", "dim 2 of 2", "dim 2 is out of range", [m] { m.slice(2, 0, 1); });
  t.add<IndexError>("select", "index 2 of 2", "index 2 is out of range for dim 0 of size 2", [m] { m.select(0, 2); });
  t.add<IndexError>("select", "dim -3", "dim -3 is out of range", [m] { m.select(-3, 0); });
  t.add<IndexError>("select", "0-d tensor", "cannot select from a 0-d tensor", [] { f32({}).select(0, 0); });
  t.add<IndexError>("narrow", "0-d tensor", "cannot narrow a 0-d tensor", [] { f32({}).narrow(0, 0, 1); });
  t.add<IndexError>("slice", "0-d tensor", "cannot slice a 0-d tensor", [] { f32({}).slice(0, 0, 1); });
  t.add<IndexError>("size", "dim 0 of a 0-d tensor", "a 0-d tensor has no dim 0", [] { (void)f32({}).size(0); });
  t.add<IndexError>("stride", "dim -1 of a 0-d tensor", "a 0-d tensor has no dim -1", [] { (void)f32({}).stride(-1); });
  t.add<ShapeError>("pad", "0-d tensor", "(0 dims), got 2", [] { pad(f32({}), {1, 1}); });
  t.add<ShapeError>("expand", "[2,3] to [2,4]", "cannot expand shape [2, 3] to [2, 4]", [m] { m.expand({2, 4}); });
  t.add<ShapeError>("expand", "to fewer dims", "target [3] has fewer dims than the tensor's shape [2, 3]",
                    [m] { m.expand({3}); });
  t.add<IndexError>("squeeze", "dim 2 of 2", "dim 2 is out of range", [m] { m.squeeze(2); });
  t.add<IndexError>("unsqueeze", "dim 4 of 2", "dim 4 is out of range for a tensor with 3 dims",
                    [m] { m.unsqueeze(4); });
  t.add<IndexError>("size", "dim 2 of 2", "dim 2 is out of range", [m] { (void)m.size(2); });
  t.add<IndexError>("stride", "dim -3 of 2", "dim -3 is out of range", [m] { (void)m.stride(-3); });
  t.add<ValueError>("item", "6 elements", "tensor with 6 elements (shape [2, 3]) is not a scalar",
                    [m] { (void)m.item<float>(); });
  t.add<IndexError>("at", "index 2 in dim 0 of size 2", "index 2 out of range for dim 0 of size 2",
                    [m] { (void)m.at<float>({2, 0}); });
  t.add<IndexError>("at", "1 index for rank 2", "1 indices given for a tensor with 2 dims",
                    [m] { (void)m.at<float>({0}); });
  t.add<DTypeError>("data", "float* of an int64 tensor", "data<float32>(): tensor has dtype int64",
                    [] { (void)i64({2}).data<float>(); });
  t.add<ValueError>("copy_", "undefined source", "source tensor is undefined", [m] { Tensor(m).copy_(U); });
  // Refused by the broadcast itself, which names the in-place op.
  t.add<ShapeError>("copy_", "shape [4] into [2,3]", "shapes [2, 3] and [4] cannot be broadcast",
                    [] { f32({2, 3}).copy_(f32({4})); });
  t.add<ShapeError>("add_", "shape [4] into [2,3]", "shapes [2, 3] and [4] cannot be broadcast",
                    [] { f32({2, 3}).add_(f32({4})); });
  t.add<ShapeError>("add_", "broadcast into a smaller tensor",
                    "an operand of shape [2, 3] cannot be broadcast into the in-place result of shape [3]",
                    [] { f32({3}).add_(f32({2, 3})); });
  t.add<DTypeError>("add_", "f64 into f32", "float32 with shape [3] and float64 with shape [3]",
                    [] { f32({3}).add_(f64({3})); });
  t.add<ShapeError>("mul_", "shape [4] into [3]", "shapes [3] and [4] cannot be broadcast",
                    [] { f32({3}).mul_(f32({4})); });
  t.add<DTypeError>("requires_grad", "on an int64 tensor", "(dtype int64)", [] { i64({3}).requires_grad_(); });
  t.add<AutogradError>("backward", "non-scalar without a gradient", "non-scalar output (shape [3])",
                       [] { (f32({3}).requires_grad_() * 2.0).backward(); });
  t.add<AutogradError>("backward", "tensor without grad_fn", "does not require grad and has no grad_fn",
                       [] { f32({}).backward(); });
  t.add<ShapeError>("backward", "gradient shape [2] for [3]", "gradient shape [2] does not match output shape [3]",
                    [] { (f32({3}).requires_grad_() * 2.0).backward(f32({2})); });
  t.add<ShapeError>("set_grad", "shape [2] for [3]", "gradient shape [2] != tensor shape [3]",
                    [] { f32({3}).set_grad(f32({2})); });
  for (const char* what : {"reshape", "permute", "transpose", "sum", "item"}) {
    std::string w = what;
    // Tensor's accessors refuse an undefined tensor before the method runs; sum checks its input itself.
    const std::string value = w == "sum" ? "sum: input is undefined" : "operation on an undefined tensor";
    t.add<ValueError>(w, "method on an undefined tensor", value, [w] {
      Tensor u;
      if (w == "reshape") u.reshape({1});
      if (w == "permute") u.permute({0});
      if (w == "transpose") u.transpose(0, 1);
      if (w == "sum") u.sum();
      if (w == "item") (void)u.item<float>();
    }, "undefined");
  }

  // ---- mismatched devices (only with a GPU) ----
  if (cuda_available()) {
    auto g = [] { return randn({2, 3}, DType::f32, Device::cuda(0)); };
    t.add<DeviceError>("add", "cpu with cuda", "different devices (cpu and cuda:0)",
                       [g] { ember::add(f32({2, 3}), g()); });
    t.add<DeviceError>("matmul", "cpu with cuda", "different devices (cpu and cuda:0)",
                       [g] { matmul(f32({3, 2}), g()); });
    t.add<DeviceError>("linear", "cuda weight with cpu x", "different devices (cpu and cuda:0)",
                       [g] { linear(f32({4, 3}), g()); });
    // cat reports a device mismatch together with the dtypes, as a DTypeError.
    t.add<DeviceError>("cat", "cpu with cuda", "tensor 1 is float32 on cuda:0 but tensor 0 is float32 on cpu",
                      [g] { cat({f32({2, 3}), g()}); });
    t.add<DeviceError>("where", "cuda cond with cpu values", "condition on cuda:0 but values on cpu", [] {
      where(zeros({3}, DType::boolean, Device::cuda(0)), f32({3}), f32({3}));
    });
    t.add<DeviceError>("cross_entropy", "cuda logits with cpu target", "scores on cuda:0 but target on cpu",
                       [g] { cross_entropy(g(), i64({2})); });
    t.add<DeviceError>("gather", "cpu index for cuda x", "index on cpu but input on cuda:0",
                       [g] { gather(g(), 1, i64({2, 1})); });
    t.add<DeviceError>("conv2d", "cuda weight with cpu input", "input on cpu but weight on cuda:0", [] {
      conv2d(f32({1, 3, 8, 8}), randn({4, 3, 3, 3}, DType::f32, Device::cuda(0)));
    });
    t.add<DeviceError>("batch_norm", "cpu weight with cuda input", "weight is on cpu but the input is on cuda:0", [] {
      batch_norm(randn({4, 3}, DType::f32, Device::cuda(0)), ones({3}), ones({3}), U, U, true);
    });
    t.add<ShapeError>("copy_", "cuda into cpu with shape mismatch", "shapes [4] and [2, 3] cannot be broadcast",
                      [g] { f32({4}).copy_(g()); });
  }
  return t.take();
}

}  // namespace

TEST(BadArguments, EveryOpThrowsAnEmberErrorNamingTheOp) {
  const std::vector<Case> cases = make_cases();
  int passed = 0;
  for (const Case& k : cases) {
    std::string outcome;
    try {
      k.fn();
      outcome = "no exception";
    } catch (const Error& e) {
      const std::string msg = e.what();
      if (!k.is_type(e))
        outcome = "threw " + type_of(e) + ", expected " + k.type + ": " + msg;
      else if (msg.find(k.op) == std::string::npos)
        outcome = "message does not name '" + k.op + "': " + msg;
      else if (msg.find(k.value) == std::string::npos)
        outcome = "message does not name the offending value '" + k.value + "': " + msg;
    } catch (const std::exception& e) {
      outcome = std::string("non-ember exception ") + typeid(e).name() + ": " + e.what();
    } catch (...) {
      outcome = "non-std exception";
    }
    if (outcome.empty())
      ++passed;
    else
      ADD_FAILURE() << k.name << ": " << outcome;
  }
  std::printf("[ bad-arguments ] %d of %zu cases threw their error type naming the op and the value\n", passed,
              cases.size());
  RecordProperty("cases", static_cast<int>(cases.size()));
  EXPECT_GE(cases.size(), 300u);  // keep the table from shrinking unnoticed
}

// Dim 0 / -1 of a 0-d tensor is accepted by the reductions (as in PyTorch): each of these may
// succeed or throw ember::Error, but never read outside the (empty) shape. Under the
// sanitizer build an out-of-bounds read here fails the test.
TEST(BadArguments, ZeroDimTensorsWithDimArguments) {
  const Tensor s = f32({});
  const std::vector<std::pair<const char*, std::function<void()>>> calls = {
      {"sum", [&] { sum(s, {0}); }},
      {"mean", [&] { mean(s, {-1}, true); }},
      {"var", [&] { var(s, {0}, 0); }},
      {"amax", [&] { amax(s, {0}); }},
      {"max", [&] { ember::max(s, 0); }},
      {"argmax", [&] { argmax(s, -1); }},
      {"softmax", [&] { softmax(s, 0); }},
      {"log_softmax", [&] { log_softmax(s, -1); }},
      {"split", [&] { split(s, 1, 0); }},
      {"index_select", [&] { index_select(s, 0, i64({1})); }},
      {"gather", [&] { gather(s, 0, i64({})); }},
      {"scatter_add", [&] { scatter_add(s, 0, i64({}), f32({})); }},
      {"cat", [&] { cat({s, s}, 0); }},
      {"stack", [&] { stack({s, s}, 0); }},
      {"squeeze", [&] { s.squeeze(0); }},
      {"unsqueeze", [&] { s.unsqueeze(0); }},
      {"flatten", [&] { s.flatten(0, -1); }},
      {"transpose", [&] { s.transpose(0, -1); }},
      {"one_hot", [&] { one_hot(i64({}), 3); }},
      {"cross_entropy", [&] { cross_entropy(s, i64({})); }},
  };
  for (const auto& [name, fn] : calls) {
    try {
      fn();
    } catch (const Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": non-ember exception " << e.what();
    }
  }
}
