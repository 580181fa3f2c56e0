// Trains a small MLP on the two-moons problem with plain SGD written against the core
// library (tensors, autograd, losses). Prints the loss and the final test accuracy.
#include <cmath>
#include <cstdio>
#include <random>

#include <ember/ember.h>

using namespace ember;

namespace {

// Two interleaved half circles with Gaussian noise: points [n, 2] and labels [n].
std::pair<Tensor, Tensor> make_moons(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> angle(0.f, 3.14159265f);
  std::normal_distribution<float> noise(0.f, 0.1f);
  std::vector<float> xy;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    float a = angle(rng);
    int64_t c = i % 2;
    float x = c ? 1.f - std::cos(a) : std::cos(a);
    float y = c ? 0.5f - std::sin(a) : std::sin(a);
    xy.push_back(x + noise(rng));
    xy.push_back(y + noise(rng));
    labels.push_back(c);
  }
  return {from_vector(xy, {n, 2}), from_vector(labels, {n})};
}

Tensor init(Shape shape, double scale, Generator& g) {
  return (randn(std::move(shape), DType::f32, Device::cpu(), &g) * scale).requires_grad_();
}

}  // namespace

int main() {
  Generator gen(0);
  auto [x, y] = make_moons(1024, 1);
  auto [x_test, y_test] = make_moons(512, 2);

  const int64_t hidden = 32;
  Tensor w1 = init({hidden, 2}, 1.0 / std::sqrt(2.0), gen), b1 = zeros({hidden}).requires_grad_();
  Tensor w2 = init({hidden, hidden}, 1.0 / std::sqrt(hidden), gen), b2 = zeros({hidden}).requires_grad_();
  Tensor w3 = init({2, hidden}, 1.0 / std::sqrt(hidden), gen), b3 = zeros({2}).requires_grad_();
  std::vector<Tensor> params{w1, b1, w2, b2, w3, b3};
  auto model = [&](const Tensor& in) {
    Tensor h = relu(linear(in, w1, b1));
    h = relu(linear(h, w2, b2));
    return linear(h, w3, b3);
  };

  const double lr = 0.1;
  for (int step = 0; step <= 500; ++step) {
    Tensor loss = cross_entropy(model(x), y);
    for (Tensor& p : params) p.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;
      for (Tensor& p : params) p.add_(p.grad(), -lr);
    }
    if (step % 100 == 0) std::printf("step %3d  loss %.4f\n", step, loss.item<float>());
  }
  NoGradGuard no_grad;
  Tensor pred = argmax(model(x_test), 1);
  double acc = sum(eq(pred, y_test)).item<int64_t>() / static_cast<double>(y_test.numel());
  std::printf("test accuracy %.1f%%\n", 100 * acc);
  return acc > 0.9 ? 0 : 1;
}
