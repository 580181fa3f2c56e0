#pragma once
// Regression metrics, accumulated batch by batch in double: RMSE, MAE and R² (1 - residual
// sum of squares / total sum of squares around the targets' mean, as scikit-learn's r2_score
// for one output; with several target columns, over all of their values).
#include <cstdint>

#include "ember/core/tensor.h"

namespace ember::metrics {

class RegressionMetrics {
 public:
  // predicted and target of equal shapes ([N] or [N, T]), floating, any device.
  void add(const Tensor& predicted, const Tensor& target);
  int64_t count() const { return n_; }
  double rmse() const;
  double mae() const;
  // 0 when all targets are equal (no variance to explain).
  double r2() const;

 private:
  int64_t n_ = 0;
  double sse_ = 0, sae_ = 0;
  // Sums of (target - shift) and its square, shift being the first target seen: the total
  // sum of squares from them keeps its precision when the targets' mean is large.
  double shift_ = 0, sum_ = 0, sum_sq_ = 0;
};

// One-shot forms of the same.
double rmse(const Tensor& predicted, const Tensor& target);
double mae(const Tensor& predicted, const Tensor& target);
double r2(const Tensor& predicted, const Tensor& target);

}  // namespace ember::metrics
