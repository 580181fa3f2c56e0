#pragma once
// Datasets: indexable collections of (input, target) examples on the host. Targets are
// whatever the task needs: class indices (i64 scalars), regression values (f32 scalars or
// vectors), boxes (4 numbers), multi-label masks.
#include <cstdint>
#include <span>
#include <vector>

#include "ember/core/tensor.h"

namespace ember::data {

// One example (from get) or one batch (from get_batch: a leading batch dimension on both).
struct Example {
  Tensor input;
  Tensor target;
};

// get() and get_batch() are const and must be safe to call from several threads at once:
// DataLoader workers call them concurrently.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // Example i, 0 <= i < size(): CPU tensors of any dtype and shape (images are u8 or f32,
  // class targets i64 scalars).
  virtual Example get(int64_t i) const = 0;
  // The examples at `indices` stacked along a new leading dim: input [B, ...] and target
  // [B, ...] with the examples' dtypes. The default calls get() for each index and requires
  // equal shapes and dtypes (ShapeError/DTypeError naming the indices otherwise);
  // InMemoryDataset overrides it with a memcpy gather.
  virtual Example get_batch(std::span<const int64_t> indices) const;
};

// All examples in two contiguous CPU tensors: inputs [N, ...] and targets [N, ...] of any
// dtypes, e.g. images [N, 1, 28, 28] u8 with classes [N] i64, table rows [N, F] f32 with
// values [N] or [N, T] f32, images with boxes [N, 4] f32.
class InMemoryDataset final : public Dataset {
 public:
  InMemoryDataset() = default;  // empty: size() == 0
  // Throws ShapeError/DTypeError/DeviceError when the tensors do not fit the contract above.
  // Non-contiguous tensors are copied.
  InMemoryDataset(Tensor inputs, Tensor targets);

  int64_t size() const override { return size_; }
  // Copies (never views of the dataset's storage).
  Example get(int64_t i) const override;
  Example get_batch(std::span<const int64_t> indices) const override;

  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }
  // Shape of one example's input (inputs().shape() without the leading N).
  Shape example_shape() const;
  // Shape of one example's target ({} for class indices).
  Shape target_shape() const;
  // Largest target + 1 (0 when empty); DTypeError unless the targets are int64 [N].
  int64_t num_classes() const;
  // A new dataset with the examples at `indices`, in that order (copies).
  InMemoryDataset subset(std::span<const int64_t> indices) const;

 private:
  Tensor inputs_;
  Tensor targets_;
  int64_t size_ = 0;
  size_t example_bytes_ = 0;
  size_t target_bytes_ = 0;
};

// Per-channel mean and standard deviation of inputs [N, C, ...] (dim 1 = channels) after
// multiplying by `scale` (1/255 turns u8 pixels into [0, 1]): the values to give normalize().
struct ChannelStats {
  std::vector<float> mean;
  std::vector<float> std;
};
ChannelStats channel_stats(const Tensor& inputs, double scale = 1.0);

}  // namespace ember::data
