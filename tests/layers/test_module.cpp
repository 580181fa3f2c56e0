// Module machinery: registration and names, modes, to(), freezing, state dicts, summary.
#include <gtest/gtest.h>

#include <ember/ember.h>
#include <ember/layers/layers.h>

using namespace ember;
using namespace ember::nn;

namespace {

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

// Linear -> BN1d -> ReLU -> Linear, as a user would write it.
class Net : public Module {
 public:
  explicit Net(Generator* gen = nullptr) : Module("Net") {
    register_module("fc1", &fc1, std::make_shared<Linear>(4, 6, true, gen));
    register_module("bn", &bn, std::make_shared<BatchNorm1d>(6));
    register_module("act", &act, std::make_shared<ReLU>());
    register_module("fc2", &fc2, std::make_shared<Linear>(6, 3, true, gen));
  }
  Tensor forward(const Tensor& x) override { return (*fc2)((*act)((*bn)((*fc1)(x)))); }
  std::shared_ptr<Linear> fc1;
  std::shared_ptr<BatchNorm1d> bn;
  std::shared_ptr<ReLU> act;
  std::shared_ptr<Linear> fc2;
};

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Module, NamesFollowPyTorch) {
  Net net;
  EXPECT_EQ(names_of(net.named_parameters()),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight", "fc2.bias"}));
  EXPECT_EQ(names_of(net.named_buffers()),
            (std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}));
  EXPECT_EQ(net.state_dict().keys(),
            (std::vector<std::string>{"fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                      "bn.running_var", "bn.num_batches_tracked", "fc2.weight", "fc2.bias"}));
  std::vector<std::string> mods;
  for (auto& [n, m] : net.named_modules()) mods.push_back(n);
  EXPECT_EQ(mods, (std::vector<std::string>{"", "fc1", "bn", "act", "fc2"}));
  EXPECT_EQ(net.named_parameters(false).size(), 0u);
  EXPECT_EQ(net.fc1->path(), "fc1");
  EXPECT_EQ(net.bn->num_batches_tracked.dtype(), DType::i64);
  EXPECT_EQ(net.bn->num_batches_tracked.dim(), 0);
  for (auto& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(net.num_parameters(), 4 * 6 + 6 + 6 + 6 + 6 * 3 + 3);
}

TEST(Module, PathsAreUpdatedWhenNested) {
  auto inner = std::make_shared<Sequential>();
  auto conv = inner->push_back(std::make_shared<Conv2d>(3, 4, 3));
  EXPECT_EQ(conv->path(), "0");
  Sequential outer;
  outer.push_back("block", inner);
  EXPECT_EQ(conv->path(), "block.0");
  EXPECT_EQ(outer.submodule("block.0").get(), conv.get());
  EXPECT_TRUE(outer.parameter("block.0.weight").is_same(conv->weight));
  EXPECT_THROW(outer.submodule("block.7"), IndexError);
  EXPECT_THROW(outer.parameter("block.0.nope"), IndexError);
}

TEST(Module, DuplicateAndBadNamesAreRejected) {
  Sequential s;
  s.push_back("a", std::make_shared<ReLU>());
  EXPECT_THROW(s.push_back("a", std::make_shared<ReLU>()), ValueError);
  EXPECT_THROW(s.push_back("a.b", std::make_shared<ReLU>()), ValueError);
  EXPECT_THROW(s.push_back("", std::make_shared<ReLU>()), ValueError);
}

TEST(Module, SharedParametersAreListedOnce) {
  auto a = std::make_shared<Linear>(3, 3);
  Sequential s{a, std::make_shared<ReLU>(), a};
  EXPECT_EQ(names_of(s.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_EQ(s.num_parameters(), 12);
}

TEST(Module, TrainEvalIsRecursive) {
  Net net;
  EXPECT_TRUE(net.is_training());
  net.eval();
  for (auto& [n, m] : net.named_modules()) EXPECT_FALSE(m->is_training()) << n;
  net.train();
  for (auto& [n, m] : net.named_modules()) EXPECT_TRUE(m->is_training()) << n;
}

TEST(Module, ZeroGradDropsGradients) {
  Net net;
  Tensor y = net(randn({5, 4}));
  y.sum().backward();
  for (auto& [n, p] : net.named_parameters()) EXPECT_TRUE(p.grad().defined()) << n;
  net.zero_grad();
  for (auto& [n, p] : net.named_parameters()) EXPECT_FALSE(p.grad().defined()) << n;
}

TEST(Module, FreezingASubmodule) {
  Net net;
  net.fc1->freeze();
  EXPECT_EQ(net.num_parameters(true), net.num_parameters() - (4 * 6 + 6));
  EXPECT_FALSE(net.fc1->weight.requires_grad());
  Tensor y = net(randn({5, 4}));
  y.sum().backward();
  EXPECT_FALSE(net.fc1->weight.grad().defined());
  EXPECT_FALSE(net.fc1->bias.grad().defined());
  EXPECT_TRUE(net.fc2->weight.grad().defined());
  EXPECT_TRUE(net.bn->weight.grad().defined());
  net.fc1->unfreeze();
  EXPECT_EQ(net.num_parameters(true), net.num_parameters());
}

TEST(Module, ToDTypeKeepsTensorIdentity) {
  Net net;
  std::vector<Tensor> before = net.parameters();  // what an optimizer would hold
  Tensor w = net.fc1->weight;
  auto w_values = w.to_vector<double>();
  Tensor y = net(randn({5, 4}));
  y.sum().backward();
  net.to(DType::f64);
  auto after = net.parameters();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(before[i].is_same(after[i]));
    EXPECT_EQ(before[i].dtype(), DType::f64);
    EXPECT_TRUE(before[i].requires_grad());
    EXPECT_EQ(before[i].grad().dtype(), DType::f64);  // gradients follow their tensor
  }
  EXPECT_EQ(w.dtype(), DType::f64);
  EXPECT_EQ(w.to_vector<double>(), w_values);  // f32 -> f64 is exact
  EXPECT_EQ(net.bn->running_mean.dtype(), DType::f64);
  EXPECT_EQ(net.bn->num_batches_tracked.dtype(), DType::i64);  // integer buffers keep their dtype
  Tensor y64 = net(randn({5, 4}, DType::f64));
  EXPECT_EQ(y64.dtype(), DType::f64);
  EXPECT_THROW(net.to(DType::i32), DTypeError);
  // A f32 input to the f64 model is caught with the layer's name.
  EXPECT_NE(message_of([&] { net(randn({5, 4})); }).find("linear 'fc1': input has dtype float32 but weight has dtype float64"),
            std::string::npos);
}

TEST(Module, ToDevice) {
  Net net;
  net.to(Device::cpu());  // a no-op
  EXPECT_EQ(net.fc1->weight.device(), Device::cpu());
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device";
  Tensor w = net.fc1->weight;
  auto values = w.to_vector<float>();
  net.to(Device::cuda());
  EXPECT_TRUE(w.is_same(net.fc1->weight));
  EXPECT_EQ(w.device(), Device::cuda());
  EXPECT_EQ(net.bn->num_batches_tracked.device(), Device::cuda());
  EXPECT_EQ(w.to_vector<float>(), values);
  net.to(Device::cpu());
  EXPECT_EQ(w.device(), Device::cpu());
}

TEST(Module, SetParameterRebindsTheSlot) {
  Linear lin(2, 2);
  Tensor w = tensor({1.0, 0.0, 0.0, 1.0}, {2, 2}, DType::f32);
  lin.set_parameter("weight", w);
  EXPECT_TRUE(lin.weight.is_same(w));
  EXPECT_TRUE(lin.parameter("weight").is_same(w));
  EXPECT_THROW(lin.set_parameter("weight", zeros({3, 2})), ShapeError);
  EXPECT_THROW(lin.set_parameter("nope", zeros({2, 2})), IndexError);
}

TEST(StateDict, RoundTripCopiesValuesAndKeepsIdentity) {
  Generator g1(1), g2(2);
  Net a(&g1), b(&g2);
  b.train();
  b(randn({8, 4}));  // moves b's running statistics
  b.eval();
  a.eval();
  Tensor x = randn({5, 4});
  Tensor wa = a.fc1->weight;
  EXPECT_NE(a(x).to_vector<float>(), b(x).to_vector<float>());
  LoadResult r = a.load_state_dict(b.state_dict());
  EXPECT_TRUE(r.missing_keys.empty());
  EXPECT_TRUE(r.unexpected_keys.empty());
  EXPECT_TRUE(wa.is_same(a.fc1->weight));
  EXPECT_EQ(a(x).to_vector<float>(), b(x).to_vector<float>());
  EXPECT_EQ(a.bn->num_batches_tracked.item<int64_t>(), 1);
  // Copied, not aliased.
  {
    NoGradGuard ng;
    b.fc1->weight.fill_(0.0);
  }
  EXPECT_NE(a.fc1->weight.to_vector<float>(), b.fc1->weight.to_vector<float>());
}

TEST(StateDict, StateDictSharesStorageButNotHistory) {
  Linear lin(3, 2);
  StateDict sd = lin.state_dict();
  EXPECT_EQ(sd.size(), 2u);
  EXPECT_FALSE(sd.at("weight").requires_grad());
  EXPECT_EQ(sd.at("weight").raw_data(), lin.weight.raw_data());
  EXPECT_THROW(sd.at("nope"), IndexError);
}

TEST(StateDict, CloneIsADetachedCopyInTheSameOrder) {
  Linear lin(3, 2);
  const StateDict copy = lin.state_dict().clone();
  EXPECT_EQ(copy.keys(), lin.state_dict().keys());
  EXPECT_NE(copy.at("weight").raw_data(), lin.weight.raw_data());
  EXPECT_FALSE(copy.at("weight").requires_grad());
  const std::vector<float> before = lin.weight.to_vector<float>();
  {
    NoGradGuard ng;
    lin.weight.add_(1.0);
  }
  EXPECT_EQ(copy.at("weight").to_vector<float>(), before);
  EXPECT_THROW(copy.at("nope"), IndexError);
}

TEST(StateDict, LoadErrorsNameEveryProblemAndChangeNothing) {
  Net net;
  const auto before = net.fc1->weight.to_vector<float>();

  StateDict missing = Net().state_dict();
  missing.erase("fc2.bias");
  missing.erase("bn.num_batches_tracked");
  std::string msg = message_of([&] { net.load_state_dict(missing); });
  EXPECT_NE(msg.find("missing key(s): \"bn.num_batches_tracked\", \"fc2.bias\""), std::string::npos) << msg;
  EXPECT_EQ(net.fc1->weight.to_vector<float>(), before);

  StateDict extra = Net().state_dict();
  extra.insert("head.weight", zeros({2, 2}));
  msg = message_of([&] { net.load_state_dict(extra); });
  EXPECT_NE(msg.find("unexpected key(s): \"head.weight\""), std::string::npos) << msg;
  EXPECT_EQ(net.fc1->weight.to_vector<float>(), before);

  StateDict wrong = Net().state_dict();
  wrong.insert("fc2.weight", zeros({4, 6}));
  wrong.insert("bn.running_var", zeros({6}, DType::f64));
  msg = message_of([&] { net.load_state_dict(wrong); });
  EXPECT_NE(msg.find("size mismatch for fc2.weight: the state dict has shape [4, 6], the model has [3, 6]"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("dtype mismatch for bn.running_var: the state dict has float64, the model has float32"),
            std::string::npos)
      << msg;
  EXPECT_EQ(net.fc1->weight.to_vector<float>(), before);
  EXPECT_THROW(net.load_state_dict(wrong, /*strict=*/false), ValueError);  // mismatches are errors even non-strict
}

TEST(StateDict, NonStrictLoadReportsSkippedKeys) {
  Net net, other;
  StateDict sd = other.state_dict();
  sd.erase("fc2.weight");
  sd.insert("extra", zeros({1}));
  LoadResult r = net.load_state_dict(sd, /*strict=*/false);
  EXPECT_EQ(r.missing_keys, (std::vector<std::string>{"fc2.weight"}));
  EXPECT_EQ(r.unexpected_keys, (std::vector<std::string>{"extra"}));
  EXPECT_EQ(net.fc1->weight.to_vector<float>(), other.fc1->weight.to_vector<float>());
  EXPECT_NE(net.fc2->weight.to_vector<float>(), other.fc2->weight.to_vector<float>());
}

TEST(Module, InputChecksNameTheLayer) {
  auto model = make_model("resnet20", {});
  auto conv = model->submodule("layer2.0.conv1");
  EXPECT_EQ(message_of([&] { (*conv)(randn({8, 3, 32, 32})); }),
            "conv2d 'layer2.0.conv1': input has 3 channels but weight expects 16 (input shape [8, 3, 32, 32])");
  EXPECT_EQ(message_of([&] { (*model)(randn({8, 1, 32, 32})); }),
            "cifar_resnet: input has 1 channels but the model expects 3 (input shape [8, 1, 32, 32])");
  auto fc = model->submodule("fc");
  EXPECT_EQ(message_of([&] { (*fc)(randn({2, 32})); }),
            "linear 'fc': input has 32 features (last dim) but weight expects 64 (input shape [2, 32])");
  Conv2d root(3, 8, 3);
  EXPECT_EQ(message_of([&] { root(randn({3, 32, 32})); }),
            "conv2d: expected a 4-D input [N, 3, H, W], got shape [3, 32, 32]");
  EXPECT_THROW(root(Tensor()), ValueError);
}

TEST(Module, SummaryListsLayersShapesAndCounts) {
  auto model = make_model("resnet18", {.num_classes = 10, .in_channels = 1, .small_input = true});
  model->train();
  auto bn1 = std::dynamic_pointer_cast<BatchNorm2d>(model->submodule("bn1"));
  std::string s = model->summary({2, 1, 28, 28});
  EXPECT_NE(s.find("conv1 (Conv2d)"), std::string::npos) << s;
  EXPECT_NE(s.find("[2, 64, 28, 28]"), std::string::npos) << s;
  EXPECT_NE(s.find("layer4.1.bn2 (BatchNorm2d)"), std::string::npos) << s;
  EXPECT_NE(s.find("[2, 512, 4, 4]"), std::string::npos) << s;
  EXPECT_NE(s.find("fc (Linear)"), std::string::npos) << s;
  EXPECT_NE(s.find("5,130"), std::string::npos) << s;  // fc: 512 * 10 + 10
  EXPECT_NE(s.find("Total params: 11,172,810"), std::string::npos) << s;
  EXPECT_NE(s.find("Output shape: [2, 10]"), std::string::npos) << s;
  // The summary's forward pass leaves the model as it was.
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE(bn1->is_training());
  EXPECT_EQ(bn1->num_batches_tracked.item<int64_t>(), 0);
  EXPECT_FALSE(model->parameters()[0].grad().defined());
}

TEST(Module, ReprLooksLikePyTorch) {
  Sequential s{std::make_shared<Conv2d>(3, 8, 3, Conv2dOptions{.padding = {1, 1}}, false),
               std::make_shared<BatchNorm2d>(8), std::make_shared<ReLU>()};
  EXPECT_EQ(s.repr(),
            "Sequential(\n"
            "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
            "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
            "  (2): ReLU()\n"
            ")");
  EXPECT_EQ(Linear(3, 2).repr(), "Linear(in_features=3, out_features=2, bias=True)");
}

}  // namespace
