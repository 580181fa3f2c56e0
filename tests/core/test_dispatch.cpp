#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/core/dispatch.h>

using namespace ember;

namespace {
// Whether a function pointer of type F can be registered as exp's kernel.
template <class F>
concept registrable_as_exp = requires(F f) { register_kernel<OpId::exp>(DeviceType::cpu, f); };
}  // namespace

// A kernel of another family's signature does not compile; the right one does.
static_assert(registrable_as_exp<kernel::Unary::Fn>);
static_assert(!registrable_as_exp<kernel::Binary::Fn>);
static_assert(!registrable_as_exp<kernel::Reduce::Fn>);
static_assert(std::is_same_v<OpTraits<OpId::matmul>::Fn, kernel::Matmul::Fn>);
static_assert(detail::in_family<kernel::Compare>[static_cast<int>(OpId::eq)]);
static_assert(!detail::in_family<kernel::Binary>[static_cast<int>(OpId::eq)]);  // same signature, other family

TEST(Dispatch, EveryOpHasACpuKernel) {
  for (int i = 0; i < kNumOps; ++i) EXPECT_TRUE(has_kernel(static_cast<OpId>(i), DeviceType::cpu)) << op_name(OpId(i));
}

TEST(Dispatch, EveryOpHasACudaKernelInACudaBuild) {
  if (!cuda_compiled()) GTEST_SKIP() << "this build has no CUDA backend";
  for (int i = 0; i < kNumOps; ++i) EXPECT_TRUE(has_kernel(static_cast<OpId>(i), DeviceType::cuda)) << op_name(OpId(i));
}

TEST(Dispatch, WrongFamilyIsAnError) {
  try {
    (void)get_kernel<kernel::Binary>(OpId::exp, DeviceType::cpu);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "dispatch: op exp belongs to family Unary, not Binary");
  }
  EXPECT_THROW((void)get_kernel<kernel::Compare>(OpId::add, DeviceType::cpu), Error);
  EXPECT_NO_THROW((void)get_kernel<kernel::Compare>(OpId::eq, DeviceType::cpu));
}

// Takes a kernel out of the table for the test's duration, so that the missing-kernel
// path is tested in every build.
class Unregistered {
 public:
  Unregistered(OpId op, DeviceType dev) : op_(op), dev_(dev) {
    saved_ = has_kernel(op, dev) ? detail::lookup_kernel(op, dev) : nullptr;
    detail::store_kernel(op, dev, nullptr);
  }
  ~Unregistered() { detail::store_kernel(op_, dev_, saved_); }
  Unregistered(const Unregistered&) = delete;
  Unregistered& operator=(const Unregistered&) = delete;

 private:
  OpId op_;
  DeviceType dev_;
  detail::AnyFn saved_;
};

TEST(Dispatch, MissingDeviceKernelNamesOpAndDevice) {
  {
    Unregistered gone(OpId::matmul, DeviceType::cuda);
    try {
      (void)get_kernel<OpId::matmul>(DeviceType::cuda);
      ADD_FAILURE() << "no error";
    } catch (const NotImplementedError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("matmul"), std::string::npos) << m;
      EXPECT_NE(m.find("cuda"), std::string::npos) << m;
      if (!cuda_compiled()) EXPECT_NE(m.find("EMBER_CUDA=OFF"), std::string::npos) << m;
    }
    EXPECT_FALSE(has_kernel(OpId::matmul, DeviceType::cuda));
  }
  EXPECT_EQ(has_kernel(OpId::matmul, DeviceType::cuda), cuda_compiled());
  {
    Unregistered gone(OpId::gelu, DeviceType::cpu);
    EXPECT_THROW(gelu(ones({2})), NotImplementedError);
  }
  EXPECT_NO_THROW(gelu(ones({2})));
}

TEST(Dispatch, OpNames) {
  EXPECT_STREQ(op_name(OpId::exp), "exp");
  EXPECT_STREQ(op_name(OpId::scatter_add), "scatter_add");
  EXPECT_STREQ(op_family(OpId::scatter_add), "ScatterAdd");
}
