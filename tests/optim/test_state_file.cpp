// Optimizer state to a file and back: an interrupted run of one's own continues exactly.
#include <unistd.h>

#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

std::filesystem::path temp(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("ember_state_" + std::to_string(::getpid()) + "_" + name);
}

// Two steps of AdamW on a small least-squares problem.
void steps(optim::Optimizer& opt, Tensor& w, const Tensor& x, const Tensor& y, int n) {
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    mean(pow(matmul(x, w) - y, 2.0)).backward();
    opt.step();
  }
}

}  // namespace

TEST(StateFile, ResumedRunMatchesAnUninterruptedOne) {
  Generator g(1);
  const Tensor x = randn({16, 4}, DType::f64, Device::cpu(), &g), y = randn({16, 1}, DType::f64, Device::cpu(), &g);
  const Tensor w0 = randn({4, 1}, DType::f64, Device::cpu(), &g);

  Tensor w = w0.clone().requires_grad_();
  optim::AdamW full({w}, {.lr = 0.05, .weight_decay = 0.01});
  steps(full, w, x, y, 6);

  Tensor a = w0.clone().requires_grad_();
  optim::AdamW first({a}, {.lr = 0.05, .weight_decay = 0.01});
  steps(first, a, x, y, 3);
  const auto path = temp("adamw.safetensors");
  optim::save_state(first.state_dict(), path);
  Tensor b = a.detach().clone().requires_grad_();  // the weights, saved apart
  optim::AdamW second({b}, {.lr = 0.05, .weight_decay = 0.01});
  second.load_state_dict(optim::load_state(path));
  std::filesystem::remove(path);
  steps(second, b, x, y, 3);
  EXPECT_EQ(b.to_vector<double>(), w.to_vector<double>());
}

TEST(StateFile, NumbersAndStringsRoundTripExactly) {
  optim::StateDict d;
  d.scalars["lr"] = 0.1;
  d.scalars["tiny"] = 1e-310;
  d.scalars["third"] = 1.0 / 3.0;
  d.scalars["inf"] = std::numeric_limits<double>::infinity();
  d.strings["type"] = "adam";
  d.tensors["state.0.exp_avg"] = arange(0, 6, 1, DType::f32).reshape({2, 3});
  const auto path = temp("round.safetensors");
  optim::save_state(d, path);
  const optim::StateDict e = optim::load_state(path);
  EXPECT_EQ(e.scalars, d.scalars);
  EXPECT_EQ(e.strings, d.strings);
  EXPECT_EQ(e.tensors.at("state.0.exp_avg").to_vector<float>(), d.tensors.at("state.0.exp_avg").to_vector<float>());
  // A plain safetensors file (weights) is not mistaken for an optimizer state.
  save_safetensors(path, {{"w", ones({2})}});
  EXPECT_THROW(optim::load_state(path), IOError);
  EXPECT_TRUE(load_safetensors_metadata(path).empty());
  std::filesystem::remove(path);
  EXPECT_THROW(optim::load_state(path), IOError);
}
