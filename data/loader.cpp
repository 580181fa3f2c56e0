#include "ember/data/loader.h"

#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "ember/core/dispatch.h"
#include "ember/core/error.h"
#include "ember/core/generator.h"
#include "ember/core/runtime.h"

namespace ember::data {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Distinct streams for the permutation and the augmentations of each (epoch, batch).
constexpr uint64_t kPermStream = 0x7065726d75746521ULL;
constexpr uint64_t kAugStream = 0x6175676d656e7421ULL;

uint64_t derive(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b = 0) {
  return splitmix64(splitmix64(splitmix64(seed ^ stream) + a) + b);
}

struct Slot {
  std::optional<Batch> batch;
  std::exception_ptr error;
};

}  // namespace

struct DataLoader::Impl {
  std::shared_ptr<const Dataset> dataset;
  DataLoaderOptions opt;
  int64_t n = 0;
  int64_t nb = 0;
  int capacity = 2;
  bool pin = false;  // opt.pin_memory, where a device makes it possible

  mutable std::mutex mu;
  std::condition_variable work_cv;   // workers: a batch to make, or stop
  std::condition_variable ready_cv;  // consumer: a batch is ready
  bool stop = false;
  bool active = false;  // begin_epoch was called
  uint64_t generation = 0;
  int64_t epoch = 0;
  int64_t next_claim = 0;
  int64_t next_consume = 0;
  std::shared_ptr<const std::vector<int64_t>> order;
  std::map<int64_t, Slot> ready;
  std::exception_ptr fatal;  // a worker died outside make_batch (out of memory)
  std::vector<std::thread> workers;

  std::vector<int64_t> make_order(int64_t e) const {
    if (opt.shuffle) return random_permutation(n, derive(opt.seed, kPermStream, static_cast<uint64_t>(e)), 0);
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), int64_t{0});
    return idx;
  }

  Batch make_batch(const std::vector<int64_t>& ord, int64_t e, int64_t b) const {
    const int64_t start = b * opt.batch_size;
    const int64_t end = std::min(start + opt.batch_size, n);
    std::span<const int64_t> idx(ord.data() + start, static_cast<size_t>(end - start));
    Example ex = dataset->get_batch(idx);
    Generator gen(derive(opt.seed, kAugStream, static_cast<uint64_t>(e), static_cast<uint64_t>(b)));
    Tensor x = ex.input;
    for (const auto& t : opt.transforms) {
      x = (*t)(x, gen);
      EMBER_CHECK(x.defined() && x.dim() >= 1 && x.size(0) == end - start, ShapeError,
                  "DataLoader: transform '{}' returned {} for a batch of {}", t->name(),
                  x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"),
                  end - start);
    }
    if (x.dtype() == DType::u8)
      x = to_float(x, opt.u8_scale);
    else if (x.dtype() != DType::f32)
      x = x.to(DType::f32).contiguous();
    else
      x = x.contiguous();
    EMBER_CHECK(ex.target.defined() && ex.target.dim() >= 1 && ex.target.size(0) == end - start, ShapeError,
                "DataLoader: the dataset gave targets {} for a batch of {}",
                ex.target.defined() ? shape_str(ex.target.shape()) : std::string("(undefined)"), end - start);
    if (pin) return Batch{x.pin_memory(), ex.target.pin_memory(), e, b};
    return Batch{x, ex.target, e, b};
  }

  void worker_loop() noexcept {
    try {
      worker_loop_impl();
    } catch (...) {
      std::lock_guard lk(mu);
      fatal = std::current_exception();
      ready_cv.notify_all();
    }
  }

  void worker_loop_impl() {
    std::unique_lock lk(mu);
    while (true) {
      work_cv.wait(lk, [&] {
        return stop || (active && next_claim < nb && next_claim < next_consume + capacity);
      });
      if (stop) return;
      const int64_t b = next_claim++;
      const uint64_t gen = generation;
      const int64_t e = epoch;
      std::shared_ptr<const std::vector<int64_t>> ord = order;
      lk.unlock();
      Slot slot;
      try {
        slot.batch = make_batch(*ord, e, b);
      } catch (...) {
        slot.error = std::current_exception();
      }
      lk.lock();
      if (gen == generation) {
        ready.emplace(b, std::move(slot));
        ready_cv.notify_all();
      } else {
        lk.unlock();
        slot = Slot{};  // a batch of an abandoned epoch: free it outside the lock
        lk.lock();
      }
    }
  }

  void shutdown() noexcept {
    {
      std::lock_guard lk(mu);
      stop = true;
    }
    work_cv.notify_all();
    ready_cv.notify_all();
    for (auto& t : workers)
      if (t.joinable()) t.join();
    workers.clear();
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, DataLoaderOptions options)
    : impl_(std::make_unique<Impl>()) {
  EMBER_CHECK(dataset != nullptr, ValueError, "DataLoader: null dataset");
  EMBER_CHECK(options.batch_size > 0, ValueError, "DataLoader: batch_size must be > 0, got {}",
              options.batch_size);
  EMBER_CHECK(options.num_workers >= 0, ValueError, "DataLoader: num_workers must be >= 0, got {}",
              options.num_workers);
  EMBER_CHECK(options.prefetch >= 0, ValueError, "DataLoader: prefetch must be >= 0, got {}",
              options.prefetch);
  for (const auto& t : options.transforms)
    EMBER_CHECK(t != nullptr, ValueError, "DataLoader: null transform in the pipeline");
  EMBER_CHECK(!options.pin_memory || cuda_compiled(), DeviceError,
              "DataLoader: pin_memory needs ember's CUDA backend, and this build has none (EMBER_CUDA=OFF); "
              "leave pin_memory false");
  Impl& s = *impl_;
  s.dataset = std::move(dataset);
  s.opt = std::move(options);
  s.n = s.dataset->size();
  s.nb = s.opt.drop_last ? s.n / s.opt.batch_size : (s.n + s.opt.batch_size - 1) / s.opt.batch_size;
  // Without a device there is nothing to copy to asynchronously: ordinary batches serve.
  s.pin = s.opt.pin_memory && cuda_device_count() > 0;
  s.capacity = s.opt.prefetch > 0 ? s.opt.prefetch : std::max(2, 2 * s.opt.num_workers);
  try {
    for (int i = 0; i < s.opt.num_workers; ++i) s.workers.emplace_back([&s] { s.worker_loop(); });
  } catch (...) {
    s.shutdown();
    throw;
  }
}

