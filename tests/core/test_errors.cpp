// One test per error kind: the type, and a message that names the op and the values.
#include <gtest/gtest.h>

#include <ember/ember.h>

using namespace ember;

namespace {
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("WRONG TYPE: ") + e.what();
  }
  return "NO THROW";
}
#define EXPECT_ERROR(E, expr, ...)                                        \
  do {                                                                    \
    std::string m_ = message_of<E>([&] { (void)(expr); });                \
    EXPECT_EQ(m_.rfind("WRONG TYPE", 0), std::string::npos) << m_;        \
    EXPECT_NE(m_, "NO THROW");                                            \
    for (const char* part : {__VA_ARGS__}) EXPECT_NE(m_.find(part), std::string::npos) << m_; \
  } while (0)
}  // namespace

TEST(Errors, HierarchyDerivesFromError) {
  EXPECT_THROW(throw ShapeError("x"), Error);
  EXPECT_THROW(throw CudaError("x"), Error);
  EXPECT_THROW(throw AutogradError("x"), Error);
}

TEST(Errors, Shape) {
  EXPECT_ERROR(ShapeError, zeros({2, 3}) + zeros({4}), "add", "[2, 3]", "[4]");
  EXPECT_ERROR(ShapeError, matmul(zeros({2, 3}), zeros({4, 5})), "matmul", "[2, 3]", "[4, 5]", "3 vs 4");
  EXPECT_ERROR(ShapeError, linear(zeros({8, 3}), zeros({5, 4})), "linear", "3 features", "expects 4");
  EXPECT_ERROR(ShapeError, zeros({6}).view({4, -1}), "view", "[6]");
  EXPECT_ERROR(ShapeError, cat({zeros({2, 3}), zeros({2, 4})}, 0), "cat", "[2, 4]", "[2, 3]");
  EXPECT_ERROR(ShapeError, mse_loss(zeros({3}), zeros({4})), "mse_loss", "[3]", "[4]");
}

TEST(Errors, DType) {
  EXPECT_ERROR(DTypeError, zeros({2}) + zeros({2}, DType::f64), "add", "float32", "float64");
  EXPECT_ERROR(DTypeError, exp(arange(3)), "exp", "int64");
  EXPECT_ERROR(DTypeError, cross_entropy(zeros({2, 3}), zeros({2})), "cross_entropy", "int64", "float32");
  EXPECT_ERROR(DTypeError, arange(3).requires_grad_(), "requires_grad", "int64");
  EXPECT_ERROR(DTypeError, div(arange(3), arange(3)), "div", "integer");
}

TEST(Errors, Index) {
  EXPECT_ERROR(IndexError, sum(zeros({2, 2}), {2}), "sum", "dim 2");
  EXPECT_ERROR(IndexError, gather(zeros({2, 3}), 1, from_vector(std::vector<int64_t>{0, 3}, {2, 1})), "gather", "3",
               "size 3");
  EXPECT_ERROR(IndexError, cross_entropy(zeros({2, 3}), from_vector(std::vector<int64_t>{0, 5}, {2})),
               "cross_entropy", "class 5");
  EXPECT_ERROR(IndexError, one_hot(from_vector(std::vector<int64_t>{4}, {1}), 3), "one_hot", "4");
}

TEST(Errors, Value) {
  EXPECT_ERROR(ValueError, clamp(zeros({2}), 1.0, 0.0), "clamp", "1", "0");
  EXPECT_ERROR(ValueError, dropout(zeros({2}), -0.1, true), "dropout", "-0.1");
  EXPECT_ERROR(ValueError, cat({}, 0), "cat");
}

TEST(Errors, Device) {
  if (cuda_available()) GTEST_SKIP() << "needs a machine without a usable CUDA device";
  // Without a device, asking for CUDA memory fails with a clear error, not a crash.
  std::string m = message_of<Error>([] { (void)zeros({2}, DType::f32, Device::cuda(0)); });
  EXPECT_NE(m.find("cuda"), std::string::npos) << m;
}

TEST(Errors, Autograd) {
  Tensor x = ones({3}).requires_grad_();
  EXPECT_ERROR(AutogradError, (x * 2.0).backward(), "non-scalar", "[3]");
  EXPECT_ERROR(AutogradError, ones({1}).backward(), "does not require grad");
  EXPECT_ERROR(AutogradError, x.add_(1.0), "add_", "requires grad");
}

TEST(Errors, NothingCorruptedAfterFailedOp) {
  Tensor a = ones({2, 2});
  Tensor before = a.clone();
  EXPECT_THROW(a.add_(zeros({3})), ShapeError);
  EXPECT_THROW(a.copy_(zeros({3})), ShapeError);
  EXPECT_EQ(a.to_vector<float>(), before.to_vector<float>());
  EXPECT_EQ(a.version(), 0u);
}
