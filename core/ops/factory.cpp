#include "ember/core/ops/factory.h"

#include <cmath>

#include "ember/core/dispatch.h"
#include "ember/core/ops/copy.h"

namespace ember {
namespace {

Tensor host_then_move(Tensor host, Device device) { return device.is_cpu() ? host : host.to(device); }

// Fills a new CPU tensor of `dtype` element by element from f(i) (a double).
template <class F>
Tensor generate(const Shape& shape, DType dtype, F f) {
  Tensor t = make_tensor(shape, dtype, Device::cpu());
  detail::dispatch_all(dtype, "generate", [&]<class T>() {
    T* p = t.data<T>();
    const int64_t n = t.numel();
#pragma omp parallel for if (n > 65536)
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, bool>) p[i] = f(i) != 0.0;
      else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) p[i] = T(static_cast<float>(f(i)));
      else p[i] = static_cast<T>(f(i));
    }
  });
  return t;
}

Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }

// Runs a Random kernel on the target device into a new contiguous tensor, reserving
// `counters` Philox counters (core/philox.h lists how many each draw takes).
Tensor draw(OpId op, Shape shape, DType dtype, Device device, Generator* gen, uint64_t counters, RandomArgs args,
            const Tensor& probs = Tensor()) {
  Tensor t = make_tensor(std::move(shape), dtype, device);
  Generator& g = gen_or_default(gen);
  args.seed = g.seed();
  args.offset = g.reserve(counters);
  if (t.numel() > 0) get_kernel<kernel::Random>(op, device.type)(t, probs, args);
  return t;
}

uint64_t pair_counters(const Shape& shape) { return static_cast<uint64_t>((numel_of(shape) + 1) / 2); }

}  // namespace

Tensor empty(Shape shape, DType dtype, Device device) { return make_tensor(std::move(shape), dtype, device); }

Tensor full(Shape shape, double value, DType dtype, Device device) {
  Tensor t = make_tensor(std::move(shape), dtype, device);
  get_kernel<OpId::fill>(device)(t, value);
  return t;
}
Tensor zeros(Shape shape, DType dtype, Device device) { return full(std::move(shape), 0.0, dtype, device); }
Tensor ones(Shape shape, DType dtype, Device device) { return full(std::move(shape), 1.0, dtype, device); }
Tensor scalar_tensor(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

Tensor arange(double start, double end, double step, DType dtype, Device device) {
  EMBER_CHECK(step != 0.0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step), ValueError,
              "arange: invalid range start={} end={} step={}", start, end, step);
  EMBER_CHECK((end - start) / step >= 0, ValueError,
              "arange: step {} has the wrong sign for start={} end={}", step, start, end);
  auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  return host_then_move(generate({n}, dtype, [&](int64_t i) { return start + static_cast<double>(i) * step; }), device);
}
Tensor arange(int64_t end, DType dtype, Device device) { return arange(0.0, static_cast<double>(end), 1.0, dtype, device); }

Tensor linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, ValueError, "linspace: steps must be >= 0, got {}", steps);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Second half counts back from end so that the last point is exactly `end`, as PyTorch.
  return host_then_move(generate({steps}, dtype, [&](int64_t i) {
                          return i < steps / 2 ? start + step * static_cast<double>(i)
                                               : end - step * static_cast<double>(steps - 1 - i);
                        }),
                        device);
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  EMBER_CHECK(n >= 0, ValueError, "eye: n must be >= 0, got {}", n);
  EMBER_CHECK(m >= -1, ValueError, "eye: m must be >= 0 (or -1 for m = n), got {}", m);
  if (m < 0) m = n;
  return host_then_move(generate({n, m}, dtype, [m](int64_t i) { return (i / m == i % m) ? 1.0 : 0.0; }), device);
}

Tensor rand(Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(is_floating(dtype), DTypeError, "rand: dtype must be floating point, got {}", dtype);
  const uint64_t counters = pair_counters(shape);
  return draw(OpId::random_uniform, std::move(shape), dtype, device, gen, counters, {});
}

Tensor randn(Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(is_floating(dtype), DTypeError, "randn: dtype must be floating point, got {}", dtype);
  const auto counters = static_cast<uint64_t>(numel_of(shape));
  return draw(OpId::random_normal, std::move(shape), dtype, device, gen, counters, {});
}

Tensor randint(int64_t low, int64_t high, Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(high > low, ValueError, "randint: empty range [{}, {})", low, high);
  const auto counters = static_cast<uint64_t>(numel_of(shape));
  return draw(OpId::random_int, std::move(shape), dtype, device, gen, counters, RandomArgs{.low = low, .high = high});
}

