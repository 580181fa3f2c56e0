#pragma once
// DataLoader: batches from a Dataset, shuffled per epoch, transformed, prefetched by workers.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/data/dataset.h"
#include "ember/data/transforms.h"

namespace ember::data {

struct Batch {
  Tensor inputs;      // f32 [B, ...] ([B, C, H, W] for images), on the cpu (pinned when
                      // DataLoader::pins_memory())
  Tensor targets;     // [B, ...] as the dataset gives them (i64 [B] for classes), on the cpu
                      // (pinned likewise)
  int64_t epoch = 0;  // where it came from
  int64_t index = 0;  // batch index within the epoch
};

// Where a loader is: next() returns batch `batch` of epoch `epoch`. Save it with a checkpoint
// and hand it to restore() (or begin_epoch(epoch, batch)) to continue exactly there.
struct LoaderPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
  bool operator==(const LoaderPosition&) const = default;
};

struct DataLoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = false;
  bool drop_last = false;  // drop the last batch when it would be smaller than batch_size
  // Seeds both the shuffling (epoch e uses a permutation derived from (seed, e)) and the
  // random transforms (batch b of epoch e uses a Generator derived from (seed, e, b)).
  uint64_t seed = 0;
  // 0: batches are made inside next() on the calling thread. N > 0: N background threads make
  // batches ahead of time; the batches and their order are the same for any N.
  int num_workers = 0;
  // At most this many batches are made ahead of the consumer (0: 2 * num_workers, min 2).
  int prefetch = 0;
  // Applied in order to each batch's inputs, with the batch's Generator.
  std::vector<TransformPtr> transforms;
  // Inputs still u8 after the transforms become f32 times this (1/255: pixels in [0, 1]).
  double u8_scale = 1.0 / 255.0;
  // Batches in page-locked (pinned) host memory, so that their copies to a CUDA device run
  // asynchronously (Tensor::pin_memory). The pinning copy is made in the worker threads, off
  // the training thread when num_workers > 0. A build without the CUDA backend cannot pin:
  // the constructor throws DeviceError. A build with it on a machine without a device gives
  // ordinary pageable batches, with the same values, and no error (pins_memory() is false),
  // so that one program runs on both.
  bool pin_memory = false;
};

// Single consumer: begin_epoch, next and position are called from one thread (any thread).
// The batches of an epoch depend only on (dataset, options, epoch), never on num_workers or
// timing, and batch k of an epoch is the same whether the epoch started at 0 or at k.
// Destroying the loader mid-epoch stops the workers (each finishes at most the batch it is
// making) and joins them.
class DataLoader {
 public:
  // The dataset is shared with the workers and kept alive by the loader. InMemoryDataset
  // batches are gathered with memcpy (Dataset::get_batch).
  DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t num_batches() const;
  int64_t batch_size() const;
  const Dataset& dataset() const;
  const DataLoaderOptions& options() const;
  // Whether the batches are pinned: options().pin_memory and a CUDA device is present.
  bool pins_memory() const;

  // Starts epoch `epoch` at batch start_batch (0 <= start_batch <= num_batches()), dropping
  // whatever was prefetched for the previous one. Throws ValueError for a negative epoch or a
  // start_batch out of range.
  void begin_epoch(int64_t epoch, int64_t start_batch = 0);
  // The next batch of the current epoch, or nullopt at its end (and after it, until the next
  // begin_epoch). Throws ValueError before the first begin_epoch. An error while making a
  // batch (a corrupt image, a failing transform) is rethrown here, in the batch's turn; the
  // position then moves past that batch.
  std::optional<Batch> next();
  LoaderPosition position() const;
  void restore(LoaderPosition p) { begin_epoch(p.epoch, p.batch); }

  // The order in which epoch `epoch` visits the dataset (the identity without shuffle).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::data
