#pragma once
// Batch transforms for images [N, C, H, W] (u8 or f32). Random transforms take an explicit
// Generator: each call reserves N counters (gen.reserve(N)) and sample i draws from
// philox4x32(gen.seed(), first + i), so the result depends only on the generator's state,
// never on threads. None of them records autograd history; all return new tensors.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/core/generator.h"
#include "ember/core/tensor.h"

namespace ember::data {

// (x * scale - mean[c]) / std[c] per channel (dim 1) of x [N, C, ...] u8 or f32, giving f32.
// scale <= 0 means "automatic": 1/255 for u8 (pixels to [0, 1], as torchvision's ToTensor)
// and 1 for f32. mean and std have C entries, or one entry used for every channel.
Tensor normalize(const Tensor& x, const std::vector<float>& mean, const std::vector<float>& std,
                 double scale = 0.0);
// u8 -> f32 times scale (1/255 by default); f32 -> a contiguous copy times scale.
Tensor to_float(const Tensor& x, double scale = 1.0 / 255.0);

// Mirrors every image along its width.
Tensor horizontal_flip(const Tensor& x);
// Mirrors each image with probability p.
Tensor random_horizontal_flip(const Tensor& x, Generator& gen, double p = 0.5);
// Pads each image by `padding` pixels of `fill` on every side, then crops an out_h x out_w
// window at a random position (uniform over all positions), as torchvision's
// RandomCrop(size, padding). out_h/out_w <= 0 mean the input's size. Needs
// out_h <= H + 2*padding and out_w <= W + 2*padding.
Tensor random_crop(const Tensor& x, int64_t padding, Generator& gen, int64_t out_h = 0,
                   int64_t out_w = 0, double fill = 0.0);
// Shifts each image by a whole number of pixels, dx uniform in [-max_dx, max_dx] and dy in
// [-max_dy, max_dy]; uncovered pixels get `fill`. Same shape as the input.
Tensor random_translate(const Tensor& x, int64_t max_dx, int64_t max_dy, Generator& gen,
                        double fill = 0.0);
// The crop that random_crop takes with offsets (oy[i], ox[i]) into the padded image: the
// deterministic core of random_crop and random_translate, exposed for tests.
Tensor crop_padded(const Tensor& x, int64_t padding, int64_t out_h, int64_t out_w,
                   const std::vector<int64_t>& oy, const std::vector<int64_t>& ox, double fill);

// A step of a DataLoader's transform pipeline: batch in, batch out. Must be safe to call from
// several threads at once (operator() is const); randomness only from `gen`.
class Transform {
 public:
  virtual ~Transform() = default;
  virtual Tensor operator()(const Tensor& batch, Generator& gen) const = 0;
  virtual std::string name() const = 0;
};
using TransformPtr = std::shared_ptr<const Transform>;

TransformPtr make_normalize(std::vector<float> mean, std::vector<float> std, double scale = 0.0);
TransformPtr make_random_crop(int64_t padding, int64_t out_h = 0, int64_t out_w = 0,
                              double fill = 0.0);
TransformPtr make_random_horizontal_flip(double p = 0.5);
TransformPtr make_random_translate(int64_t max_dx, int64_t max_dy, double fill = 0.0);
// Any function of (batch, generator); it must be thread-safe.
TransformPtr make_lambda(std::string name, std::function<Tensor(const Tensor&, Generator&)> fn);

}  // namespace ember::data
