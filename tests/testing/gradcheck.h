#pragma once
// Central finite differences in f64 against the autograd engine.
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include <ember/ember.h>

namespace ember::testing {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-5;
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Compares the full Jacobian of f at `inputs` (f64 CPU tensors; any strides) computed by
// backward with one computed by central differences. Floating inputs are made to
// require grad; integer inputs (indices) are passed through.
::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs, GradcheckOptions opt = {});

// f64 normal values with a given seed; `away_from` keeps |x - k| > margin for each k
// (for ops with kinks such as relu, abs, clamp, max).
Tensor randn64(Shape shape, uint64_t seed);
Tensor away_from(Tensor x, std::vector<double> kinks, double margin = 0.05);

}  // namespace ember::testing

#define EXPECT_GRADCHECK(...) EXPECT_TRUE(::ember::testing::gradcheck(__VA_ARGS__))
