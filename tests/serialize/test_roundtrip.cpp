// save_safetensors -> load_safetensors is bit-exact for every dtype; files written by
// PyTorch read back with the right values; the writer's contract (atomic, names escaped,
// bad names refused).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <ember/core/safetensors.h>
#include <ember/ember.h>

#include "serialize_util.h"
#include "testing/assert_close.h"

using namespace ember;
using ember::testing::ScratchDir;

namespace {

const DType kAllDTypes[] = {DType::f64, DType::f32, DType::f16, DType::bf16,
                            DType::i64, DType::i32, DType::u8,  DType::boolean};

// Every byte random (NaN payloads, infinities, -0 and subnormals included), bools 0/1.
Tensor random_bits(Shape shape, DType dtype, std::mt19937& rng) {
  Tensor t = empty(std::move(shape), dtype);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i)
    p[i] = static_cast<unsigned char>(dtype == DType::boolean ? rng() % 2 : rng() % 256);
  return t;
}

}  // namespace

TEST(SafetensorsRoundTrip, EveryDTypeBitExact) {
  ScratchDir dir("st_roundtrip");
  std::mt19937 rng(7);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (DType dt : kAllDTypes) {
    const std::string n(dtype_name(dt));
    tensors.emplace_back(n, random_bits({3, 5, 7}, dt, rng));
    tensors.emplace_back(n + ".scalar", random_bits({}, dt, rng));
    tensors.emplace_back(n + ".empty", random_bits({0, 4}, dt, rng));
    tensors.emplace_back(n + ".odd", random_bits({13}, dt, rng));  // odd sizes: later data unaligned
  }
  auto path = dir / "all.safetensors";
  save_safetensors(path, tensors);
  auto back = load_safetensors(path);
  ASSERT_EQ(back.size(), tensors.size());
  // Written in order, so data offsets follow the input order.
  for (size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].first);
    EXPECT_EQ(back[i].first, tensors[i].first);
    EXPECT_TRUE(ember::testing::same_bytes(back[i].second, tensors[i].second));
    EXPECT_EQ(back[i].second.device(), Device::cpu());
    EXPECT_FALSE(back[i].second.requires_grad());
  }
  // ember -> file -> ember -> file gives the same bytes.
  save_safetensors(dir / "again.safetensors", back);
  EXPECT_EQ(ember::testing::read_bytes(path), ember::testing::read_bytes(dir / "again.safetensors"));
}

TEST(SafetensorsRoundTrip, NonContiguousAndGradTensorsAreWrittenAsValues) {
  ScratchDir dir("st_views");
  Tensor a = arange(24, DType::f32).reshape({4, 6});
  Tensor w = randn({3, 2}).requires_grad_();
  auto path = dir / "v.safetensors";
  save_safetensors(path, {{"t", a.t()}, {"s", a.slice(1, 1, 5, 2)}, {"w", w}});
  auto back = load_safetensors(path);
  EXPECT_TRUE(ember::testing::same_bytes(back[0].second, a.t().contiguous()));
  EXPECT_TRUE(ember::testing::same_bytes(back[1].second, a.slice(1, 1, 5, 2).contiguous()));
  EXPECT_TRUE(ember::testing::same_bytes(back[2].second, w.detach()));
}

TEST(SafetensorsRoundTrip, NamesNeedingJsonEscapes) {
  ScratchDir dir("st_names");
  const std::vector<std::string> names = {"a\"b", "back\\slash", "tab\there", "ctl\x01", "", "ünïcødé.权重",
                                          "layer1.0.conv1.weight"};
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (size_t i = 0; i < names.size(); ++i) tensors.emplace_back(names[i], full({2}, double(i)));
  save_safetensors(dir / "n.safetensors", tensors);
  auto back = load_safetensors(dir / "n.safetensors");
  ASSERT_EQ(back.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(back[i].first, names[i]);
    EXPECT_EQ(back[i].second.to_vector<float>(), std::vector<float>(2, float(i)));
  }
}

