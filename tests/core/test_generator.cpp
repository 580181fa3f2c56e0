#include <gtest/gtest.h>

#include <omp.h>

#include <ember/ember.h>

using namespace ember;

TEST(Generator, SameSeedSameNumbers) {
  Generator a(42), b(42), c(43);
  auto x = randn({1000}, DType::f32, Device::cpu(), &a).to_vector<float>();
  auto y = randn({1000}, DType::f32, Device::cpu(), &b).to_vector<float>();
  auto z = randn({1000}, DType::f32, Device::cpu(), &c).to_vector<float>();
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(Generator, ConsecutiveDrawsDiffer) {
  Generator g(7);
  auto x = rand({64}, DType::f32, Device::cpu(), &g).to_vector<float>();
  auto y = rand({64}, DType::f32, Device::cpu(), &g).to_vector<float>();
  EXPECT_NE(x, y);
}

TEST(Generator, IndependentOfThreadCount) {
  const int saved = omp_get_max_threads();
  std::vector<std::vector<double>> runs;
  for (int threads : {1, 2, 4}) {
    omp_set_num_threads(threads);
    Generator g(99);
    runs.push_back(randn({300000}, DType::f64, Device::cpu(), &g).to_vector<double>());
    Tensor s = sum(randn({300000}, DType::f32, Device::cpu(), &g));
    runs.back().push_back(s.item<float>());  // reductions are thread-count independent too
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[0], runs[2]);
}

TEST(Generator, ManualSeedResetsGlobal) {
  manual_seed(5);
  auto x = rand({10}).to_vector<float>();
  manual_seed(5);
  auto y = rand({10}).to_vector<float>();
  EXPECT_EQ(x, y);
}

TEST(Generator, StateRoundTrip) {
  Generator g(11);
  rand({5}, DType::f32, Device::cpu(), &g);
  uint64_t seed = g.seed(), off = g.offset();
  auto x = rand({5}, DType::f32, Device::cpu(), &g).to_vector<float>();
  Generator h;
  h.set_state(seed, off);
  EXPECT_EQ(rand({5}, DType::f32, Device::cpu(), &h).to_vector<float>(), x);
}

TEST(Generator, PhiloxKnownAnswer) {
  // Philox4x32-10 with key 0 and counter 0 (Random123's known-answer vector).
  auto r = philox4x32(0, 0);
  EXPECT_EQ(r[0], 0x6627e8d5u);
  EXPECT_EQ(r[1], 0xe169c58du);
  EXPECT_EQ(r[2], 0xbc57ac4cu);
  EXPECT_EQ(r[3], 0x9b00dbd8u);
}

TEST(Generator, Dropout) {
  Generator g(3);
  Tensor x = ones({10000});
  Tensor y = dropout(x, 0.25, true, &g);
  auto v = y.to_vector<float>();
  int zeros_n = 0;
  for (float e : v) {
    EXPECT_TRUE(e == 0.f || std::abs(e - 1.f / 0.75f) < 1e-6);
    zeros_n += e == 0.f;
  }
  EXPECT_NEAR(zeros_n / 10000.0, 0.25, 0.02);
  EXPECT_TRUE(dropout(x, 0.25, false, &g).is_same(x));
  Generator g2(3);
  EXPECT_EQ(dropout(x, 0.25, true, &g2).to_vector<float>(), v);
  EXPECT_THROW(dropout(x, 1.5, true), ValueError);
}
