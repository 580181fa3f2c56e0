// Weights written by PyTorch load into ember's models and give PyTorch's logits; ember's
// files load back in PyTorch (when /usr/bin/python3 with torch is installed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include <ember/core/safetensors.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/layers/serialize.h>

#include "serialize_util.h"
#include "testing/assert_close.h"

using namespace ember;
using namespace ember::nn;
using ember::testing::data_dir;
using ember::testing::find_tensor;
using ember::testing::ScratchDir;

namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  return (a.cpu().to(DType::f64) - b.cpu().to(DType::f64)).abs().max().item<double>();
}

// |ember - torch| <= tol * max(1, max |logit|): random deep nets give logits in the hundreds,
// where float32 rounding alone is ~1e-5 relative.
void expect_logits_near(const Tensor& ember_out, const Tensor& ref, double tol) {
  const double scale = ref.cpu().to(DType::f64).abs().max().item<double>();
  const ember::testing::Tol bound{tol * std::max(1.0, scale), 0.0, /*require_finite=*/true};
  EXPECT_TRUE(ember::testing::assert_close(ember_out, ref, bound,
                                           fmt::format("logits, ember against torch (max |logit| {})", scale)));
  std::printf("[          ] max |ember - torch| = %.3g (max |logit| %.3g)\n", max_abs_diff(ember_out, ref), scale);
  EXPECT_GT(scale, 0.1) << "degenerate fixture";
}

const char* kPython = "/usr/bin/python3";

std::string script_path() { return (data_dir().parent_path() / "serialize" / "make_serialize_fixtures.py").string(); }

// Empty when /usr/bin/python3 can import torch, otherwise what is missing.
std::string python_torch_missing() {
  if (!std::filesystem::exists(kPython)) return std::string(kPython) + " is not installed";
  const std::string cmd = std::string(kPython) + " -c 'import torch' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::string(kPython) + " cannot import torch";
  return {};
}

int run_script(const std::string& args) {
  const std::string cmd = std::string(kPython) + " '" + script_path() + "' " + args;
  return std::system(cmd.c_str());
}

}  // namespace

TEST(SafetensorsInterop, ResNet20WrittenByPyTorch) {
  auto model = make_model("resnet20", {.num_classes = 10, .in_channels = 1});
  LoadResult r = load_weights(*model, data_dir() / "serialize_resnet20.safetensors");
  EXPECT_TRUE(r.missing_keys.empty());
  EXPECT_TRUE(r.unexpected_keys.empty());
  // BN running statistics and num_batches_tracked came from the file.
  auto sd = model->state_dict();
  EXPECT_GT(sd.at("layer2.0.downsample.1.num_batches_tracked").item<int64_t>(), 0);
  EXPECT_GT(sd.at("bn1.running_var").min().item<float>(), 0.5f);

  auto io = load_safetensors(data_dir() / "serialize_resnet20_io.safetensors");
  model->eval();
  NoGradGuard ng;
  Tensor out = (*model)(find_tensor(io, "input"));
  expect_logits_near(out, find_tensor(io, "logits"), 1e-4);
}

TEST(SafetensorsInterop, TinyF64NetWrittenByPyTorch) {
  auto net = std::make_shared<Sequential>();
  net->push_back(std::make_shared<Conv2d>(2, 4, 3, Conv2dOptions{.padding = {1, 1}}));
  net->push_back(std::make_shared<BatchNorm2d>(4));
  net->push_back(std::make_shared<ReLU>());
  net->push_back(std::make_shared<Flatten>());
  net->push_back(std::make_shared<Linear>(100, 3));
  net->to(DType::f64);
  load_weights(*net, data_dir() / "serialize_tiny.safetensors");
  net->eval();
  auto io = load_safetensors(data_dir() / "serialize_tiny_io.safetensors");
  NoGradGuard ng;
  Tensor out = (*net)(find_tensor(io, "input"));
  EXPECT_EQ(out.dtype(), DType::f64);
  expect_logits_near(out, find_tensor(io, "logits"), 1e-10);
}

TEST(SafetensorsInterop, ResNet20SavedByEmberIsTheSameFile) {
  // PyTorch's file -> ember -> ember's file: the same tensors (names, dtypes, bytes).
  auto model = make_model("resnet20", {.num_classes = 10, .in_channels = 1});
  load_weights(*model, data_dir() / "serialize_resnet20.safetensors");
  ScratchDir dir("st_r20");
  save_weights(*model, dir / "r20.safetensors");
  auto a = load_safetensors(data_dir() / "serialize_resnet20.safetensors");
  auto b = load_safetensors(dir / "r20.safetensors");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(ember::testing::same_bytes(a[i].second, b[i].second)) << a[i].first;
  }
}

TEST(SafetensorsInterop, ResNet18BothWaysWithPyTorch) {
  if (auto missing = python_torch_missing(); !missing.empty()) GTEST_SKIP() << missing << "; skipping the ResNet-18 round trip";
  ScratchDir dir("st_r18");
  const std::string d = "'" + dir.path().string() + "'";
  ASSERT_EQ(run_script("resnet18-write " + d + " >/dev/null"), 0) << "the torch side failed to write ResNet-18";

  // torch -> ember
  auto model = make_model("resnet18", {.num_classes = 1000, .in_channels = 3});
  load_weights(*model, dir / "resnet18.safetensors");
  model->eval();
  auto io = load_safetensors(dir / "resnet18_io.safetensors");
  Tensor x = find_tensor(io, "input");
  {
    NoGradGuard ng;
    expect_logits_near((*model)(x), find_tensor(io, "logits"), 1e-4);
  }

  // ember -> torch, after changing every kind of state: a train-mode pass moves the BN
  // running statistics and num_batches_tracked, and the fc bias is shifted.
  {
    NoGradGuard ng;
    model->train();
    Generator gen(5);
    (*model)(randn({4, 3, 64, 64}, DType::f32, Device::cpu(), &gen) * 1.5 + 0.2);
    model->eval();
    std::dynamic_pointer_cast<ResNet>(model)->fc->bias.add_(0.25);
  }
  Tensor logits;
  {
    NoGradGuard ng;
    logits = (*model)(x);
  }
  EXPECT_GT(max_abs_diff(logits, find_tensor(io, "logits")), 1e-2) << "the update changed nothing";
  save_weights(*model, dir / "ember_resnet18.safetensors");
  save_safetensors(dir / "ember_io.safetensors", {{"input", x}, {"logits", logits}});
  EXPECT_EQ(run_script("resnet18-check " + d), 0) << "PyTorch disagrees with ember's file (see the output above)";
}
