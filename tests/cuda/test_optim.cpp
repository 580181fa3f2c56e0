// Fused optimizer updates (kernel::FusedSGD / FusedAdam, a multi-tensor apply on CUDA):
// SGD and Adam/AdamW stepping parameters on the GPU match the same steps on the CPU, for
// parameters of odd sizes (one spanning several 65536-element chunks, tiny ones, more
// tensors than one launch takes), several steps, one parameter skipped on a step so that
// Adam's step counts differ.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <ember/core/dispatch.h>
#include <ember/optim/optim.h>

#include "cuda/parity.h"
// The cuda_tests target has no include path to the source tree's kernels/.
#include "../../kernels/common/optim_math.h"

namespace ember::testing {
namespace {

using optim::Optimizer;
using MakeOpt = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

std::vector<Shape> optim_shapes() {
  std::vector<Shape> s{{70000}, {3}, {1}, {257, 129}, {200000}, {5, 1, 2}};
  for (int64_t k = 1; k <= 40; ++k) s.push_back({k * 3 + 1});  // over one launch's tensor table
  return s;
}

struct Trained {
  std::vector<Tensor> params;
  std::unique_ptr<Optimizer> opt;
};

Trained run_steps(Device device, DType dtype, int steps, const MakeOpt& make) {
  const auto shapes = optim_shapes();
  Trained r;
  for (size_t k = 0; k < shapes.size(); ++k)
    r.params.push_back(random_tensor(shapes[k], dtype, 100 + k).to(device).requires_grad_());
  r.opt = make(r.params);
  for (int s = 0; s < steps; ++s) {
    for (size_t k = 0; k < shapes.size(); ++k) {
      if (s == 1 && k == 2) {
        r.params[k].zero_grad();  // skipped on this step: its step count falls behind
        continue;
      }
      r.params[k].set_grad(random_tensor(shapes[k], dtype, 1000 * (s + 1) + k).to(device));
    }
    r.opt->step();
  }
  return r;
}

void expect_same(const Trained& cuda, const Trained& cpu, const std::string& what) {
  ASSERT_EQ(cuda.params.size(), cpu.params.size());
  for (size_t k = 0; k < cpu.params.size(); ++k) {
    const std::string pk = fmt::format("{} param {}", what, k);
    EXPECT_TRUE(close(cuda.params[k].detach(), cpu.params[k].detach(), pk));
    const optim::ParamState* sc = cpu.opt->state(cpu.params[k]);
    const optim::ParamState* sg = cuda.opt->state(cuda.params[k]);
    ASSERT_NE(sc, nullptr) << pk;
    ASSERT_NE(sg, nullptr) << pk;
    EXPECT_EQ(sg->scalars, sc->scalars) << pk;
    ASSERT_EQ(sg->tensors.size(), sc->tensors.size()) << pk;
    for (const auto& [name, t] : sc->tensors) {
      auto it = sg->tensors.find(name);
      ASSERT_NE(it, sg->tensors.end()) << pk << " has no " << name << " on CUDA";
      EXPECT_TRUE(close(it->second, t, pk + " " + name));
    }
  }
}

void check(const char* what, const MakeOpt& make) {
  for (DType d : {DType::f32, DType::f64, DType::f16, DType::bf16}) {
    Trained cpu = run_steps(Device::cpu(), d, 4, make);
    Trained cuda = run_steps(gpu(), d, 4, make);
    expect_same(cuda, cpu, fmt::format("{} {}", what, d));
  }
}

TEST(OptimParity, SGD) {
  SKIP_WITHOUT_CUDA();
  using optim::SGD;
  check("sgd plain", [](std::vector<Tensor> p) { return std::make_unique<SGD>(p, optim::SGDOptions{.lr = 0.1}); });
  check("sgd momentum", [](std::vector<Tensor> p) {
    return std::make_unique<SGD>(p, optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  });
  check("sgd nesterov wd", [](std::vector<Tensor> p) {
    return std::make_unique<SGD>(
        p, optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true});
  });
  check("sgd dampening wd", [](std::vector<Tensor> p) {
    return std::make_unique<SGD>(
        p, optim::SGDOptions{.lr = 0.1, .momentum = 0.8, .dampening = 0.3, .weight_decay = 5e-3});
  });
}

TEST(OptimParity, Adam) {
  SKIP_WITHOUT_CUDA();
  using optim::Adam;
  check("adam", [](std::vector<Tensor> p) { return std::make_unique<Adam>(p, optim::AdamOptions{.lr = 1e-2}); });
  check("adam wd amsgrad", [](std::vector<Tensor> p) {
    return std::make_unique<Adam>(p, optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.1, .amsgrad = true});
  });
}

TEST(OptimParity, AdamW) {
  SKIP_WITHOUT_CUDA();
  using optim::AdamW;
  check("adamw", [](std::vector<Tensor> p) {
    return std::make_unique<AdamW>(p, optim::AdamWOptions{.lr = 1e-2, .weight_decay = 0.1});
  });
  check("adamw amsgrad", [](std::vector<Tensor> p) {
    return std::make_unique<AdamW>(
        p, optim::AdamWOptions{.lr = 1e-2, .betas = {0.8, 0.99}, .weight_decay = 0.05, .amsgrad = true});
  });
}

// One tensor larger than one launch's block table (320 chunks of 65536), starting in a
// table slot other than the first, and many small ones, through the kernels directly.
TEST(OptimParity, KernelsSpanSeveralLaunches) {
  SKIP_WITHOUT_CUDA();
  std::vector<Shape> shapes{{5}, {3}, {320 * 65536 + 1001}};
  for (int64_t k = 0; k < 60; ++k) shapes.push_back({k % 7 + 1});
  auto lists = [&](Device dev, uint64_t seed) {
    std::vector<Tensor> out;
    for (size_t k = 0; k < shapes.size(); ++k) out.push_back(random_tensor(shapes[k], DType::f32, seed + k).to(dev));
    return out;
  };
  auto abs_list = [](std::vector<Tensor> l) {
    for (Tensor& t : l) t = abs(t);
    return l;
  };
  std::vector<Tensor> pc = lists(Device::cpu(), 1), gc = lists(Device::cpu(), 200), mc = lists(Device::cpu(), 400),
                      vc = abs_list(lists(Device::cpu(), 600)), xc = abs_list(lists(Device::cpu(), 800));
  auto to_gpu = [](const std::vector<Tensor>& l) {
    std::vector<Tensor> out;
    for (const Tensor& t : l) out.push_back(t.to(gpu()));
    return out;
  };
  std::vector<Tensor> pg = to_gpu(pc), gg = to_gpu(gc), mg = to_gpu(mc), vg = to_gpu(vc), xg = to_gpu(xc);
  const FusedAdamArgs a{.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01, .step = 3,
                        .decoupled = true, .amsgrad = true};
  get_kernel<OpId::fused_adam>(Device::cpu())(pc, gc, mc, vc, xc, a);
  get_kernel<OpId::fused_adam>(gpu())(pg, gg, mg, vg, xg, a);
  const FusedSGDArgs s{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-4};
  get_kernel<OpId::fused_sgd>(Device::cpu())(pc, gc, mc, s);
  get_kernel<OpId::fused_sgd>(gpu())(pg, gg, mg, s);
  for (size_t k = 0; k < shapes.size(); ++k) {
    EXPECT_TRUE(close(pg[k], pc[k], fmt::format("param {}", k)));
    EXPECT_TRUE(close(mg[k], mc[k], fmt::format("exp_avg / momentum buffer {}", k)));
    EXPECT_TRUE(close(vg[k], vc[k], fmt::format("exp_avg_sq {}", k)));
    EXPECT_TRUE(close(xg[k], xc[k], fmt::format("max_exp_avg_sq {}", k)));
  }
}

// The host side of the multi-tensor apply (kernels/common/optim_math.h), run without a
// device: every chunk of every non-empty tensor is in exactly one block of one launch, no
// launch holds more slots or blocks than the table, and each block's slot names the tensor
// put there since the previous launch.
TEST(OptimPacking, EveryChunkOnceWithinTableLimits) {
  struct Limits {
    int64_t chunk;
    int tensors, blocks;
  };
  const std::vector<std::vector<int64_t>> cases{
      {1},
      {0, 0, 0},
      {5, 0, 3, 17, 1, 0, 40, 2, 2, 2, 9},
      {100},                      // one tensor over many launches, from slot 0
      {1, 2, 100, 3},             // ... and from a later slot
      {8, 8, 8, 8, 8, 8, 8, 8},   // chunk-aligned: a launch ends on a tensor's last chunk
      {3, 5, 7, 0, 33, 1, 1, 1, 1, 1, 1, 1, 64, 2},
  };
  for (const Limits lim : {Limits{4, 3, 5}, Limits{4, 2, 4}, Limits{1, 4, 3}, Limits{8, 1, 2}, Limits{65536, 48, 320}})
    for (const auto& numels : cases) {
      std::vector<int64_t> slot(lim.tensors, -1), block_slot(lim.blocks, -1), block_chunk(lim.blocks, -1);
      std::map<std::pair<int64_t, int64_t>, int> seen;  // (tensor, chunk) -> times updated
      int launches = 0;
      const bool ok = kernels::pack_multi_tensor(
          static_cast<int64_t>(numels.size()), numels.data(), lim.chunk, lim.tensors, lim.blocks,
          [&](int s, int64_t k) {
            ASSERT_TRUE(s >= 0 && s < lim.tensors) << "slot " << s;
            slot[s] = k;
          },
          [&](int b, int s, int64_t c) {
            ASSERT_TRUE(b >= 0 && b < lim.blocks) << "block " << b;
            ASSERT_TRUE(s >= 0 && s < lim.tensors) << "slot " << s;
            block_slot[b] = s;
            block_chunk[b] = c;
          },
          [&](int nb) {
            ++launches;
            EXPECT_TRUE(nb >= 1 && nb <= lim.blocks) << nb << " blocks";
            for (int b = 0; b < nb; ++b) {
              EXPECT_GE(block_slot[b], 0) << "block " << b << " was not filled for this launch";
              if (block_slot[b] < 0) continue;
              const int64_t k = slot[block_slot[b]];
              EXPECT_GE(k, 0);
              if (k < 0) continue;
              EXPECT_LT(block_chunk[b] * lim.chunk, numels[k]) << "tensor " << k << " chunk " << block_chunk[b];
              ++seen[{k, block_chunk[b]}];
            }
            std::fill(block_slot.begin(), block_slot.end(), -1);
            return true;
          });
      EXPECT_TRUE(ok);
      int64_t chunks = 0;
      for (size_t k = 0; k < numels.size(); ++k) {
        const int64_t nc = (numels[k] + lim.chunk - 1) / lim.chunk;
        chunks += nc;
        for (int64_t c = 0; c < nc; ++c)
          EXPECT_EQ((seen[{static_cast<int64_t>(k), c}]), 1) << "tensor " << k << " chunk " << c;
      }
      EXPECT_EQ(seen.size(), static_cast<size_t>(chunks));
      EXPECT_EQ(launches > 0, chunks > 0);
    }
  // A failed launch stops the packing and is reported.
  const std::vector<int64_t> numels{10, 10, 10};
  int launches = 0;
  EXPECT_FALSE(kernels::pack_multi_tensor(
      3, numels.data(), 4, 2, 2, [](int, int64_t) {}, [](int, int, int64_t) {}, [&](int) { return ++launches > 1; }));
  EXPECT_EQ(launches, 1);
}

// A group spread over two devices is updated tensor by tensor; the result is the same.
TEST(OptimParity, MixedDeviceGroupFallsBack) {
  SKIP_WITHOUT_CUDA();
  auto make = [](Device second) {
    std::vector<Tensor> p{random_tensor({33}, DType::f32, 1).requires_grad_(),
                          random_tensor({5, 4}, DType::f32, 2).to(second).requires_grad_()};
    return p;
  };
  std::vector<Tensor> mixed = make(gpu()), cpu = make(Device::cpu());
  optim::Adam om(mixed, {.lr = 0.1, .weight_decay = 0.01});
  optim::Adam oc(cpu, {.lr = 0.1, .weight_decay = 0.01});
  for (int s = 0; s < 3; ++s) {
    for (size_t k = 0; k < 2; ++k) {
      Tensor g = random_tensor(cpu[k].shape(), DType::f32, 50 + 10 * s + k);
      cpu[k].set_grad(g);
      mixed[k].set_grad(g.to(mixed[k].device()));
    }
    om.step();
    oc.step();
  }
  EXPECT_EQ(mixed[0].to_vector<float>(), cpu[0].to_vector<float>());
  EXPECT_TRUE(close(mixed[1].detach(), cpu[1].detach(), "cuda param of a mixed group"));
}

}  // namespace
}  // namespace ember::testing
