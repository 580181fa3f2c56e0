// save_weights / load_weights: keys and shapes checked by name, strict and non-strict;
// a bad file leaves the module untouched; weights map onto the module's device.
#include <gtest/gtest.h>

#include <ember/core/safetensors.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/layers/serialize.h>

#include "serialize_util.h"

using namespace ember;
using namespace ember::nn;
using ember::testing::ScratchDir;

namespace {

std::shared_ptr<Sequential> small_net(int64_t hidden = 8) {
  auto net = std::make_shared<Sequential>();
  net->push_back(std::make_shared<Linear>(4, hidden));
  net->push_back(std::make_shared<BatchNorm1d>(hidden));
  net->push_back(std::make_shared<ReLU>());
  net->push_back(std::make_shared<Linear>(hidden, 2));
  return net;
}

bool same_state(const Module& a, const Module& b) {
  auto sa = a.state_dict(), sb = b.state_dict();
  if (sa.keys() != sb.keys()) return false;
  for (const auto& [k, t] : sa)
    if (!ember::testing::same_bytes(t, sb.at(k))) return false;
  return true;
}

// Expects `fn` to throw ValueError whose message contains each of `parts`.
template <class F>
void expect_value_error(F&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << p << " in " << e.what();
  }
}

}  // namespace

TEST(LoadWeights, RoundTripRestoresEverything) {
  ScratchDir dir("lw_rt");
  auto a = small_net();
  {
    NoGradGuard ng;
    a->train();
    (*a)(randn({16, 4}));  // moves running stats
  }
  save_weights(*a, dir / "a.safetensors");
  auto b = small_net();
  EXPECT_FALSE(same_state(*a, *b));
  LoadResult r = load_weights(*b, dir / "a.safetensors");
  EXPECT_TRUE(r.missing_keys.empty() && r.unexpected_keys.empty());
  EXPECT_TRUE(same_state(*a, *b));
  // Parameters keep their identity and still require grad.
  EXPECT_TRUE(b->named_parameters()[0].second.requires_grad());
}

TEST(LoadWeights, MissingAndUnexpectedKeys) {
  ScratchDir dir("lw_keys");
  auto a = small_net();
  StateDict sd = a->state_dict();
  std::vector<std::pair<std::string, Tensor>> entries(sd.begin(), sd.end());
  // Drop "3.bias", add "4.weight".
  std::erase_if(entries, [](const auto& e) { return e.first == "3.bias"; });
  entries.emplace_back("4.weight", ones({2, 2}));
  save_safetensors(dir / "k.safetensors", entries);

  auto b = small_net();
  auto before = small_net();
  before->load_state_dict(b->state_dict());
  expect_value_error([&] { load_weights(*b, dir / "k.safetensors"); },
                     {"k.safetensors", "missing key(s): \"3.bias\"", "unexpected key(s): \"4.weight\""});
  EXPECT_TRUE(same_state(*b, *before)) << "a failed strict load changed the module";

  LoadResult r = load_weights(*b, dir / "k.safetensors", /*strict=*/false);
  EXPECT_EQ(r.missing_keys, std::vector<std::string>{"3.bias"});
  EXPECT_EQ(r.unexpected_keys, std::vector<std::string>{"4.weight"});
  EXPECT_TRUE(ember::testing::same_bytes(b->state_dict().at("0.weight"), sd.at("0.weight")));
  EXPECT_TRUE(ember::testing::same_bytes(b->state_dict().at("3.bias"), before->state_dict().at("3.bias")));
}

TEST(LoadWeights, ShapeAndDTypeMismatchesFailEvenNonStrict) {
  ScratchDir dir("lw_shape");
  save_weights(*small_net(16), dir / "wide.safetensors");
  auto b = small_net(8);
  auto before = small_net(8);
  before->load_state_dict(b->state_dict());
  for (bool strict : {true, false}) {
    expect_value_error([&] { load_weights(*b, dir / "wide.safetensors", strict); },
                       {"wide.safetensors", "size mismatch for 0.weight", "[16, 4]", "size mismatch for 1.running_var"});
    EXPECT_TRUE(same_state(*b, *before));
  }
  auto f64 = small_net(8);
  f64->to(DType::f64);
  save_weights(*f64, dir / "f64.safetensors");
  expect_value_error([&] { load_weights(*b, dir / "f64.safetensors", false); }, {"dtype mismatch for 0.weight"});
  EXPECT_TRUE(same_state(*b, *before));
}

TEST(LoadWeights, BadFileIsAnIOErrorAndChangesNothing) {
  ScratchDir dir("lw_bad");
  auto a = small_net();
  save_weights(*a, dir / "a.safetensors");
  std::string bytes = ember::testing::read_bytes(dir / "a.safetensors");
  ember::testing::write_bytes(dir / "cut.safetensors", bytes.substr(0, bytes.size() - 3));
  auto b = small_net();
  auto before = small_net();
  before->load_state_dict(b->state_dict());
  try {
    load_weights(*b, dir / "cut.safetensors");
    ADD_FAILURE() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("cut.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(same_state(*b, *before));
}

TEST(LoadWeights, OntoAnotherDevice) {
  if (!cuda_available()) GTEST_SKIP() << "no CUDA device";
  ScratchDir dir("lw_dev");
  auto a = small_net();
  save_weights(*a, dir / "cpu.safetensors");
  auto g = small_net();
  g->to(Device::cuda());
  load_weights(*g, dir / "cpu.safetensors");
  for (const auto& [k, t] : g->state_dict()) EXPECT_TRUE(t.device().is_cuda()) << k;
  EXPECT_TRUE(same_state(*a, *g));
  // ... and back: a file saved from the GPU loads on the CPU.
  save_weights(*g, dir / "gpu.safetensors");
  auto c = small_net();
  load_weights(*c, dir / "gpu.safetensors");
  EXPECT_TRUE(same_state(*a, *c));
  auto raw = load_safetensors(dir / "gpu.safetensors", Device::cuda());
  EXPECT_TRUE(raw[0].second.device().is_cuda());
}
