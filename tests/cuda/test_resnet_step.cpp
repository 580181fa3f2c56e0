// Whole-model parity: the same training steps on the CPU and on cuda:0, from the same
// weights and the same batch, must give the same loss, gradients, BN statistics and updated
// parameters. One op that is subtly wrong on the GPU (a stride, a reduction, a cast) shows
// up here even when every per-op parity test passes on its own shapes. Skipped without a GPU.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cuda/parity.h"

#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;
using ember::testing::gpu;

namespace {

// f32 with TF32 off: cuDNN/cuBLAS and oneDNN sum in different orders, and a 20-layer
// network with batch norm amplifies that rounding, so whole-tensor relative error (by
// norm) is the measure, not element-wise closeness.
constexpr double kGradRtol = 1e-3;
constexpr double kParamRtol = 1e-4;

double norm_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

// ||cuda - cpu|| <= rtol * ||cpu|| + atol * sqrt(n) + slack, computed in f64 on the host.
::testing::AssertionResult close_by_norm(const Tensor& cuda_t, const Tensor& cpu_t, double rtol, double atol,
                                         const std::string& what, double slack = 0) {
  if (!cuda_t.defined() || !cpu_t.defined())
    return ::testing::AssertionFailure() << what << ": undefined tensor (cuda " << cuda_t.defined() << ", cpu "
                                         << cpu_t.defined() << ")";
  if (!cuda_t.device().is_cuda()) return ::testing::AssertionFailure() << what << ": not on cuda";
  if (cuda_t.shape() != cpu_t.shape())
    return ::testing::AssertionFailure() << what << ": shape " << shape_str(cuda_t.shape()) << " vs "
                                         << shape_str(cpu_t.shape());
  const std::vector<double> g = cuda_t.cpu().to_vector<double>();
  const std::vector<double> c = cpu_t.to_vector<double>();
  std::vector<double> d(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    if (!std::isfinite(g[i]) || !std::isfinite(c[i]))
      return ::testing::AssertionFailure() << what << ": element " << i << " is " << g[i] << " on cuda and " << c[i]
                                           << " on the CPU";
    d[i] = g[i] - c[i];
  }
  const double err = norm_of(d), ref = norm_of(c);
  const double bound = rtol * ref + atol * std::sqrt(static_cast<double>(c.size())) + slack;
  if (err <= bound) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": ||cuda - cpu|| = " << err << " but ||cpu|| = " << ref
                                       << " (relative " << err / ref << ", rtol " << rtol << ", bound " << bound
                                       << ", shape " << shape_str(cpu_t.shape()) << ")";
}

// A CPU model and its copy on cuda:0 with identical weights and buffers. The copy is built
// from a different seed on purpose, so that only load_state_dict can make them equal.
template <class Make>
std::pair<std::shared_ptr<nn::Module>, std::shared_ptr<nn::Module>> twin(Make make) {
  Generator g_cpu(1234), g_gpu(99);
  std::shared_ptr<nn::Module> cpu_model = make(&g_cpu);
  std::shared_ptr<nn::Module> gpu_model = make(&g_gpu);
  gpu_model->to(gpu());
  gpu_model->load_state_dict(cpu_model->state_dict());  // copies across devices
  return {cpu_model, gpu_model};
}

Tensor train_step(nn::Module& m, const Tensor& x, const Tensor& y, optim::Optimizer* opt) {
  m.train();
  m.zero_grad();
  Tensor loss = cross_entropy(m(x), y);
  loss.backward();
  if (opt) opt->step();
  return loss;
}

void expect_same_named(const std::vector<std::pair<std::string, Tensor>>& g,
                       const std::vector<std::pair<std::string, Tensor>>& c) {
  ASSERT_EQ(g.size(), c.size());
  for (size_t i = 0; i < c.size(); ++i) ASSERT_EQ(g[i].first, c[i].first);
}

void expect_grads_close(nn::Module& gm, nn::Module& cm, double rtol, const std::string& when) {
  auto g = gm.named_parameters(), c = cm.named_parameters();
  expect_same_named(g, c);
  for (size_t i = 0; i < c.size(); ++i)
    EXPECT_TRUE(close_by_norm(g[i].second.grad(), c[i].second.grad(), rtol, 1e-7, when + " grad " + c[i].first));
}

// Copies of a module's parameters, to measure a step's update against.
std::vector<Tensor> param_values(nn::Module& m) {
  std::vector<Tensor> v;
  for (const auto& [name, p] : m.named_parameters()) v.push_back(p.detach().clone());
  return v;
}

// Parameters after a step: the part they kept is close to rtol, and the update itself is
// as close as the gradients it came from (update_rtol). Parameters that start at zero
// (batch-norm biases) are all update, so a bound on the parameter alone would hold them
// to a tighter tolerance than the gradients that moved them.
void expect_params_close(nn::Module& gm, nn::Module& cm, const std::vector<Tensor>& cpu_before, double rtol,
                         double update_rtol, const std::string& when) {
  auto g = gm.named_parameters(), c = cm.named_parameters();
  expect_same_named(g, c);
  ASSERT_EQ(cpu_before.size(), c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    const double update = (c[i].second.detach() - cpu_before[i]).to(DType::f64).pow(2.0).sum().sqrt().item<double>();
    EXPECT_TRUE(
        close_by_norm(g[i].second, c[i].second, rtol, 1e-7, when + " param " + c[i].first, update_rtol * update));
  }
}

void expect_buffers_close(nn::Module& gm, nn::Module& cm, const std::string& when) {
  auto g = gm.named_buffers(), c = cm.named_buffers();
  expect_same_named(g, c);
  for (size_t i = 0; i < c.size(); ++i) {
    if (!is_floating(c[i].second.dtype())) {  // num_batches_tracked
      EXPECT_EQ(g[i].second.cpu().to_vector<int64_t>(), c[i].second.to_vector<int64_t>()) << when << " " << c[i].first;
      continue;
    }
    EXPECT_TRUE(close_by_norm(g[i].second, c[i].second, kGradRtol, 1e-7, when + " buffer " + c[i].first));
  }
}

void expect_loss_close(const Tensor& g, const Tensor& c, const std::string& when) {
  ASSERT_TRUE(g.device().is_cuda()) << when;
  EXPECT_TRUE(ember::testing::assert_close(g, c, ember::testing::Tol{1e-5, 1e-4, /*require_finite=*/true},
                                           when + ": loss"));
}

std::shared_ptr<nn::Module> make_resnet20(Generator* gen) {
  return nn::resnet20(nn::CifarResNetOptions{.num_classes = 10, .generator = gen});
}

struct Batch {
  Tensor x, y;  // on the CPU
};

Batch cifar_batch(uint64_t seed, int64_t n = 8) {
  Generator gen(seed);
  return {randn({n, 3, 32, 32}, DType::f32, Device::cpu(), &gen), randint(0, 10, {n}, DType::i64, Device::cpu(), &gen)};
}

}  // namespace

