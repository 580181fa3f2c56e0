#include "ember/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ember/core/error.h"

namespace ember::data {

namespace {

Tensor check_images(const Tensor& x, const char* op) {
  EMBER_CHECK(x.defined(), ValueError, "{}: undefined tensor", op);
  EMBER_CHECK(x.dim() == 4, ShapeError, "{}: expected a batch of images [N, C, H, W], got {}", op,
              shape_str(x.shape()));
  EMBER_CHECK(x.dtype() == DType::u8 || x.dtype() == DType::f32, DTypeError,
              "{}: expected uint8 or float32 images, got {}", op, x.dtype());
  EMBER_CHECK(x.device().is_cpu(), DeviceError, "{}: expected a cpu tensor, got {}", op,
              x.device());
  return x.detach().contiguous();
}

// Uniform integer in [0, n) from 32 random bits.
int64_t uniform_below(uint32_t bits, int64_t n) {
  return static_cast<int64_t>((static_cast<uint64_t>(bits) * static_cast<uint64_t>(n)) >> 32);
}

template <class T>
T fill_as(double fill) {
  if constexpr (std::is_same_v<T, uint8_t>)
    return static_cast<uint8_t>(std::clamp(std::lround(fill), 0L, 255L));
  else
    return static_cast<T>(fill);
}

template <class T>
void crop_kernel(const T* src, T* dst, int64_t n, int64_t c, int64_t h, int64_t w, int64_t p,
                 int64_t oh, int64_t ow, const std::vector<int64_t>& oy,
                 const std::vector<int64_t>& ox, T fill) {
  for (int64_t i = 0; i < n; ++i) {
    // Output column x reads input column ox + x - p; the valid ones are [x0, x1).
    const int64_t shift_x = ox[i] - p, shift_y = oy[i] - p;
    const int64_t x0 = std::clamp<int64_t>(-shift_x, 0, ow);
    const int64_t x1 = std::clamp<int64_t>(w - shift_x, x0, ow);
    for (int64_t ch = 0; ch < c; ++ch) {
      const T* plane = src + (i * c + ch) * h * w;
      T* out = dst + (i * c + ch) * oh * ow;
      for (int64_t y = 0; y < oh; ++y) {
        T* row = out + y * ow;
        const int64_t sy = y + shift_y;
        if (sy < 0 || sy >= h) {
          std::fill(row, row + ow, fill);
          continue;
        }
        std::fill(row, row + x0, fill);
        if (x1 > x0) std::memcpy(row + x0, plane + sy * w + x0 + shift_x, (x1 - x0) * sizeof(T));
        std::fill(row + x1, row + ow, fill);
      }
    }
  }
}

template <class T>
void flip_kernel(const T* src, T* dst, int64_t rows, int64_t w, const std::vector<char>& per_image,
                 int64_t rows_per_image) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* s = src + r * w;
    T* d = dst + r * w;
    if (per_image[r / rows_per_image])
      std::reverse_copy(s, s + w, d);
    else
      std::copy(s, s + w, d);
  }
}

Tensor flip_where(const Tensor& xc, const std::vector<char>& which) {
  const int64_t n = xc.size(0), c = xc.size(1), h = xc.size(2), w = xc.size(3);
  Tensor out = make_tensor(xc.shape(), xc.dtype(), Device::cpu());
  if (xc.dtype() == DType::u8)
    flip_kernel(xc.data<uint8_t>(), out.data<uint8_t>(), n * c * h, w, which, c * h);
  else
    flip_kernel(xc.data<float>(), out.data<float>(), n * c * h, w, which, c * h);
  return out;
}

}  // namespace

Tensor to_float(const Tensor& x, double scale) {
  EMBER_CHECK(x.dtype() == DType::u8 || x.dtype() == DType::f32, DTypeError,
              "to_float: expected uint8 or float32, got {}", x.dtype());
  Tensor xc = x.detach().cpu().contiguous();
  Tensor out = make_tensor(xc.shape(), DType::f32, Device::cpu());
  float* o = out.data<float>();
  const float s = static_cast<float>(scale);
  const int64_t n = xc.numel();
  if (xc.dtype() == DType::u8) {
    const uint8_t* p = xc.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(p[i]) * s;
  } else {
    const float* p = xc.data<float>();
    for (int64_t i = 0; i < n; ++i) o[i] = p[i] * s;
  }
  return out;
}

