// The README's GPU snippet, kept compiling (and running where there is a device).
#include <cmath>

#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

#include "cuda/parity.h"

using namespace ember;

TEST(Readme, GpuSnippet) {
  SKIP_WITHOUT_CUDA();
  const Device gpu = Device::cuda(0);
  auto model = nn::make_model("resnet20", {.num_classes = 10});
  model->to(gpu);
  optim::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  Tensor x = randn({128, 3, 32, 32}).to(gpu), y = randint(0, 10, {128}, DType::i64, gpu);
  Tensor loss = cross_entropy((*model)(x), y);
  loss.backward();
  opt.step();
  const std::string summary = cuda::memory_summary(0);
  fmt::print("{}\n", summary);
  EXPECT_FALSE(summary.empty());
  EXPECT_TRUE(std::isfinite(loss.item<float>()));
  EXPECT_GT(cuda::memory_stats(0).peak_allocated, 0u);
}
