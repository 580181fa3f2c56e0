#include "testing/assert_close.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace ember::testing {

Tol default_tol(DType d) {
  switch (d) {
    case DType::f64: return {1e-10, 1e-9};
    case DType::f32: return {1e-5, 1e-4};
    case DType::f16: return {2e-3, 2e-3};
    case DType::bf16: return {1.6e-2, 1.6e-2};
    default: return {0.0, 0.0};  // integers and bool: exact
  }
}

namespace {

double allowed(const Tol& tol, double e) { return tol.atol + tol.rtol * std::fabs(e); }

// Whether a matches e; *diff is |a - e|, infinite when a NaN or an infinity is out of place.
bool float_close(double a, double e, const Tol& tol, double* diff) {
  if (std::isfinite(a) && std::isfinite(e)) {
    *diff = std::fabs(a - e);
    return *diff <= allowed(tol, e);
  }
  const bool same = (std::isnan(a) && std::isnan(e)) || a == e;
  *diff = same ? 0.0 : std::numeric_limits<double>::infinity();
  return same && !tol.require_finite;
}

// Exact in int64: the difference is formed in uint64, where it cannot overflow.
bool int_close(int64_t a, int64_t e, const Tol& tol, double* diff) {
  const uint64_t d = a >= e ? static_cast<uint64_t>(a) - static_cast<uint64_t>(e)
                            : static_cast<uint64_t>(e) - static_cast<uint64_t>(a);
  *diff = static_cast<double>(d);
  return d == 0 || *diff <= allowed(tol, static_cast<double>(e));
}

// [i, j, ...] of element `flat` (row-major) of `shape`.
std::string index_str(int64_t flat, const Shape& shape) {
  Shape idx(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 0) continue;
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

std::string describe_tensor(const char* role, const Tensor& t) {
  return fmt::format("{} {} {} on {}", role, shape_str(t.shape()), dtype_name(t.dtype()), t.device().str());
}

template <class T, class Close>
::testing::AssertionResult compare_elements(const std::vector<T>& a, const std::vector<T>& e, const Tol& tol,
                                            Close close, const std::string& what, const Tensor& actual,
                                            const Tensor& expected) {
  int64_t first = -1, worst = -1, bad = 0;
  double worst_diff = 0.0;
  for (size_t i = 0; i < e.size(); ++i) {
    double d = 0.0;
    if (close(a[i], e[i], tol, &d)) continue;
    const auto k = static_cast<int64_t>(i);
    if (first < 0) first = k;
    if (worst < 0 || d > worst_diff) {
      worst = k;
      worst_diff = d;
    }
    ++bad;
  }
  if (first < 0) return ::testing::AssertionSuccess();
  auto element = [&](int64_t k) {
    const auto i = static_cast<size_t>(k);
    double d = 0.0;
    close(a[i], e[i], tol, &d);
    return fmt::format("element {} {}: actual {}, expected {} (|diff| {}, allowed {})", k,
                       index_str(k, expected.shape()), a[i], e[i], d, allowed(tol, static_cast<double>(e[i])));
  };
  std::string msg = fmt::format("{}: {} of {} elements differ; first {}", what, bad, e.size(), element(first));
  if (worst != first) msg += "; worst " + element(worst);
  msg += fmt::format("; atol {}, rtol {}{}; {}, {}", tol.atol, tol.rtol,
                     tol.require_finite ? ", finite values required" : "", describe_tensor("actual", actual),
                     describe_tensor("expected", expected));
  return ::testing::AssertionFailure() << msg;
}

}  // namespace

::testing::AssertionResult assert_close(const Tensor& actual, const Tensor& expected, Tol tol,
                                        const std::string& what_in) {
  const std::string what = what_in.empty() ? std::string("assert_close") : what_in;
  if (!actual.defined() || !expected.defined()) {
    const char* which = actual.defined() ? "expected is" : expected.defined() ? "actual is" : "actual and expected are";
    return ::testing::AssertionFailure() << what << ": " << which << " undefined";
  }
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << what << ": shapes differ (" << describe_tensor("actual", actual) << ", "
                                         << describe_tensor("expected", expected) << ")";
  }
  // Both read on the CPU (to_vector copies from the device).
  if (is_integral(actual.dtype(), true) && is_integral(expected.dtype(), true)) {
    return compare_elements(actual.to_vector<int64_t>(), expected.to_vector<int64_t>(), tol, int_close, what, actual,
                            expected);
  }
  return compare_elements(actual.to_vector<double>(), expected.to_vector<double>(), tol, float_close, what, actual,
                          expected);
}

::testing::AssertionResult assert_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  if (!expected.defined()) return assert_close(actual, expected, Tol{0.0, 0.0}, what);
  return assert_close(actual, expected, default_tol(expected.dtype()), what);
}

}  // namespace ember::testing