Tensor normalize(const Tensor& x, const std::vector<float>& mean, const std::vector<float>& std,
                 double scale) {
  EMBER_CHECK(x.defined() && x.dim() >= 2, ShapeError, "normalize: expected [N, C, ...], got {}",
              x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  EMBER_CHECK(x.dtype() == DType::u8 || x.dtype() == DType::f32, DTypeError,
              "normalize: expected uint8 or float32, got {}", x.dtype());
  const int64_t n = x.size(0), c = x.size(1);
  auto per_channel = [&](const std::vector<float>& v, const char* what) {
    EMBER_CHECK(static_cast<int64_t>(v.size()) == c || v.size() == 1, ShapeError,
                "normalize: {} has {} values but the input {} has {} channels", what, v.size(),
                shape_str(x.shape()), c);
    return v.size() == 1 ? std::vector<float>(c, v[0]) : v;
  };
  std::vector<float> m = per_channel(mean, "mean"), s = per_channel(std, "std");
  if (scale <= 0) scale = x.dtype() == DType::u8 ? 1.0 / 255.0 : 1.0;
  std::vector<float> a(c), b(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    EMBER_CHECK(s[ch] > 0 && std::isfinite(s[ch]), ValueError,
                "normalize: std[{}] is {}, expected a positive number", ch, s[ch]);
    a[ch] = static_cast<float>(scale / s[ch]);
    b[ch] = -m[ch] / s[ch];
  }
  Tensor xc = x.detach().cpu().contiguous();
  Tensor out = make_tensor(xc.shape(), DType::f32, Device::cpu());
  const int64_t inner = n * c > 0 ? xc.numel() / (n * c) : 0;
  float* o = out.data<float>();
  auto run = [&](const auto* p) {
    for (int64_t i = 0; i < n * c; ++i) {
      const float ai = a[i % c], bi = b[i % c];
      const auto* q = p + i * inner;
      float* r = o + i * inner;
      for (int64_t k = 0; k < inner; ++k) r[k] = static_cast<float>(q[k]) * ai + bi;
    }
  };
  if (xc.dtype() == DType::u8)
    run(xc.data<uint8_t>());
  else
    run(xc.data<float>());
  return out;
}

Tensor horizontal_flip(const Tensor& x) {
  Tensor xc = check_images(x, "horizontal_flip");
  return flip_where(xc, std::vector<char>(xc.size(0), 1));
}

Tensor random_horizontal_flip(const Tensor& x, Generator& gen, double p) {
  Tensor xc = check_images(x, "random_horizontal_flip");
  EMBER_CHECK(p >= 0 && p <= 1, ValueError, "random_horizontal_flip: p must be in [0, 1], got {}",
              p);
  const int64_t n = xc.size(0);
  const uint64_t first = gen.reserve(static_cast<uint64_t>(n));
  const double threshold = p * 4294967296.0;
  std::vector<char> which(n);
  for (int64_t i = 0; i < n; ++i)
    which[i] = static_cast<double>(philox4x32(gen.seed(), first + i)[0]) < threshold;
  return flip_where(xc, which);
}

Tensor crop_padded(const Tensor& x, int64_t padding, int64_t out_h, int64_t out_w,
                   const std::vector<int64_t>& oy, const std::vector<int64_t>& ox, double fill) {
  Tensor xc = check_images(x, "crop_padded");
  const int64_t n = xc.size(0), c = xc.size(1), h = xc.size(2), w = xc.size(3);
  EMBER_CHECK(padding >= 0, ValueError, "crop_padded: padding must be >= 0, got {}", padding);
  EMBER_CHECK(out_h > 0 && out_w > 0 && out_h <= h + 2 * padding && out_w <= w + 2 * padding,
              ShapeError, "crop_padded: a {}x{} crop does not fit {}x{} images padded by {}", out_h,
              out_w, h, w, padding);
  EMBER_CHECK(static_cast<int64_t>(oy.size()) == n && static_cast<int64_t>(ox.size()) == n,
              ShapeError, "crop_padded: {} and {} offsets for {} images", oy.size(), ox.size(), n);
  for (int64_t i = 0; i < n; ++i)
    EMBER_CHECK(oy[i] >= 0 && ox[i] >= 0 && oy[i] + out_h <= h + 2 * padding &&
                    ox[i] + out_w <= w + 2 * padding,
                IndexError, "crop_padded: offset ({}, {}) of image {} is outside the padded image",
                oy[i], ox[i], i);
  Tensor out = make_tensor({n, c, out_h, out_w}, xc.dtype(), Device::cpu());
  if (xc.dtype() == DType::u8)
    crop_kernel(xc.data<uint8_t>(), out.data<uint8_t>(), n, c, h, w, padding, out_h, out_w, oy, ox,
                fill_as<uint8_t>(fill));
  else
    crop_kernel(xc.data<float>(), out.data<float>(), n, c, h, w, padding, out_h, out_w, oy, ox,
                fill_as<float>(fill));
  return out;
}

Tensor random_crop(const Tensor& x, int64_t padding, Generator& gen, int64_t out_h, int64_t out_w,
                   double fill) {
  check_images(x, "random_crop");
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  if (out_h <= 0) out_h = h;
  if (out_w <= 0) out_w = w;
  EMBER_CHECK(padding >= 0, ValueError, "random_crop: padding must be >= 0, got {}", padding);
  EMBER_CHECK(out_h <= h + 2 * padding && out_w <= w + 2 * padding, ShapeError,
              "random_crop: a {}x{} crop does not fit {}x{} images padded by {}", out_h, out_w, h,
              w, padding);
  const int64_t range_y = h + 2 * padding - out_h + 1, range_x = w + 2 * padding - out_w + 1;
  const uint64_t first = gen.reserve(static_cast<uint64_t>(n));
  std::vector<int64_t> oy(n), ox(n);
  for (int64_t i = 0; i < n; ++i) {
    auto r = philox4x32(gen.seed(), first + i);
    oy[i] = uniform_below(r[0], range_y);
    ox[i] = uniform_below(r[1], range_x);
  }
  return crop_padded(x, padding, out_h, out_w, oy, ox, fill);
}

Tensor random_translate(const Tensor& x, int64_t max_dx, int64_t max_dy, Generator& gen,
                        double fill) {
  check_images(x, "random_translate");
  EMBER_CHECK(max_dx >= 0 && max_dy >= 0, ValueError,
              "random_translate: max_dx and max_dy must be >= 0, got {} and {}", max_dx, max_dy);
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  // A shift by (dx, dy) is the crop at offset (p - dy, p - dx) of the image padded by p.
  const int64_t p = std::max(max_dx, max_dy);
  const uint64_t first = gen.reserve(static_cast<uint64_t>(n));
  std::vector<int64_t> oy(n), ox(n);
  for (int64_t i = 0; i < n; ++i) {
    auto r = philox4x32(gen.seed(), first + i);
    const int64_t dx = uniform_below(r[0], 2 * max_dx + 1) - max_dx;
    const int64_t dy = uniform_below(r[1], 2 * max_dy + 1) - max_dy;
    oy[i] = p - dy;
    ox[i] = p - dx;
  }
  return crop_padded(x, p, h, w, oy, ox, fill);
}

namespace {

class Normalize final : public Transform {
 public:
  Normalize(std::vector<float> m, std::vector<float> s, double scale)
      : mean_(std::move(m)), std_(std::move(s)), scale_(scale) {}
  Tensor operator()(const Tensor& b, Generator&) const override {
    return normalize(b, mean_, std_, scale_);
  }
  std::string name() const override { return "normalize"; }

 private:
  std::vector<float> mean_, std_;
  double scale_;
};

class RandomCrop final : public Transform {
 public:
  RandomCrop(int64_t p, int64_t h, int64_t w, double fill) : p_(p), h_(h), w_(w), fill_(fill) {}
  Tensor operator()(const Tensor& b, Generator& g) const override {
    return random_crop(b, p_, g, h_, w_, fill_);
  }
  std::string name() const override { return "random_crop"; }

 private:
  int64_t p_, h_, w_;
  double fill_;
};

class RandomFlip final : public Transform {
 public:
  explicit RandomFlip(double p) : p_(p) {}
  Tensor operator()(const Tensor& b, Generator& g) const override {
    return random_horizontal_flip(b, g, p_);
  }
  std::string name() const override { return "random_horizontal_flip"; }

 private:
  double p_;
};

class RandomTranslate final : public Transform {
 public:
  RandomTranslate(int64_t dx, int64_t dy, double fill) : dx_(dx), dy_(dy), fill_(fill) {}
  Tensor operator()(const Tensor& b, Generator& g) const override {
    return random_translate(b, dx_, dy_, g, fill_);
  }
  std::string name() const override { return "random_translate"; }

 private:
  int64_t dx_, dy_;
  double fill_;
};

class Lambda final : public Transform {
 public:
  Lambda(std::string name, std::function<Tensor(const Tensor&, Generator&)> fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}
  Tensor operator()(const Tensor& b, Generator& g) const override { return fn_(b, g); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::function<Tensor(const Tensor&, Generator&)> fn_;
};

}  // namespace

TransformPtr make_normalize(std::vector<float> mean, std::vector<float> std, double scale) {
  EMBER_CHECK(!mean.empty() && mean.size() == std.size(), ValueError,
              "make_normalize: mean has {} values and std {}; expected the same number (>= 1)",
              mean.size(), std.size());
  return std::make_shared<Normalize>(std::move(mean), std::move(std), scale);
}
TransformPtr make_random_crop(int64_t padding, int64_t out_h, int64_t out_w, double fill) {
  EMBER_CHECK(padding >= 0, ValueError, "make_random_crop: padding must be >= 0, got {}", padding);
  return std::make_shared<RandomCrop>(padding, out_h, out_w, fill);
}
TransformPtr make_random_horizontal_flip(double p) {
  EMBER_CHECK(p >= 0 && p <= 1, ValueError,
              "make_random_horizontal_flip: p must be in [0, 1], got {}", p);
  return std::make_shared<RandomFlip>(p);
}
TransformPtr make_random_translate(int64_t max_dx, int64_t max_dy, double fill) {
  EMBER_CHECK(max_dx >= 0 && max_dy >= 0, ValueError,
              "make_random_translate: max_dx and max_dy must be >= 0, got {} and {}", max_dx,
              max_dy);
  return std::make_shared<RandomTranslate>(max_dx, max_dy, fill);
}
TransformPtr make_lambda(std::string name, std::function<Tensor(const Tensor&, Generator&)> fn) {
  EMBER_CHECK(fn != nullptr, ValueError, "make_lambda: '{}' has no function", name);
  return std::make_shared<Lambda>(std::move(name), std::move(fn));
}

}  // namespace ember::data
