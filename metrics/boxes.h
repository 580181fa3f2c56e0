#pragma once
// Bounding boxes as [x1, y1, x2, y2] (corners, x2 >= x1, y2 >= y1), the layout torchvision's
// box_iou uses.
#include "ember/core/tensor.h"

namespace ember::metrics {

// Intersection over union of boxes a[i] and b[i]: a, b [N, 4] floating -> [N], in [0, 1]
// (0 for two empty boxes). Built from tensor ops, so it runs on any device and has a
// gradient (an IoU loss can use it).
Tensor box_iou(const Tensor& a, const Tensor& b);
// The mean of box_iou over the N pairs, on the host.
double mean_iou(const Tensor& a, const Tensor& b);

}  // namespace ember::metrics
