#include "ember/data/dataset.h"

#include <cmath>
#include <cstring>

#include "ember/core/error.h"

namespace ember::data {

namespace {

// [b] followed by `shape`.
Shape batched(int64_t b, const Shape& shape) {
  Shape s{b};
  s.insert(s.end(), shape.begin(), shape.end());
  return s;
}

// Row i of a contiguous [N, ...] tensor, as a new tensor of the row's shape.
Tensor row_of(const Tensor& all, int64_t i, size_t row_bytes) {
  Tensor r = make_tensor(Shape(all.shape().begin() + 1, all.shape().end()), all.dtype(), Device::cpu());
  std::memcpy(r.raw_data(), static_cast<const char*>(all.raw_data()) + i * row_bytes, row_bytes);
  return r;
}

}  // namespace

Example Dataset::get_batch(std::span<const int64_t> indices) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  EMBER_CHECK(b > 0, ValueError, "get_batch: empty list of indices");
  Tensor inputs, targets;
  for (int64_t k = 0; k < b; ++k) {
    const int64_t i = indices[k];
    EMBER_CHECK(i >= 0 && i < size(), IndexError,
                "get_batch: index {} out of range for a dataset of {}", i, size());
    Example ex = get(i);
    Tensor x = ex.input.cpu().contiguous();
    Tensor y = ex.target.cpu().contiguous();
    if (k == 0) {
      inputs = make_tensor(batched(b, x.shape()), x.dtype(), Device::cpu());
      targets = make_tensor(batched(b, y.shape()), y.dtype(), Device::cpu());
    }
    const auto check = [&](const Tensor& t, const Tensor& all, const char* what) {
      const Shape first(all.shape().begin() + 1, all.shape().end());
      EMBER_CHECK(t.shape() == first, ShapeError,
                  "get_batch: example {} has {} shape {} but example {} has {}; a batch needs equal shapes", i,
                  what, shape_str(t.shape()), indices[0], shape_str(first));
      EMBER_CHECK(t.dtype() == all.dtype(), DTypeError, "get_batch: example {} has {} dtype {} but example {} has {}",
                  i, what, t.dtype(), indices[0], all.dtype());
    };
    check(x, inputs, "input");
    check(y, targets, "target");
    std::memcpy(static_cast<char*>(inputs.raw_data()) + k * x.nbytes(), x.raw_data(), x.nbytes());
    std::memcpy(static_cast<char*>(targets.raw_data()) + k * y.nbytes(), y.raw_data(), y.nbytes());
  }
  return {inputs, targets};
}

InMemoryDataset::InMemoryDataset(Tensor inputs, Tensor targets) {
  EMBER_CHECK(inputs.defined() && targets.defined(), ValueError,
              "InMemoryDataset: inputs and targets must be defined tensors");
  EMBER_CHECK(inputs.device().is_cpu() && targets.device().is_cpu(), DeviceError,
              "InMemoryDataset: tensors must be on the cpu, got inputs on {} and targets on {}",
              inputs.device(), targets.device());
  EMBER_CHECK(inputs.dim() >= 1 && targets.dim() >= 1 && inputs.size(0) == targets.size(0), ShapeError,
              "InMemoryDataset: expected inputs [N, ...] and targets [N, ...] with the same N, got {} and {}",
              shape_str(inputs.shape()), shape_str(targets.shape()));
  inputs_ = inputs.detach().contiguous();
  targets_ = targets.detach().contiguous();
  size_ = inputs_.size(0);
  example_bytes_ = size_ > 0 ? inputs_.nbytes() / static_cast<size_t>(size_) : 0;
  target_bytes_ = size_ > 0 ? targets_.nbytes() / static_cast<size_t>(size_) : 0;
}

Shape InMemoryDataset::example_shape() const {
  if (!inputs_.defined()) return {};
  return Shape(inputs_.shape().begin() + 1, inputs_.shape().end());
}

Shape InMemoryDataset::target_shape() const {
  if (!targets_.defined()) return {};
  return Shape(targets_.shape().begin() + 1, targets_.shape().end());
}

