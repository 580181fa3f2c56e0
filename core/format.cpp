#include "ember/core/format.h"

#include <cmath>
#include <vector>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/autograd/node.h"

namespace ember {
namespace {

constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;

struct Printer {
  const std::vector<double>& values;
  const Shape& shape;
  Strides strides;  // of the contiguous value array
  bool summarize;
  DType dtype;
  std::string fmt_spec;  // "int", "fixed", "sci", "whole"
  size_t width = 0;

  std::string one(double v) const {
    if (dtype == DType::boolean) return v != 0 ? "True" : "False";
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (fmt_spec == "int") return fmt::format("{}", static_cast<int64_t>(v));
    if (fmt_spec == "whole") return fmt::format("{:.0f}.", v);
    if (fmt_spec == "sci") return fmt::format("{:.4e}", v);
    return fmt::format("{:.4f}", v);
  }

  std::vector<int64_t> shown(int64_t n) const {
    std::vector<int64_t> idx;
    if (summarize && n > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);  // "..."
      for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect_width(size_t d, int64_t off) {
    if (d == shape.size()) {
      width = std::max(width, one(values[off]).size());
      return;
    }
    for (int64_t i : shown(shape[d]))
      if (i >= 0) collect_width(d + 1, off + i * strides[d]);
  }

  std::string pad(std::string s) const { return std::string(width > s.size() ? width - s.size() : 0, ' ') + s; }

  std::string render(size_t d, int64_t off, size_t indent) const {
    if (d == shape.size()) return pad(one(values[off]));
    std::string out = "[";
    auto idx = shown(shape[d]);
    const bool last = d + 1 == shape.size();
    for (size_t k = 0; k < idx.size(); ++k) {
      if (k > 0) {
        out += ",";
        if (last) {
          out += " ";
        } else {
          out += std::string(shape.size() - d - 1, '\n');
          out += std::string(indent + 1, ' ');
        }
      }
      out += idx[k] < 0 ? "..." : render(d + 1, off + idx[k] * strides[d], indent + 1);
    }
    return out + "]";
  }
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  NoGradGuard ng;
  std::vector<double> values = t.to_vector<double>();
  const Shape& shape = t.shape();
  Printer p{values, shape, contiguous_strides(shape), t.numel() > kThreshold, t.dtype(), "fixed"};
  if (is_integral(t.dtype(), true)) {
    p.fmt_spec = "int";
  } else {
    bool whole = true;
    double max_abs = 0, min_abs = INFINITY;
    for (double v : values) {
      if (!std::isfinite(v)) continue;
      if (v != std::nearbyint(v)) whole = false;
      max_abs = std::max(max_abs, std::fabs(v));
      if (v != 0) min_abs = std::min(min_abs, std::fabs(v));
    }
    if (whole && max_abs < 1e8) p.fmt_spec = "whole";
    else if (max_abs >= 1e8 || (min_abs < 1e-4) || (min_abs < INFINITY && max_abs / min_abs > 1000)) p.fmt_spec = "sci";
  }
  std::string body;
  if (t.numel() == 0) {
    body = "[]";
  } else {
    p.collect_width(0, 0);
    body = p.render(0, 0, 7);  // aligned under "tensor("
  }
  std::string out = "tensor(" + body;
  if (t.numel() == 0 || p.summarize) out += fmt::format(", shape={}", shape_str(shape));
  if (!t.device().is_cpu()) out += fmt::format(", device={}", t.device());
  if (t.dtype() != DType::f32 && t.dtype() != DType::i64 && t.dtype() != DType::boolean)
    out += fmt::format(", dtype={}", t.dtype());
  if (t.requires_grad()) {
    auto fn = t.grad_fn();
    out += fn ? fmt::format(", grad_fn=<{}>", fn->name()) : std::string(", requires_grad=True");
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace ember
