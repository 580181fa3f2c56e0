#pragma once
// The one element-by-element comparison of tensors the tests use (testing/assert_close.cpp).
#include <string>

#include <gtest/gtest.h>

#include <ember/ember.h>

namespace ember::testing {

// An element passes when |actual - expected| <= atol + rtol * |expected| (in f64).
struct Tol {
  double atol;
  double rtol;
  // Off (the default): NaN matches NaN and an infinity the same infinity. On: any NaN or
  // infinity in `actual` fails, even against the same value (for results that must be
  // finite, as checks written with EXPECT_NEAR treat them).
  bool require_finite = false;
};

// The default tolerance for results of dtype `d`, the one table of them: the same math done
// in another order (f64, f32), one more rounding for the 16-bit types (f16, bf16); integer
// and bool dtypes compare exactly.
Tol default_tol(DType d);

// Checks that `actual` matches `expected` element by element: both defined, the same shape
// (both read on the CPU, copied there from another device), NaN exactly where `expected`
// has NaN (NaN never equals a number), an infinity only against the same infinity, and
// every other element within `tol`. Integer and bool pairs compare as int64 (exactly under
// Tol{0, 0}); other pairs in f64, so the dtypes may differ (an f32 result against an f64
// reference). On failure the message gives `what`, how many elements fail, the first and the
// worst of them (flat index, index per dim, both values, |diff| and what was allowed), the
// tolerance, and both tensors' shapes, dtypes and devices.
::testing::AssertionResult assert_close(const Tensor& actual, const Tensor& expected, Tol tol,
                                        const std::string& what = "");
// The same with default_tol(expected.dtype()).
::testing::AssertionResult assert_close(const Tensor& actual, const Tensor& expected, const std::string& what = "");

}  // namespace ember::testing