int64_t InMemoryDataset::num_classes() const {
  if (size_ == 0) return 0;
  EMBER_CHECK(targets_.dtype() == DType::i64 && targets_.dim() == 1, DTypeError,
              "InMemoryDataset::num_classes: needs class-index targets (int64 [N]), these are {} {}",
              targets_.dtype(), shape_str(targets_.shape()));
  const int64_t* t = targets_.data<int64_t>();
  int64_t m = t[0];
  for (int64_t i = 1; i < size_; ++i) m = std::max(m, t[i]);
  return m + 1;
}

Example InMemoryDataset::get(int64_t i) const {
  EMBER_CHECK(i >= 0 && i < size_, IndexError,
              "InMemoryDataset::get: index {} out of range for a dataset of {}", i, size_);
  return {row_of(inputs_, i, example_bytes_), row_of(targets_, i, target_bytes_)};
}

Example InMemoryDataset::get_batch(std::span<const int64_t> indices) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  Tensor x = make_tensor(batched(b, example_shape()), inputs_.dtype(), Device::cpu());
  Tensor y = make_tensor(batched(b, target_shape()), targets_.dtype(), Device::cpu());
  const char* xs = static_cast<const char*>(inputs_.raw_data());
  const char* ys = static_cast<const char*>(targets_.raw_data());
  char* xd = static_cast<char*>(x.raw_data());
  char* yd = static_cast<char*>(y.raw_data());
  for (int64_t k = 0; k < b; ++k) {
    const int64_t i = indices[k];
    EMBER_CHECK(i >= 0 && i < size_, IndexError,
                "InMemoryDataset::get_batch: index {} out of range for a dataset of {}", i, size_);
    std::memcpy(xd + k * example_bytes_, xs + i * example_bytes_, example_bytes_);
    std::memcpy(yd + k * target_bytes_, ys + i * target_bytes_, target_bytes_);
  }
  return {x, y};
}

InMemoryDataset InMemoryDataset::subset(std::span<const int64_t> indices) const {
  Example ex = get_batch(indices);
  return InMemoryDataset(ex.input, ex.target);
}

ChannelStats channel_stats(const Tensor& inputs, double scale) {
  EMBER_CHECK(inputs.dim() >= 2, ShapeError, "channel_stats: expected inputs [N, C, ...], got {}",
              shape_str(inputs.shape()));
  EMBER_CHECK(inputs.dtype() == DType::u8 || inputs.dtype() == DType::f32, DTypeError,
              "channel_stats: expected uint8 or float32 inputs, got {}", inputs.dtype());
  Tensor x = inputs.cpu().contiguous();
  const int64_t n = x.size(0), c = x.size(1);
  const int64_t inner = n * c > 0 ? x.numel() / (n * c) : 0;
  std::vector<double> sum(c, 0.0), sq(c, 0.0);
  auto accumulate = [&](auto* p) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch) {
        const auto* q = p + (i * c + ch) * inner;
        double s = 0, s2 = 0;
        for (int64_t k = 0; k < inner; ++k) {
          double v = static_cast<double>(q[k]);
          s += v;
          s2 += v * v;
        }
        sum[ch] += s;
        sq[ch] += s2;
      }
  };
  if (x.dtype() == DType::u8)
    accumulate(x.data<uint8_t>());
  else
    accumulate(x.data<float>());
  ChannelStats st;
  const double count = static_cast<double>(n * inner);
  EMBER_CHECK(count > 0, ValueError, "channel_stats: no values in inputs of shape {}",
              shape_str(inputs.shape()));
  for (int64_t ch = 0; ch < c; ++ch) {
    double m = sum[ch] / count;
    double var = std::max(0.0, sq[ch] / count - m * m);
    st.mean.push_back(static_cast<float>(m * scale));
    st.std.push_back(static_cast<float>(std::sqrt(var) * scale));
  }
  return st;
}

}  // namespace ember::data
