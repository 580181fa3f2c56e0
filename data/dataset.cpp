#include "ember/data/dataset.h"

#include <cmath>
#include <cstring>

#include "ember/core/error.h"

namespace ember::data {

Example Dataset::get_batch(std::span<const int64_t> indices) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  EMBER_CHECK(b > 0, ValueError, "get_batch: empty list of indices");
  Tensor inputs, targets;
  size_t bytes = 0;
  Shape first_shape;
  for (int64_t k = 0; k < b; ++k) {
    const int64_t i = indices[k];
    EMBER_CHECK(i >= 0 && i < size(), IndexError,
                "get_batch: index {} out of range for a dataset of {}", i, size());
    Example ex = get(i);
    Tensor x = ex.input.contiguous();
    Tensor y = ex.target;
    EMBER_CHECK(y.numel() == 1, ShapeError,
                "get_batch: example {} has a target of shape {}, expected a scalar", i,
                shape_str(y.shape()));
    if (k == 0) {
      first_shape = x.shape();
      Shape s{b};
      s.insert(s.end(), first_shape.begin(), first_shape.end());
      inputs = make_tensor(s, x.dtype(), Device::cpu());
      targets = make_tensor({b}, DType::i64, Device::cpu());
      bytes = x.nbytes();
    } else {
      EMBER_CHECK(x.shape() == first_shape, ShapeError,
                  "get_batch: example {} has input shape {} but example {} has {}; a batch needs "
                  "equal shapes",
                  i, shape_str(x.shape()), indices[0], shape_str(first_shape));
      EMBER_CHECK(x.dtype() == inputs.dtype(), DTypeError,
                  "get_batch: example {} has dtype {} but example {} has {}", i, x.dtype(),
                  indices[0], inputs.dtype());
    }
    std::memcpy(static_cast<char*>(inputs.raw_data()) + k * bytes, x.cpu().raw_data(), bytes);
    targets.data<int64_t>()[k] = static_cast<int64_t>(y.item<double>());
  }
  return {inputs, targets};
}

InMemoryDataset::InMemoryDataset(Tensor inputs, Tensor targets) {
  EMBER_CHECK(inputs.defined() && targets.defined(), ValueError,
              "InMemoryDataset: inputs and targets must be defined tensors");
  EMBER_CHECK(inputs.device().is_cpu() && targets.device().is_cpu(), DeviceError,
              "InMemoryDataset: tensors must be on the cpu, got inputs on {} and targets on {}",
              inputs.device(), targets.device());
  EMBER_CHECK(inputs.dtype() == DType::u8 || inputs.dtype() == DType::f32, DTypeError,
              "InMemoryDataset: inputs must be uint8 or float32, got {}", inputs.dtype());
  EMBER_CHECK(targets.dtype() == DType::i64, DTypeError,
              "InMemoryDataset: targets must be int64, got {}", targets.dtype());
  EMBER_CHECK(inputs.dim() >= 1 && targets.dim() == 1 && inputs.size(0) == targets.size(0),
              ShapeError,
              "InMemoryDataset: expected inputs [N, ...] and targets [N], got {} and {}",
              shape_str(inputs.shape()), shape_str(targets.shape()));
  inputs_ = inputs.detach().contiguous();
  targets_ = targets.detach().contiguous();
  size_ = inputs_.size(0);
  example_bytes_ = size_ > 0 ? inputs_.nbytes() / static_cast<size_t>(size_) : 0;
}

Shape InMemoryDataset::example_shape() const {
  if (!inputs_.defined()) return {};
  return Shape(inputs_.shape().begin() + 1, inputs_.shape().end());
}

int64_t InMemoryDataset::num_classes() const {
  if (size_ == 0) return 0;
  const int64_t* t = targets_.data<int64_t>();
  int64_t m = t[0];
  for (int64_t i = 1; i < size_; ++i) m = std::max(m, t[i]);
  return m + 1;
}

Example InMemoryDataset::get(int64_t i) const {
  EMBER_CHECK(i >= 0 && i < size_, IndexError,
              "InMemoryDataset::get: index {} out of range for a dataset of {}", i, size_);
  Tensor x = make_tensor(example_shape(), inputs_.dtype(), Device::cpu());
  std::memcpy(x.raw_data(), static_cast<const char*>(inputs_.raw_data()) + i * example_bytes_,
              example_bytes_);
  Tensor y = make_tensor({}, DType::i64, Device::cpu());
  *y.data<int64_t>() = targets_.data<int64_t>()[i];
  return {x, y};
}

Example InMemoryDataset::get_batch(std::span<const int64_t> indices) const {
  const int64_t b = static_cast<int64_t>(indices.size());
  Shape s{b};
  Shape es = example_shape();
  s.insert(s.end(), es.begin(), es.end());
  Tensor x = make_tensor(s, inputs_.dtype(), Device::cpu());
  Tensor y = make_tensor({b}, DType::i64, Device::cpu());
  const char* src = static_cast<const char*>(inputs_.raw_data());
  char* dst = static_cast<char*>(x.raw_data());
  const int64_t* ts = targets_.data<int64_t>();
  int64_t* td = y.data<int64_t>();
  for (int64_t k = 0; k < b; ++k) {
    const int64_t i = indices[k];
    EMBER_CHECK(i >= 0 && i < size_, IndexError,
                "InMemoryDataset::get_batch: index {} out of range for a dataset of {}", i, size_);
    std::memcpy(dst + k * example_bytes_, src + i * example_bytes_, example_bytes_);
    td[k] = ts[i];
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
