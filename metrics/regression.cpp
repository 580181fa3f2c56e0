#include "ember/metrics/regression.h"

#include <cmath>
#include <vector>

namespace ember::metrics {

void RegressionMetrics::add(const Tensor& predicted, const Tensor& target) {
  EMBER_CHECK(predicted.defined() && target.defined(), ValueError, "RegressionMetrics.add: an operand is undefined");
  EMBER_CHECK(predicted.shape() == target.shape(), ShapeError,
              "RegressionMetrics.add: predictions {} and targets {} differ in shape", shape_str(predicted.shape()),
              shape_str(target.shape()));
  EMBER_CHECK(is_floating(predicted.dtype()) && is_floating(target.dtype()), DTypeError,
              "RegressionMetrics.add: expected floating-point tensors, got {} and {}", predicted.dtype(),
              target.dtype());
  const std::vector<double> p = predicted.detach().cpu().to_vector<double>();
  const std::vector<double> t = target.detach().cpu().to_vector<double>();
  if (n_ == 0 && !t.empty()) shift_ = t[0];
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = p[i] - t[i];
    sse_ += e * e;
    sae_ += std::abs(e);
    const double d = t[i] - shift_;
    sum_ += d;
    sum_sq_ += d * d;
  }
  n_ += static_cast<int64_t>(p.size());
}

double RegressionMetrics::rmse() const { return n_ ? std::sqrt(sse_ / static_cast<double>(n_)) : 0.0; }
double RegressionMetrics::mae() const { return n_ ? sae_ / static_cast<double>(n_) : 0.0; }

double RegressionMetrics::r2() const {
  if (n_ == 0) return 0.0;
  const double mean = sum_ / static_cast<double>(n_);  // of target - shift
  const double sst = sum_sq_ - static_cast<double>(n_) * mean * mean;
  return sst > 0 ? 1.0 - sse_ / sst : 0.0;
}

namespace {
RegressionMetrics of(const Tensor& p, const Tensor& t) {
  RegressionMetrics m;
  m.add(p, t);
  return m;
}
}  // namespace

double rmse(const Tensor& predicted, const Tensor& target) { return of(predicted, target).rmse(); }
double mae(const Tensor& predicted, const Tensor& target) { return of(predicted, target).mae(); }
double r2(const Tensor& predicted, const Tensor& target) { return of(predicted, target).r2(); }

}  // namespace ember::metrics