DataLoader::~DataLoader() { impl_->shutdown(); }

int64_t DataLoader::num_batches() const { return impl_->nb; }
int64_t DataLoader::batch_size() const { return impl_->opt.batch_size; }
const Dataset& DataLoader::dataset() const { return *impl_->dataset; }
const DataLoaderOptions& DataLoader::options() const { return impl_->opt; }
bool DataLoader::pins_memory() const { return impl_->pin; }

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  return impl_->make_order(epoch);
}

void DataLoader::begin_epoch(int64_t epoch, int64_t start_batch) {
  Impl& s = *impl_;
  EMBER_CHECK(epoch >= 0, ValueError, "DataLoader::begin_epoch: epoch must be >= 0, got {}", epoch);
  EMBER_CHECK(start_batch >= 0 && start_batch <= s.nb, ValueError,
              "DataLoader::begin_epoch: start batch {} out of range for {} batches", start_batch,
              s.nb);
  auto ord = std::make_shared<const std::vector<int64_t>>(s.make_order(epoch));
  std::map<int64_t, Slot> old;
  {
    std::lock_guard lk(s.mu);
    ++s.generation;
    old.swap(s.ready);
    s.order = std::move(ord);
    s.epoch = epoch;
    s.next_claim = start_batch;
    s.next_consume = start_batch;
    s.active = true;
  }
  s.work_cv.notify_all();
}

std::optional<Batch> DataLoader::next() {
  Impl& s = *impl_;
  std::unique_lock lk(s.mu);
  EMBER_CHECK(s.active, ValueError, "DataLoader::next: call begin_epoch(epoch) first");
  if (s.next_consume >= s.nb) return std::nullopt;
  const int64_t b = s.next_consume;
  Slot slot;
  if (s.workers.empty()) {
    ++s.next_consume;
    s.next_claim = s.next_consume;
    auto ord = s.order;
    const int64_t e = s.epoch;
    lk.unlock();
    return s.make_batch(*ord, e, b);
  }
  s.ready_cv.wait(lk, [&] { return s.ready.count(b) > 0 || s.fatal; });
  if (s.fatal) std::rethrow_exception(s.fatal);
  auto it = s.ready.find(b);
  slot = std::move(it->second);
  s.ready.erase(it);
  ++s.next_consume;
  lk.unlock();
  s.work_cv.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

LoaderPosition DataLoader::position() const {
  std::lock_guard lk(impl_->mu);
  return {impl_->epoch, impl_->next_consume};
}

}  // namespace ember::data
