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

constexpr double kInv2Pow32 = 1.0 / 4294967296.0;
constexpr double kInv2Pow53 = 1.0 / 9007199254740992.0;

// Uniform [0,1) with full mantissa for the dtype, from two 32-bit words.
inline double uniform01(uint32_t hi, uint32_t lo, DType dtype) {
  if (dtype == DType::f64) return static_cast<double>(((uint64_t{hi} << 32 | lo) >> 11)) * kInv2Pow53;
  return static_cast<double>(hi >> 8) * (1.0 / 16777216.0);
}

}  // namespace

Tensor empty(Shape shape, DType dtype, Device device) { return make_tensor(std::move(shape), dtype, device); }

Tensor full(Shape shape, double value, DType dtype, Device device) {
  Tensor t = make_tensor(std::move(shape), dtype, device);
  EMBER_KERNEL(fill, Fill, device)(t, value);
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

namespace {

// Uniform draws on [0, 1), two 32-bit words each, two per Philox counter: element i of a
// draw depends only on (seed, first counter, i).
struct UniformDraw {
  UniformDraw(Generator& g, int64_t n) : seed(g.seed()), base(g.reserve(static_cast<uint64_t>((n + 1) / 2))) {}
  double at(int64_t i, DType dtype) const {
    auto r = philox4x32(seed, base + static_cast<uint64_t>(i / 2));
    int lane = static_cast<int>(i % 2) * 2;
    return uniform01(r[lane], r[lane + 1], dtype);
  }
  uint64_t seed, base;
};

// 1 where a uniform draw falls below prob(i).
template <class Prob>
Tensor bernoulli_draw(const Shape& shape, DType dtype, Device device, Generator* gen, Prob prob) {
  UniformDraw u(gen_or_default(gen), numel_of(shape));
  return host_then_move(generate(shape, dtype, [&](int64_t i) { return u.at(i, DType::f64) < prob(i) ? 1.0 : 0.0; }),
                        device);
}

}  // namespace

Tensor rand(Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(is_floating(dtype), DTypeError, "rand: dtype must be floating point, got {}", dtype);
  UniformDraw u(gen_or_default(gen), numel_of(shape));
  return host_then_move(generate(shape, dtype, [&](int64_t i) { return u.at(i, dtype); }), device);
}

Tensor randn(Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(is_floating(dtype), DTypeError, "randn: dtype must be floating point, got {}", dtype);
  Generator& g = gen_or_default(gen);
  const int64_t n = numel_of(shape);
  const uint64_t seed = g.seed();
  const uint64_t base = g.reserve(static_cast<uint64_t>(n));
  return host_then_move(generate(shape, dtype, [&](int64_t i) {
                          auto r = philox4x32(seed, base + static_cast<uint64_t>(i));
                          // Box-Muller; u1 in (0, 1] so that log(u1) is finite.
                          double u1 = 1.0 - static_cast<double>((uint64_t{r[0]} << 32 | r[1]) >> 11) * kInv2Pow53;
                          double u2 = static_cast<double>((uint64_t{r[2]} << 32 | r[3]) >> 11) * kInv2Pow53;
                          return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
                        }),
                        device);
}

Tensor randint(int64_t low, int64_t high, Shape shape, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(high > low, ValueError, "randint: empty range [{}, {})", low, high);
  Generator& g = gen_or_default(gen);
  const int64_t n = numel_of(shape);
  const uint64_t seed = g.seed();
  const uint64_t base = g.reserve(static_cast<uint64_t>(n));
  const auto range = static_cast<uint64_t>(high - low);
  return host_then_move(generate(shape, dtype, [&](int64_t i) {
                          auto r = philox4x32(seed, base + static_cast<uint64_t>(i));
                          uint64_t v = (uint64_t{r[0]} << 32 | r[1]);
                          // 64 random bits modulo a range below 2^63: bias < 2^-1 only for absurd ranges
                          return static_cast<double>(low + static_cast<int64_t>(v % range));
                        }),
                        device);
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  EMBER_CHECK(p.defined(), ValueError, "bernoulli: probabilities are undefined");
  EMBER_CHECK(is_floating(p.dtype()), DTypeError, "bernoulli: probabilities must be floating point, got {}",
              p.dtype());
  Tensor probs = p.detach().to(Device::cpu()).to(DType::f64).contiguous();
  const double* pp = probs.data<double>();
  for (int64_t i = 0; i < probs.numel(); ++i)
    EMBER_CHECK(pp[i] >= 0.0 && pp[i] <= 1.0, ValueError,
                "bernoulli: probability {} at index {} is outside [0, 1]", pp[i], i);
  return bernoulli_draw(p.shape(), p.dtype(), p.device(), gen, [pp](int64_t i) { return pp[i]; });
}

Tensor bernoulli(Shape shape, double p, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, ValueError, "bernoulli: probability {} is outside [0, 1]", p);
  return bernoulli_draw(shape, dtype, device, gen, [p](int64_t) { return p; });
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
