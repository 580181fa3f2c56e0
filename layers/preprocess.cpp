#include "ember/layers/preprocess.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/ops/binary.h"
#include "ember/core/ops/factory.h"

namespace ember::nn {
namespace {

// The columns of x [N, F] as host doubles, checked against the layer's width.
std::vector<std::vector<double>> host_columns(const Tensor& x, int64_t features, const char* who) {
  EMBER_CHECK(x.defined() && x.dim() == 2 && x.size(1) == features, ShapeError, "{}.fit: expected [N, {}], got {}",
              who, features, x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}.fit: expected a floating-point table, got {}", who,
              x.dtype());
  const std::vector<double> v = x.detach().cpu().to_vector<double>();
  std::vector<std::vector<double>> cols(static_cast<size_t>(features));
  for (size_t i = 0; i < v.size(); ++i) cols[i % static_cast<size_t>(features)].push_back(v[i]);
  return cols;
}

void check_table(const Tensor& x, int64_t features, const std::string& label) {
  EMBER_CHECK(x.dim() == 2 && x.size(1) == features, ShapeError, "{}: expected an input [N, {}], got shape {}", label,
              features, shape_str(x.shape()));
  EMBER_CHECK(is_floating(x.dtype()), DTypeError, "{}: expected a floating-point input, got {}", label, x.dtype());
}

const char* strategy_name(Impute::Strategy s) {
  switch (s) {
    case Impute::Strategy::mean: return "mean";
    case Impute::Strategy::median: return "median";
    case Impute::Strategy::constant: return "constant";
  }
  return "?";
}

}  // namespace

bool detail::FittedFlag::get(const Tensor& flag) const {
  const uint64_t version = flag.version();
  const uint64_t c = cache_.load(std::memory_order_relaxed);
  if (c != 0 && (c >> 1) == uint64_t{version} + 1) return (c & 1) != 0;
  const bool on = flag.item<int64_t>() != 0;
  cache_.store(((uint64_t{version} + 1) << 1) | (on ? 1 : 0), std::memory_order_relaxed);
  return on;
}

// ---- Impute ----

Impute::Impute(int64_t num_features_, Strategy strategy_, double fill_value)
    : Module("Impute"), num_features(num_features_), strategy(strategy_) {
  EMBER_CHECK(num_features > 0, ValueError, "Impute: num_features must be positive, got {}", num_features);
  fill = full({num_features}, fill_value, DType::f32);
  fitted_ = full({}, strategy == Strategy::constant ? 1.0 : 0.0, DType::i64);
  register_buffer("fill", &fill);
  register_buffer("fitted", &fitted_);
}

Impute& Impute::fit(const Tensor& x) {
  if (strategy == Strategy::constant) return *this;
  auto cols = host_columns(x, num_features, "Impute");
  std::vector<float> values;
  for (size_t j = 0; j < cols.size(); ++j) {
    std::vector<double> present;
    for (double v : cols[j])
      if (!std::isnan(v)) present.push_back(v);
    EMBER_CHECK(!present.empty(), ValueError, "Impute.fit: column {} has no value to take the {} of", j,
                strategy_name(strategy));
    double s = 0;
    if (strategy == Strategy::mean) {
      for (double v : present) s += v;
      s /= static_cast<double>(present.size());
    } else {
      auto mid = present.begin() + static_cast<std::ptrdiff_t>(present.size() / 2);
      std::nth_element(present.begin(), mid, present.end());
      s = *mid;
      if (present.size() % 2 == 0) s = (s + *std::max_element(present.begin(), mid)) / 2;
    }
    values.push_back(static_cast<float>(s));
  }
  NoGradGuard ng;
  fill.copy_(from_vector(values, {num_features}).to(fill.device()));
  fitted_.fill_(1.0);
  return *this;
}

bool Impute::fitted() const { return fitted_flag_.get(fitted_); }

void Impute::check_input(const Tensor& x) const { check_table(x, num_features, label("Impute")); }

Tensor Impute::forward(const Tensor& x) {
  EMBER_CHECK(fitted(), ValueError, "{}: not fitted: call fit() on the training split first", label("Impute"));
  return where(isnan(x), fill.to(x.dtype()).expand(x.shape()), x);
}

std::string Impute::extra_repr() const {
  return fmt::format("{}, strategy={}", num_features, strategy_name(strategy));
}

// ---- Standardize ----

Standardize::Standardize(int64_t num_features_, double eps_)
    : Module("Standardize"), num_features(num_features_), eps(eps_) {
  EMBER_CHECK(num_features > 0, ValueError, "Standardize: num_features must be positive, got {}", num_features);
  mean = zeros({num_features}, DType::f32);
  scale = ones({num_features}, DType::f32);
  fitted_ = zeros({}, DType::i64);
  register_buffer("mean", &mean);
  register_buffer("scale", &scale);
  register_buffer("fitted", &fitted_);
}

Standardize& Standardize::fit(const Tensor& x) {
  auto cols = host_columns(x, num_features, "Standardize");
  std::vector<float> m, sd;
  for (size_t j = 0; j < cols.size(); ++j) {
    const auto n = static_cast<double>(cols[j].size());
    EMBER_CHECK(n > 0, ValueError, "Standardize.fit: no rows");
    double s = 0;
    for (double v : cols[j]) {
      EMBER_CHECK(!std::isnan(v), ValueError, "Standardize.fit: column {} has missing values (NaN); impute first", j);
      s += v;
    }
    const double mu = s / n;
    double ss = 0;
    for (double v : cols[j]) ss += (v - mu) * (v - mu);
    m.push_back(static_cast<float>(mu));
    const double dev = std::sqrt(ss / n);
    // A column that is (nearly) constant on the training split keeps its scale: dividing by
    // ~0 would blow up any other value it takes later (scikit-learn's StandardScaler does so).
    sd.push_back(static_cast<float>(dev < eps ? 1.0 : dev));
  }
  NoGradGuard ng;
  mean.copy_(from_vector(m, {num_features}).to(mean.device()));
  scale.copy_(from_vector(sd, {num_features}).to(scale.device()));
  fitted_.fill_(1.0);
  return *this;
}

bool Standardize::fitted() const { return fitted_flag_.get(fitted_); }

void Standardize::check_input(const Tensor& x) const { check_table(x, num_features, label("Standardize")); }

Tensor Standardize::forward(const Tensor& x) {
  EMBER_CHECK(fitted(), ValueError, "{}: not fitted: call fit() on the training split first", label("Standardize"));
  return (x - mean.to(x.dtype())) / scale.to(x.dtype());
}

Tensor Standardize::inverse(const Tensor& y) const {
  EMBER_CHECK(fitted(), ValueError, "{}: not fitted: call fit() on the training split first", label("Standardize"));
  return y * scale.to(y.dtype()) + mean.to(y.dtype());
}

std::string Standardize::extra_repr() const { return fmt::format("{}", num_features); }

}  // namespace ember::nn