TEST(ResNetStep, CopiesAreIdentical) {
  SKIP_WITHOUT_CUDA();
  auto [cm, gm] = twin(make_resnet20);
  auto c = cm->state_dict();
  auto g = gm->state_dict();
  ASSERT_EQ(g.keys(), c.keys());
  for (const auto& [name, t] : c) {
    ASSERT_TRUE(g.at(name).device().is_cuda()) << name;
    EXPECT_EQ(g.at(name).cpu().to_vector<double>(), t.to_vector<double>()) << name;
  }
}

TEST(ResNetStep, Resnet20SgdMomentum) {
  SKIP_WITHOUT_CUDA();
  ember::testing::Tf32Guard tf32(false);
  auto [cm, gm] = twin(make_resnet20);
  optim::SGD copt(cm->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4});
  optim::SGD gopt(gm->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4});
  // Two steps on two batches: the second uses the momentum buffers and the updated weights.
  for (int step = 0; step < 2; ++step) {
    const std::string when = "step " + std::to_string(step);
    Batch b = cifar_batch(10 + step);
    cm->train();
    gm->train();
    cm->zero_grad();
    gm->zero_grad();
    Tensor lc = cross_entropy((*cm)(b.x), b.y);
    Tensor lg = cross_entropy((*gm)(b.x.to(gpu())), b.y.to(gpu()));
    expect_loss_close(lg, lc, when);
    lc.backward();
    lg.backward();
    expect_grads_close(*gm, *cm, kGradRtol, when);
    expect_buffers_close(*gm, *cm, when);
    const std::vector<Tensor> before = param_values(*cm);
    copt.step();
    gopt.step();
    expect_params_close(*gm, *cm, before, kParamRtol, kGradRtol, when);
    if (::testing::Test::HasFailure()) return;  // one step's report is enough
  }
  // Eval mode: the running statistics normalise.
  NoGradGuard ng;
  cm->eval();
  gm->eval();
  Batch b = cifar_batch(20);
  EXPECT_TRUE(close_by_norm((*gm)(b.x.to(gpu())), (*cm)(b.x), kGradRtol, 1e-6, "eval logits"));
}

