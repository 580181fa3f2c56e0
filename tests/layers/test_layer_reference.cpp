// Layers against PyTorch: each case loads fixed weights (from the fixture, through
// load_state_dict), runs forward and backward on a fixed input, and compares the output, the
// gradients of the input and of every parameter, and the buffers afterwards (BatchNorm's
// running statistics) with torch 1.13's. Every case runs in f64 (tight) and f32 (loose).
// Fixture: tests/data/layers_reference.txt, made by tests/layers/make_layer_fixtures.py.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>

#include <ember/ember.h>
#include <ember/layers/layers.h>

#include "layer_fixture.h"
#include "testing/assert_close.h"

using namespace ember;
using namespace ember::nn;
using ember::testing::LayerCase;
using ember::testing::LayerFixture;
using ember::testing::LayerRecord;

namespace {

// A result against its PyTorch record: integer records exactly, float ones within
// |got - torch| <= atol + rtol * |torch| (finite values only).
::testing::AssertionResult close_to(const Tensor& got, const LayerRecord& ref, double atol, double rtol) {
  const ember::testing::Tol tol =
      ref.ivalues.empty() ? ember::testing::Tol{atol, rtol, /*require_finite=*/true} : ember::testing::Tol{0.0, 0.0};
  return ember::testing::assert_close(got, ref.tensor(), tol, ref.kind + " " + ref.name + " (expected: PyTorch's)");
}

// Builds the layer a fixture case describes (the script builds the same one).
std::shared_ptr<Module> build(const std::string& name) {
  if (name == "linear") return std::make_shared<Linear>(5, 3);
  if (name == "conv_sdg")
    return std::make_shared<Conv2d>(
        4, 6, 3, Conv2dOptions{.stride = {2, 2}, .padding = {1, 1}, .dilation = {2, 2}, .groups = 2});
  if (name == "conv_rect")
    return std::make_shared<Conv2d>(3, 4, Pair{2, 3}, Conv2dOptions{.stride = {1, 2}, .padding = {0, 1}}, false);
  if (name == "bn2d_train" || name == "bn2d_eval") return std::make_shared<BatchNorm2d>(3);
  if (name == "bn1d_train") return std::make_shared<BatchNorm1d>(4);
  if (name == "maxpool") return std::make_shared<MaxPool2d>(3, 2, 1);
  if (name == "maxpool_ceil") return std::make_shared<MaxPool2d>(2, 2, 0, true);
  if (name == "avgpool") return std::make_shared<AvgPool2d>(3, 2, 1);
  if (name == "avgpool_nopad_ceil") return std::make_shared<AvgPool2d>(3, 2, 1, true, false);
  if (name == "adaptive_avgpool") return std::make_shared<AdaptiveAvgPool2d>(Pair{2, 3});
  if (name == "basic_block_train" || name == "basic_block_eval")
    return std::make_shared<BasicBlock>(3, 4, 2, projection_shortcut(3, 4, 2));
  return nullptr;
}

void run_case(const std::string& case_name, DType dtype) {
  SCOPED_TRACE(case_name + (dtype == DType::f64 ? " (float64)" : " (float32)"));
  const auto& fx = LayerFixture::get();
  ASSERT_TRUE(fx.error().empty()) << fx.error();
  const LayerCase* c = fx.find(case_name);
  ASSERT_NE(c, nullptr) << "fixture has no case " << case_name;
  auto m = build(case_name);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->type_name(), c->find("layer")->name);

  m->to(DType::f64);
  m->load_state_dict(c->state(), /*strict=*/true);
  m->train(c->find("mode")->rest.at(0) == "train");
  m->to(dtype);

  const double atol = dtype == DType::f64 ? 1e-10 : 2e-4, rtol = dtype == DType::f64 ? 1e-9 : 1e-4;
  Tensor x = c->find("in", "x")->tensor().to(dtype).requires_grad_();
  Tensor y = (*m)(x);
  EXPECT_TRUE(close_to(y, *c->find("out"), atol, rtol));
  y.backward(c->find("gout")->tensor().to(dtype));
  EXPECT_TRUE(close_to(x.grad(), *c->find("grad", "x"), atol, rtol));

  std::set<std::string> checked{"x"};
  for (auto& [name, p] : m->named_parameters()) {
    const LayerRecord* ref = c->find("grad", name);
    ASSERT_NE(ref, nullptr) << "no PyTorch gradient for parameter " << name;
    EXPECT_TRUE(close_to(p.grad(), *ref, atol, rtol));
    checked.insert(name);
  }
  for (const LayerRecord* g : c->all("grad")) EXPECT_TRUE(checked.count(g->name)) << "ember has no parameter " << g->name;

  auto buffers = m->named_buffers();
  size_t n_after = c->all("after").size() + c->all("iafter").size();
  EXPECT_EQ(buffers.size(), n_after);
  for (auto& [name, b] : buffers) {
    const LayerRecord* ref = b.dtype() == DType::i64 ? c->find("iafter", name) : c->find("after", name);
    ASSERT_NE(ref, nullptr) << "no PyTorch value for buffer " << name;
    // Running statistics in f32 accumulate the batch statistics' rounding.
    EXPECT_TRUE(close_to(b, *ref, atol, rtol)) << "buffer " << name;
  }
}

class LayerReference : public ::testing::TestWithParam<const char*> {};

TEST_P(LayerReference, Float64) { run_case(GetParam(), DType::f64); }
TEST_P(LayerReference, Float32) { run_case(GetParam(), DType::f32); }

INSTANTIATE_TEST_SUITE_P(PyTorch, LayerReference,
                         ::testing::Values("linear", "conv_sdg", "conv_rect", "bn2d_train", "bn2d_eval", "bn1d_train",
                                           "maxpool", "maxpool_ceil", "avgpool", "avgpool_nopad_ceil",
                                           "adaptive_avgpool", "basic_block_train", "basic_block_eval"),
                         [](const auto& info) { return std::string(info.param); });

TEST(LayerReferenceFixture, EveryCaseIsTested) {
  const auto& fx = LayerFixture::get();
  ASSERT_TRUE(fx.error().empty()) << fx.error();
  for (const char* name : {"linear", "conv_sdg", "conv_rect", "bn2d_train", "bn2d_eval", "bn1d_train", "maxpool",
                           "maxpool_ceil", "avgpool", "avgpool_nopad_ceil", "adaptive_avgpool", "basic_block_train",
                           "basic_block_eval"})
    EXPECT_NE(fx.find(name), nullptr) << name;
}

}  // namespace
