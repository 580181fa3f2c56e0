#pragma once
// Tensor factories. Random factories take an optional Generator (default: the global
// one); the same seed gives the same numbers for any thread count.
#include <vector>

#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember {

Tensor empty(Shape shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor zeros(Shape shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor ones(Shape shape, DType dtype = DType::f32, Device device = Device::cpu());
Tensor full(Shape shape, double value, DType dtype = DType::f32, Device device = Device::cpu());
Tensor scalar_tensor(double value, DType dtype = DType::f32, Device device = Device::cpu());
// [start, end) in steps of step; dtype i64 by default.
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::i64,
              Device device = Device::cpu());
Tensor arange(int64_t end, DType dtype = DType::i64, Device device = Device::cpu());
// steps points from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::f32,
                Device device = Device::cpu());
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::f32, Device device = Device::cpu());

// Uniform on [0, 1).
Tensor rand(Shape shape, DType dtype = DType::f32, Device device = Device::cpu(),
            Generator* gen = nullptr);
// Standard normal.
Tensor randn(Shape shape, DType dtype = DType::f32, Device device = Device::cpu(),
             Generator* gen = nullptr);
// Integers uniform on [low, high).
Tensor randint(int64_t low, int64_t high, Shape shape, DType dtype = DType::i64,
               Device device = Device::cpu(), Generator* gen = nullptr);
// A random permutation of 0..n-1 (any numeric dtype that holds n - 1 exactly), from n
// counters of the generator.
Tensor randperm(int64_t n, DType dtype = DType::i64, Device device = Device::cpu(), Generator* gen = nullptr);
// 1 with probability p (elementwise from a tensor of probabilities, or a scalar p).
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(Shape shape, double p, DType dtype = DType::f32, Device device = Device::cpu(),
                 Generator* gen = nullptr);

Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);

// Host data into a tensor; values.size() must equal the shape's element count.
template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape, Device device = Device::cpu());
Tensor from_vector_bool(const std::vector<bool>& values, Shape shape);
// 1-D convenience: tensor({1.f, 2.f, 3.f}).
Tensor tensor(std::initializer_list<float> values, DType dtype = DType::f32);
Tensor tensor(std::initializer_list<double> values, Shape shape, DType dtype = DType::f64);

}  // namespace ember
