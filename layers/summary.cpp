// Module::summary() and Module::repr(): the two human-readable views of a model.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/factory.h"
#include "ember/layers/module.h"
#include "ember/layers/summary_recorder.h"

namespace ember::nn {
namespace detail {

namespace {
thread_local SummaryRecorder* g_current = nullptr;
}

SummaryRecorder::SummaryRecorder(const Module& root) : previous_(g_current) { g_current = this; }
SummaryRecorder::~SummaryRecorder() { g_current = previous_; }
SummaryRecorder* SummaryRecorder::current() { return g_current; }

size_t SummaryRecorder::enter(const Module& m) {
  rows_.push_back({&m, depth_, {}});
  ++depth_;
  return rows_.size() - 1;
}

void SummaryRecorder::leave(size_t row, const std::vector<Tensor>& outputs) {
  --depth_;
  for (const Tensor& y : outputs) rows_[row].output_shapes.push_back(y.defined() ? y.shape() : Shape{});
}

}  // namespace detail

namespace {

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// Restores every module's train/eval flag when the summary is done (or throws).
class ModeRestorer {
 public:
  explicit ModeRestorer(Module& root) {
    for (auto& [name, m] : root.named_modules()) modes_.emplace_back(m, m->is_training());
  }
  ~ModeRestorer() {
    // train(bool) recurses, so restore parents first and children after. Destructors must
    // not throw; the modes are flags, set without allocation failing in practice.
    try {
      for (auto& [m, on] : modes_) m->train(on);
    } catch (...) {
    }
  }

 private:
  std::vector<std::pair<Module*, bool>> modes_;
};

}  // namespace

std::string Module::summary(const Shape& input_shape, DType dtype) {
  return summary(std::vector<Shape>{input_shape}, dtype);
}

namespace {
std::string shapes_str(const std::vector<Shape>& shapes) {
  std::string out;
  for (size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shape_str(shapes[i]);
  return out;
}
}  // namespace

std::string Module::summary(const std::vector<Shape>& input_shapes, DType dtype) {
  Device device = Device::cpu();
  auto params = parameters();
  if (!params.empty()) device = params.front().device();

  std::vector<detail::SummaryRecorder::Row> rows;
  std::vector<Shape> out_shapes;
  {
    ModeRestorer restore(*this);
    eval();
    NoGradGuard ng;
    detail::SummaryRecorder rec(*this);
    std::vector<Tensor> xs;
    for (const Shape& s : input_shapes) xs.push_back(zeros(s, dtype, device));
    // The list call: it runs forward(Tensor) of a one-in, one-out module too.
    const std::vector<Tensor> ys = (*this)(xs);
    for (const Tensor& y : ys) out_shapes.push_back(y.shape());
    rows = rec.rows();
  }

  std::unordered_map<const Module*, std::string> names;
  for (auto& [name, m] : named_modules()) names.emplace(m, name);

  struct Line {
    std::string layer, shape, params;
  };
  std::vector<Line> lines;
  for (const auto& r : rows) {
    auto it = names.find(r.module);
    std::string name = it == names.end() ? std::string("?") : it->second;
    std::string layer = std::string(2 * static_cast<size_t>(r.depth), ' ') +
                        (name.empty() ? r.module->type_name() : fmt::format("{} ({})", name, r.module->type_name()));
    int64_t n = r.module->num_parameters();
    lines.push_back({layer, shapes_str(r.output_shapes), n == 0 ? std::string("-") : with_commas(n)});
  }
  size_t w0 = 13, w1 = 12, w2 = 7;
  for (const auto& l : lines) {
    w0 = std::max(w0, l.layer.size());
    w1 = std::max(w1, l.shape.size());
    w2 = std::max(w2, l.params.size());
  }
  const std::string rule(w0 + w1 + w2 + 4, '=');
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>{}}\n{}\n", "Layer (type)", w0, "Output Shape", w1, "Param #", w2, rule);
  for (const auto& l : lines) out += fmt::format("{:<{}}  {:<{}}  {:>{}}\n", l.layer, w0, l.shape, w1, l.params, w2);
  const int64_t total = num_parameters(), trainable = num_parameters(true);
  out += fmt::format("{}\nInput shape: {}\nOutput shape: {}\nTotal params: {}\nTrainable params: {}\nNon-trainable params: {}\n",
                     rule, shapes_str(input_shapes), shapes_str(out_shapes), with_commas(total), with_commas(trainable),
                     with_commas(total - trainable));
  return out;
}

std::string Module::repr() const {
  std::string extra = extra_repr();
  const auto children = live_children();
  if (children.empty()) return fmt::format("{}({})", type_name_, extra);
  std::string out = type_name_ + "(\n";
  if (!extra.empty()) out += "  " + extra + "\n";
  for (const auto& [name, child] : children) {
    std::string sub = child->repr();
    // Indent the child's continuation lines under its "(name): " line.
    std::string indented;
    for (char c : sub) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    out += fmt::format("  ({}): {}\n", name, indented);
  }
  return out + ")";
}

}  // namespace ember::nn