TEST(SafetensorsRoundTrip, WriterRefusesBadNamesAndLeavesNoFile) {
  ScratchDir dir("st_badnames");
  auto path = dir / "x.safetensors";
  EXPECT_THROW(save_safetensors(path, {{"a", ones({1})}, {"a", ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path, {{"__metadata__", ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path, {{"bad\xff", ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path, {{"undef", Tensor()}}), ValueError);
  EXPECT_FALSE(std::filesystem::exists(path));
  // A directory that does not exist: IOError naming the file.
  try {
    save_safetensors(dir / "missing" / "y.safetensors", {{"a", ones({1})}});
    FAIL() << "no error";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("y.safetensors"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsRoundTrip, OverwriteIsAtomicAndLeavesNoTemporary) {
  ScratchDir dir("st_atomic");
  auto path = dir / "w.safetensors";
  save_safetensors(path, {{"a", ones({4})}});
  save_safetensors(path, {{"b", zeros({2, 2}, DType::f64)}});
  auto back = load_safetensors(path);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, "b");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u) << "a temporary file was left behind";
  // A failed write (a directory squats on the temporary's name) leaves the old file intact.
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  std::filesystem::create_directory(tmp);
  EXPECT_THROW(save_safetensors(path, {{"c", ones({1})}}), IOError);
  EXPECT_EQ(load_safetensors(path)[0].first, "b");
}

TEST(SafetensorsRoundTrip, EmptyFile) {
  ScratchDir dir("st_emptyset");
  save_safetensors(dir / "e.safetensors", {});
  EXPECT_TRUE(load_safetensors(dir / "e.safetensors").empty());
}

TEST(SafetensorsRoundTrip, ReadsEveryDTypeWrittenByPyTorch) {
  auto t = load_safetensors(ember::testing::data_dir() / "serialize_dtypes.safetensors");
  ASSERT_EQ(t.size(), 10u);
  auto check_float = [&](const std::string& name, DType dt, Shape shape, double scale) {
    SCOPED_TRACE(name);
    Tensor x = ember::testing::find_tensor(t, name);
    ASSERT_TRUE(x.defined());
    EXPECT_EQ(x.dtype(), dt);
    std::vector<double> want;
    for (int i = 0; i < 12; ++i) want.push_back((i - 5.5) * scale);
    EXPECT_TRUE(ember::testing::assert_close(x, from_vector<double>(want, shape), ember::testing::Tol{0.0, 0.0}, name));
  };
  check_float("f64", DType::f64, {3, 4}, 0.125);
  check_float("f32", DType::f32, {2, 3, 2}, 0.25);
  check_float("f16", DType::f16, {12}, 0.5);
  check_float("bf16", DType::bf16, {4, 3}, 2.0);
  Tensor i64 = ember::testing::find_tensor(t, "i64");
  EXPECT_EQ(i64.dtype(), DType::i64);
  EXPECT_EQ(i64.shape(), (Shape{6, 2}));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(i64.contiguous().to_vector<int64_t>()[i], (i - 6) * int64_t{1000000007});
  Tensor i32 = ember::testing::find_tensor(t, "i32");
  EXPECT_EQ(i32.dtype(), DType::i32);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(i32.to_vector<int32_t>()[i], (i - 6) * 100003);
  Tensor u8 = ember::testing::find_tensor(t, "u8");
  EXPECT_EQ(u8.dtype(), DType::u8);
  EXPECT_EQ(u8.shape(), (Shape{3, 2, 2}));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(u8.to_vector<uint8_t>()[i], uint8_t(i * 21));
  Tensor b = ember::testing::find_tensor(t, "bool");
  EXPECT_EQ(b.dtype(), DType::boolean);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(b.to_vector<bool>()[i], i % 3 == 0);
  Tensor s = ember::testing::find_tensor(t, "scalar");
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item<float>(), 2.5f);
  Tensor e = ember::testing::find_tensor(t, "empty");
  EXPECT_EQ(e.shape(), (Shape{0, 3}));
}