TEST(ResNetStep, Resnet20Adam) {
  SKIP_WITHOUT_CUDA();
  ember::testing::Tf32Guard tf32(false);
  auto [cm, gm] = twin(make_resnet20);
  const double lr = 1e-3;
  optim::Adam copt(cm->parameters(), {.lr = lr});
  optim::Adam gopt(gm->parameters(), {.lr = lr});
  Batch b = cifar_batch(30);
  std::vector<Tensor> before;
  for (const Tensor& p : cm->parameters()) before.push_back(p.detach().clone());
  Tensor lc = train_step(*cm, b.x, b.y, &copt);
  Tensor lg = train_step(*gm, b.x.to(gpu()), b.y.to(gpu()), &gopt);
  expect_loss_close(lg, lc, "adam");
  // Adam's first step moves each weight by about lr * sign(grad): an element whose gradient
  // is within rounding of zero may move the other way on the other device. So: every
  // element within 2 lr of the CPU, and at most 1% of the elements of a tensor off by more
  // than rounding.
  auto gp = gm->named_parameters(), cp = cm->named_parameters();
  expect_same_named(gp, cp);
  for (size_t i = 0; i < cp.size(); ++i) {
    const std::vector<double> g = gp[i].second.cpu().to_vector<double>();
    const std::vector<double> c = cp[i].second.to_vector<double>();
    const std::vector<double> c0 = before[i].to_vector<double>();
    size_t off = 0;
    double worst = 0;
    for (size_t k = 0; k < c.size(); ++k) {
      const double d = std::abs(g[k] - c[k]);
      worst = std::max(worst, d);
      if (d > 1e-3 * lr + 1e-6 * std::abs(c[k])) ++off;
    }
    EXPECT_LE(worst, 2.0 * lr * (1 + 1e-3)) << "adam param " << cp[i].first;
    EXPECT_LE(static_cast<double>(off), 0.01 * static_cast<double>(c.size()) + 1) << "adam param " << cp[i].first;
    // And the step did move the weights (the optimizer ran on the GPU copy).
    EXPECT_NE(g, c0) << "adam param " << cp[i].first << " unchanged on cuda";
  }
}

TEST(ResNetStep, MlpStep) {
  SKIP_WITHOUT_CUDA();
  ember::testing::Tf32Guard tf32(false);
  auto make = [](Generator* gen) { return std::make_shared<nn::MLP>(std::vector<int64_t>{48, 64, 32, 10}, "relu", 0.0, gen); };
  auto [cm, gm] = twin(make);
  optim::SGD copt(cm->parameters(), {.lr = 0.05, .momentum = 0.9});
  optim::SGD gopt(gm->parameters(), {.lr = 0.05, .momentum = 0.9});
  for (int step = 0; step < 3; ++step) {
    const std::string when = "mlp step " + std::to_string(step);
    Generator gen(40 + step);
    Tensor x = randn({16, 3, 4, 4}, DType::f32, Device::cpu(), &gen);  // flattened by the MLP
    Tensor y = randint(0, 10, {16}, DType::i64, Device::cpu(), &gen);
    cm->zero_grad();
    gm->zero_grad();
    Tensor lc = cross_entropy((*cm)(x), y);
    Tensor lg = cross_entropy((*gm)(x.to(gpu())), y.to(gpu()));
    expect_loss_close(lg, lc, when);
    lc.backward();
    lg.backward();
    expect_grads_close(*gm, *cm, 1e-4, when);
    const std::vector<Tensor> before = param_values(*cm);
    copt.step();
    gopt.step();
    expect_params_close(*gm, *cm, before, 1e-5, 1e-4, when);
  }
}

TEST(ResNetStep, ModelRoundTripKeepsValuesAndIdentity) {
  SKIP_WITHOUT_CUDA();
  Generator gen(5);
  auto m = make_resnet20(&gen);
  // A gradient too: .to() converts it with its tensor.
  Batch b = cifar_batch(50, 2);
  cross_entropy((*m)(b.x), b.y).backward();
  std::vector<std::pair<std::string, Tensor>> handles = m->named_parameters();
  std::vector<std::vector<double>> values, grads;
  for (const auto& [n, p] : handles) {
    values.push_back(p.to_vector<double>());
    grads.push_back(p.grad().to_vector<double>());
  }
  std::vector<std::vector<double>> buffers;
  for (const auto& [n, t] : m->named_buffers()) buffers.push_back(t.to_vector<double>());

  m->to(gpu());
  for (const auto& [n, p] : m->named_parameters()) {
    EXPECT_TRUE(p.device().is_cuda()) << n;
    ASSERT_TRUE(p.grad().defined()) << n;
    EXPECT_TRUE(p.grad().device().is_cuda()) << n << " grad";
  }
  for (const auto& [n, t] : m->named_buffers()) EXPECT_TRUE(t.device().is_cuda()) << n;
  m->to(Device::cpu());

  auto after = m->named_parameters();
  ASSERT_EQ(after.size(), handles.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(after[i].second.is_same(handles[i].second)) << "parameter identity lost: " << after[i].first;
    EXPECT_TRUE(after[i].second.device().is_cpu()) << after[i].first;
    EXPECT_EQ(after[i].second.to_vector<double>(), values[i]) << after[i].first;
    EXPECT_EQ(after[i].second.grad().to_vector<double>(), grads[i]) << after[i].first << " grad";
  }
  auto buf = m->named_buffers();
  ASSERT_EQ(buf.size(), buffers.size());
  for (size_t i = 0; i < buf.size(); ++i) EXPECT_EQ(buf[i].second.to_vector<double>(), buffers[i]) << buf[i].first;
}
