#include "ember/metrics/boxes.h"

#include "ember/core/ops/binary.h"
#include "ember/core/ops/reduce.h"
#include "ember/core/ops/unary.h"

namespace ember::metrics {

Tensor box_iou(const Tensor& a, const Tensor& b) {
  auto check = [](const Tensor& t, const char* name) {
    EMBER_CHECK(t.defined() && t.dim() == 2 && t.size(1) == 4, ShapeError, "box_iou: {} must be boxes [N, 4], got {}",
                name, t.defined() ? shape_str(t.shape()) : std::string("an undefined tensor"));
    EMBER_CHECK(is_floating(t.dtype()), DTypeError, "box_iou: {} must be floating point, got {}", name, t.dtype());
  };
  check(a, "a");
  check(b, "b");
  EMBER_CHECK(a.size(0) == b.size(0), ShapeError, "box_iou: {} boxes against {}", a.size(0), b.size(0));
  // 16-bit boxes are scored in f32: the guard against 0 / 0 below underflows in f16.
  if (is_half(a.dtype()) || is_half(b.dtype()))
    return box_iou(a.to(DType::f32), b.to(DType::f32)).to(is_half(a.dtype()) ? a.dtype() : b.dtype());
  auto col = [](const Tensor& t, int64_t k) { return t.select(1, k); };
  const Tensor w = clamp_min(minimum(col(a, 2), col(b, 2)) - maximum(col(a, 0), col(b, 0)), 0.0);
  const Tensor h = clamp_min(minimum(col(a, 3), col(b, 3)) - maximum(col(a, 1), col(b, 1)), 0.0);
  const Tensor inter = w * h;
  auto area = [&](const Tensor& t) {
    return clamp_min(col(t, 2) - col(t, 0), 0.0) * clamp_min(col(t, 3) - col(t, 1), 0.0);
  };
  const Tensor uni = area(a) + area(b) - inter;
  // Two empty boxes: 0 / 0 would be NaN; the IoU of nothing with nothing is taken as 0.
  return inter / clamp_min(uni, 1e-12);
}

double mean_iou(const Tensor& a, const Tensor& b) {
  const Tensor iou = box_iou(a, b);
  return iou.numel() ? mean(iou).item<double>() : 0.0;
}

}  // namespace ember::metrics
