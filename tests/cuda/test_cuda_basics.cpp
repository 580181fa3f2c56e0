// The CUDA device runtime: allocation, transfers and fill. Skipped without a device;
// on a GPU machine each result is compared with the CPU.
#include "cuda/parity.h"

#include <ember/core/dispatch.h>

using namespace ember;

TEST(CudaRuntime, DeviceCountNeverThrows) {
  int n = -1;
  EXPECT_NO_THROW(n = cuda_device_count());
  EXPECT_GE(n, 0);
  if (!cuda_compiled()) {
    EXPECT_EQ(n, 0);
  }
}

TEST(CudaRuntime, RoundTripAllDTypes) {
  SKIP_WITHOUT_CUDA();
  Tensor x = randn({3, 5, 7});
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::boolean}) {
    Tensor h = x.to(d);
    Tensor g = h.to(Device::cuda(0));
    EXPECT_TRUE(g.device().is_cuda());
    EXPECT_EQ(g.to(Device::cpu()).to_vector<double>(), h.to_vector<double>()) << dtype_name(d);
  }
}

TEST(CudaRuntime, FillMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i32, DType::i64, DType::u8, DType::boolean}) {
    EXPECT_EQ(full({4, 3}, 2.5, d, Device::cuda(0)).cpu().to_vector<double>(), full({4, 3}, 2.5, d).to_vector<double>())
        << dtype_name(d);
  }
  // strided fill into a transposed view
  Tensor g = zeros({4, 6}, DType::f32, Device::cuda(0));
  g.t().narrow(0, 1, 2).fill_(1.0);
  Tensor c = zeros({4, 6});
  c.t().narrow(0, 1, 2).fill_(1.0);
  EXPECT_EQ(g.cpu().to_vector<float>(), c.to_vector<float>());
}

TEST(CudaRuntime, CastOnTransfer) {
  SKIP_WITHOUT_CUDA();
  Tensor x = randn({100});
  EXPECT_EQ(x.to(Device::cuda(0)).to(DType::f64).cpu().to_vector<double>(), x.to(DType::f64).to_vector<double>());
  Tensor m = randn({7, 5});  // a transposed view: a strided source
  EXPECT_EQ(m.t().to(Device::cuda(0)).cpu().to_vector<float>(), m.t().contiguous().to_vector<float>());
}

TEST(CudaRuntime, GradientFlowsBackAcrossDevices) {
  SKIP_WITHOUT_CUDA();
  Tensor x = randn({4}).requires_grad_();
  Tensor g = x.to(Device::cuda(0));
  Tensor back = g.to(Device::cpu());
  (back * 2.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2, 2, 2}));
}

// Bad device indices and device mixing: test_runtime.cpp.

TEST(CudaRuntime, MissingKernelsAreNamed) {
  SKIP_WITHOUT_CUDA();
  Tensor a = ones({2, 2}, DType::f32, Device::cuda(0));
  try {
    (void)exp(a);
    GTEST_SKIP() << "exp has a CUDA kernel in this build";
  } catch (const NotImplementedError& e) {
    EXPECT_NE(std::string(e.what()).find("exp"), std::string::npos) << e.what();
  }
}
