#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/core/dispatch.h>

using namespace ember;

TEST(Dispatch, EveryOpHasACpuKernel) {
  for (int i = 0; i < static_cast<int>(OpId::kCount); ++i) {
    auto op = static_cast<OpId>(i);
    EXPECT_NO_THROW(detail::lookup_kernel(op, DeviceType::CPU, op_family(op))) << op_name(op);
  }
}

TEST(Dispatch, WrongFamilyIsAnError) {
  EXPECT_THROW(detail::lookup_kernel(OpId::exp, DeviceType::CPU, "Binary"), Error);
}

TEST(Dispatch, MissingDeviceKernelNamesOpAndDevice) {
  // matmul has no CUDA kernel yet in this build (or no CUDA backend at all).
  try {
    detail::lookup_kernel(OpId::matmul, DeviceType::CUDA, "Matmul");
    GTEST_SKIP() << "matmul has a CUDA kernel in this build";
  } catch (const NotImplementedError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("matmul"), std::string::npos) << m;
    EXPECT_NE(m.find("cuda"), std::string::npos) << m;
  }
}

TEST(Dispatch, OpNames) {
  EXPECT_STREQ(op_name(OpId::exp), "exp");
  EXPECT_STREQ(op_name(OpId::scatter_add), "scatter_add");
}