Tensor randperm(int64_t n, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(n >= 0, ValueError, "randperm: n must be >= 0, got {}", n);
  EMBER_CHECK(is_integral(dtype) || is_floating(dtype), DTypeError, "randperm: dtype must be numeric, got {}",
              dtype);
  // The largest n whose values 0..n-1 the dtype holds exactly.
  auto limit = [](DType d) -> int64_t {
    switch (d) {
      case DType::u8: return int64_t{1} << 8;
      case DType::bf16: return (int64_t{1} << 8) + 1;
      case DType::f16: return (int64_t{1} << 11) + 1;
      case DType::f32: return (int64_t{1} << 24) + 1;
      case DType::i32: return int64_t{1} << 31;
      default: return INT64_MAX;
    }
  };
  EMBER_CHECK(n <= limit(dtype), ValueError, "randperm: n = {} does not fit dtype {} (at most {})", n, dtype,
              limit(dtype));
  Generator& g = gen ? *gen : default_generator();
  const uint64_t first = g.reserve(static_cast<uint64_t>(n));
  return from_vector(random_permutation(n, g.seed(), first), {n}).to(dtype).to(device);
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  EMBER_CHECK(p.defined(), ValueError, "bernoulli: probabilities are undefined");
  EMBER_CHECK(is_floating(p.dtype()), DTypeError, "bernoulli: probabilities must be floating point, got {}",
              p.dtype());
  // Checked on the host for the message's index; the draw itself runs on p's device.
  Tensor probs = p.detach().to(Device::cpu()).to(DType::f64).contiguous();
  const double* pp = probs.data<double>();
  for (int64_t i = 0; i < probs.numel(); ++i)
    EMBER_CHECK(pp[i] >= 0.0 && pp[i] <= 1.0, ValueError,
                "bernoulli: probability {} at index {} is outside [0, 1]", pp[i], i);
  return draw(OpId::random_bernoulli, p.shape(), p.dtype(), p.device(), gen, pair_counters(p.shape()), {},
              p.device().is_cpu() ? probs : p.detach());
}

Tensor bernoulli(Shape shape, double p, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "bernoulli: probability {} is outside [0, 1]", p);
  const uint64_t counters = pair_counters(shape);
  return draw(OpId::random_bernoulli, std::move(shape), dtype, device, gen, counters, RandomArgs{.p = p});
}

static const Tensor& defined_or_throw(const Tensor& t, const char* op) {
  EMBER_CHECK(t.defined(), ValueError, "{}: input is undefined", op);
  return t;
}
Tensor empty_like(const Tensor& t) {
  defined_or_throw(t, "empty_like");
  return empty(t.shape(), t.dtype(), t.device());
}
Tensor zeros_like(const Tensor& t) {
  defined_or_throw(t, "zeros_like");
  return zeros(t.shape(), t.dtype(), t.device());
}
Tensor ones_like(const Tensor& t) {
  defined_or_throw(t, "ones_like");
  return ones(t.shape(), t.dtype(), t.device());
}
Tensor full_like(const Tensor& t, double v) {
  defined_or_throw(t, "full_like");
  return full(t.shape(), v, t.dtype(), t.device());
}

template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape, Device device) {
  EMBER_CHECK(static_cast<int64_t>(values.size()) == numel_of(shape), ShapeError,
              "from_vector: {} values for shape {} ({} elements)", values.size(), shape_str(shape),
              numel_of(shape));
  Tensor t = make_tensor(std::move(shape), dtype_v<T>, Device::cpu());
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return host_then_move(t, device);
}
template Tensor from_vector<float>(const std::vector<float>&, Shape, Device);
template Tensor from_vector<double>(const std::vector<double>&, Shape, Device);
template Tensor from_vector<int32_t>(const std::vector<int32_t>&, Shape, Device);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, Shape, Device);
template Tensor from_vector<uint8_t>(const std::vector<uint8_t>&, Shape, Device);
template Tensor from_vector<Half>(const std::vector<Half>&, Shape, Device);
template Tensor from_vector<BFloat16>(const std::vector<BFloat16>&, Shape, Device);

Tensor from_vector_bool(const std::vector<bool>& values, Shape shape) {
  std::vector<uint8_t> b(values.begin(), values.end());
  return from_vector(b, std::move(shape)).to(DType::boolean);
}

Tensor tensor(std::initializer_list<float> values, DType dtype) {
  return from_vector(std::vector<float>(values), {static_cast<int64_t>(values.size())}).to(dtype);
}
Tensor tensor(std::initializer_list<double> values, Shape shape, DType dtype) {
  return from_vector(std::vector<double>(values), std::move(shape)).to(dtype);
}

}  // namespace ember
