// The public CUDA runtime API (ember/core/cuda.h) and device errors. Compiles in every build:
// without a device (or with EMBER_CUDA=OFF) the tests that need one skip, and the ones here
// that check the "no device" behaviour run instead.
#include <functional>
#include <thread>
#include <string>
#include <vector>

#include "cuda/parity.h"

#include <ember/core/dispatch.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;
using ember::testing::gpu;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// f must throw DeviceError whose message names every string in `names`.
void expect_device_error(const std::function<void()>& f, const std::string& what, const std::vector<std::string>& names) {
  try {
    f();
    ADD_FAILURE() << what << ": did not throw";
  } catch (const DeviceError& e) {
    for (const std::string& n : names)
      EXPECT_TRUE(contains(e.what(), n)) << what << ": the message does not name '" << n << "': " << e.what();
  } catch (const Error& e) {
    ADD_FAILURE() << what << ": threw another ember::Error instead of DeviceError: " << e.what();
  }
}

}  // namespace

// ---- without a device ----

TEST(CudaRuntimeApi, WithoutADeviceTheApiThrowsDeviceError) {
  if (cuda_available()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(cuda::device_count(), 0);
  EXPECT_FALSE(cuda::is_available());
  const std::vector<std::string> cuda0 = {"cuda"};
  expect_device_error([] { (void)cuda::Stream::create(0); }, "Stream::create", cuda0);
  expect_device_error([] { (void)cuda::Stream::default_stream(0); }, "Stream::default_stream", cuda0);
  expect_device_error([] { (void)cuda::current_stream(0); }, "current_stream", cuda0);
  expect_device_error([] { cuda::Event e(0); }, "Event", cuda0);
  expect_device_error([] { cuda::synchronize(0); }, "synchronize", cuda0);
  expect_device_error([] { (void)cuda::device_name(0); }, "device_name", cuda0);
  // A tensor on cuda:0 cannot be made either (the error type depends on the build: no CUDA
  // allocator at all with EMBER_CUDA=OFF, no device otherwise); it must be an ember::Error.
  EXPECT_THROW((void)zeros({2}, DType::f32, Device::cuda(0)), Error);
  EXPECT_THROW((void)ones({2}).to(Device::cuda(0)), Error);
}

TEST(CudaRuntimeApi, Tf32FlagToggles) {
  if (!cuda_compiled()) GTEST_SKIP() << "EMBER_CUDA=OFF: the TF32 flag is fixed at off";
  const bool prev = cuda::allow_tf32();
  EXPECT_FALSE(prev) << "TF32 must be off by default";
  cuda::set_allow_tf32(true);
  EXPECT_TRUE(cuda::allow_tf32());
  cuda::set_allow_tf32(false);
  EXPECT_FALSE(cuda::allow_tf32());
  cuda::set_allow_tf32(prev);
}

// ---- with a device ----

TEST(CudaRuntimeApi, BadDeviceIndexNamesTheIndex) {
  SKIP_WITHOUT_CUDA();
  const int n = cuda::device_count();
  const std::string bad = "cuda:" + std::to_string(n);
  expect_device_error([&] { (void)zeros({2}, DType::f32, Device::cuda(n)); }, "zeros on " + bad, {bad});
  expect_device_error([&] { (void)ones({2}).to(Device::cuda(n)); }, "to(" + bad + ")", {bad});
  expect_device_error([&] { (void)cuda::Stream::create(n); }, "Stream::create", {bad});
  expect_device_error([&] { cuda::Event e(n); }, "Event", {bad});
  expect_device_error([&] { cuda::synchronize(n); }, "synchronize", {bad});
  expect_device_error([&] { (void)cuda::current_stream(n); }, "current_stream", {bad});
  expect_device_error([&] { (void)cuda::device_name(n); }, "device_name", {bad});
  expect_device_error([&] { (void)zeros({2}, DType::f32, Device::cuda(-1)); }, "zeros on cuda:-1", {"cuda:-1"});
}

TEST(CudaRuntimeApi, MixingDevicesNamesOpAndDevices) {
  SKIP_WITHOUT_CUDA();
  const Tensor a = ones({4, 4});
  const Tensor g = ones({4, 4}, DType::f32, gpu());
  const std::vector<std::string> devs = {"cpu", "cuda:0"};
  auto named = [&](const std::string& op) {
    std::vector<std::string> v = devs;
    v.push_back(op);
    return v;
  };
  expect_device_error([&] { (void)(a + g); }, "add", named("add"));
  expect_device_error([&] { (void)(g * a); }, "mul", named("mul"));
  expect_device_error([&] { (void)matmul(a, g); }, "matmul", named("matmul"));
  expect_device_error([&] { Tensor t = g.clone(); t.add_(a); }, "add_", named("add_"));
  expect_device_error([&] { (void)where(gt(a, 0.0), g, g); }, "where", named("where"));
  const Tensor idx = zeros({4, 1}, DType::i64);
  expect_device_error([&] { (void)gather(g, 1, idx); }, "gather", named("gather"));
  expect_device_error([&] { (void)index_select(g, 0, zeros({2}, DType::i64)); }, "index_select", named("index_select"));
  expect_device_error([&] { (void)cross_entropy(g, zeros({4}, DType::i64)); }, "cross_entropy", named("cross_entropy"));
  expect_device_error([&] { (void)mse_loss(g, a); }, "mse_loss", named("mse_loss"));
  const Tensor x = ones({1, 2, 5, 5}, DType::f32, gpu());
  const Tensor w = ones({3, 2, 3, 3});
  expect_device_error([&] { (void)conv2d(x, w); }, "conv2d weight", named("conv2d"));
  expect_device_error([&] { (void)conv2d(x, w.to(gpu()), ones({3})); }, "conv2d bias", named("conv2d"));
  expect_device_error(
      [&] { (void)batch_norm(x, ones({2}), zeros({2}), zeros({2}), ones({2}), true); }, "batch_norm",
      named("batch_norm"));
  // Modules name themselves: a model on cuda:0 fed a CPU batch.
  auto lin = std::make_shared<nn::Linear>(4, 3);
  lin->to(gpu());
  expect_device_error([&] { (void)(*lin)(a); }, "Linear module", named("linear"));
}

TEST(CudaRuntimeApi, StreamsAndGuards) {
  SKIP_WITHOUT_CUDA();
  const cuda::Stream def = cuda::current_stream(0);
  EXPECT_TRUE(def.is_default()) << "the current stream starts as the default stream";
  EXPECT_EQ(def, cuda::Stream::default_stream(0));
  cuda::Stream s = cuda::Stream::create(0);
  cuda::Stream hi = cuda::Stream::create(0, /*high_priority=*/true);
  EXPECT_FALSE(s.is_default());
  EXPECT_NE(s.native(), nullptr);
  EXPECT_FALSE(s == hi);
  EXPECT_EQ(s.device(), 0);
  s.synchronize();
  EXPECT_TRUE(s.query());
  Tensor t;
  {
    cuda::StreamGuard guard(s);
    EXPECT_EQ(cuda::current_stream(0), s);
    {
      cuda::StreamGuard inner(hi);
      EXPECT_EQ(cuda::current_stream(0), hi);
    }
    EXPECT_EQ(cuda::current_stream(0), s) << "the inner guard must restore the outer stream";
    t = full({1 << 16}, 3.0, DType::f32, gpu());  // queued on s
    s.synchronize();
    EXPECT_TRUE(s.query());
  }
  EXPECT_EQ(cuda::current_stream(0), def) << "StreamGuard must restore the previous stream";
  const std::vector<float> v = t.cpu().to_vector<float>();
  EXPECT_EQ(v.front(), 3.0f);
  EXPECT_EQ(v.back(), 3.0f);
  EXPECT_NO_THROW(cuda::synchronize(0));
  EXPECT_FALSE(cuda::device_name(0).empty());
}

TEST(CudaRuntimeApi, EventsTimeAndOrderWork) {
  SKIP_WITHOUT_CUDA();
  cuda::Event start(0), stop(0);
  const cuda::Stream cur = cuda::current_stream(0);
  start.record(cur);
  Tensor t = full({1 << 22}, 1.0, DType::f32, gpu());
  stop.record(cur);
  stop.synchronize();
  EXPECT_TRUE(stop.query());
  EXPECT_GE(start.elapsed_ms(stop), 0.0f);
  // Cross-stream ordering: a side stream waits for work recorded on the current stream.
  cuda::Stream side = cuda::Stream::create(0);
  cuda::Event ready(0);
  t.fill_(2.0);
  ready.record(cur);
  ready.wait(side);
  side.synchronize();
  EXPECT_TRUE(ready.query()) << "the side stream finished, so what it waited for has too";
  EXPECT_EQ(t.cpu().to_vector<float>()[12345], 2.0f);
}

TEST(CudaRuntimeApi, TrainingReachesAllocatorSteadyState) {
  SKIP_WITHOUT_CUDA();
  Generator gen(3);
  auto model = std::make_shared<nn::MLP>(std::vector<int64_t>{64, 128, 10}, "relu", 0.0, &gen);
  model->to(gpu());
  optim::SGD opt(model->parameters(), {.lr = 0.01, .momentum = 0.9});
  const Tensor x = randn({32, 64}, DType::f32, Device::cpu(), &gen).to(gpu());
  const Tensor y = randint(0, 10, {32}, DType::i64, Device::cpu(), &gen).to(gpu());
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = cross_entropy((*model)(x), y);
    loss.backward();
    opt.step();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up: the cache fills, momentum buffers appear
  cuda::synchronize(0);
  const cuda::MemoryStats s0 = cuda::memory_stats(0);
  for (int i = 0; i < 5; ++i) {
    step();
    cuda::synchronize(0);
    const cuda::MemoryStats s = cuda::memory_stats(0);
    EXPECT_EQ(s.num_device_mallocs, s0.num_device_mallocs) << "iteration " << i << ": " << cuda::memory_summary(0);
  }
  const cuda::MemoryStats s1 = cuda::memory_stats(0);
  EXPECT_GT(s1.num_requests, s0.num_requests) << "the allocator counts no requests: " << cuda::memory_summary(0);
  EXPECT_GE(s1.num_cache_hits - s0.num_cache_hits, s1.num_requests - s0.num_requests)
      << "every steady-state request should be a cache hit";
  EXPECT_GT(s1.allocated, 0u);
  EXPECT_LE(s1.allocated, s1.reserved);
  EXPECT_GE(s1.peak_allocated, s1.allocated);
  EXPECT_GE(s1.peak_reserved, s1.reserved);
  cuda::reset_peak_memory_stats(0);
  EXPECT_EQ(cuda::memory_stats(0).peak_allocated, cuda::memory_stats(0).allocated);
  EXPECT_NO_THROW(cuda::empty_cache());
  EXPECT_GE(cuda::memory_stats(0).reserved, cuda::memory_stats(0).allocated);
}

TEST(CudaRuntimeApi, Tf32ChangesOnlyWhatItMay) {
  SKIP_WITHOUT_CUDA();
  const bool prev = cuda::allow_tf32();
  Generator gen(8);
  const Tensor a = randn({256, 512}, DType::f32, Device::cpu(), &gen);
  const Tensor b = randn({512, 192}, DType::f32, Device::cpu(), &gen);
  const Tensor ref = matmul(a.to(DType::f64), b.to(DType::f64));
  auto rel = [&](const Tensor& c) {
    const std::vector<double> r = ref.to_vector<double>(), v = c.cpu().to(DType::f64).to_vector<double>();
    double num = 0, den = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      num += (v[i] - r[i]) * (v[i] - r[i]);
      den += r[i] * r[i];
    }
    return std::sqrt(num / den);
  };
  cuda::set_allow_tf32(false);
  const double off = rel(matmul(a.to(gpu()), b.to(gpu())));
  cuda::set_allow_tf32(true);
  const double on = rel(matmul(a.to(gpu()), b.to(gpu())));
  cuda::set_allow_tf32(prev);
  EXPECT_LT(off, 1e-5) << "f32 matmul with TF32 off";
  EXPECT_LT(on, 1e-2) << "f32 matmul with TF32 on (10-bit mantissa inputs)";
  RecordProperty("tf32_off_rel_err", std::to_string(off));
  RecordProperty("tf32_on_rel_err", std::to_string(on));
}

TEST(CudaRuntimeApi, PrintingNamesTheDevice) {
  SKIP_WITHOUT_CUDA();
  const std::string s = to_string(tensor({1.5f, -2.0f}).to(gpu()));
  EXPECT_TRUE(contains(s, "device=cuda:0")) << s;
  EXPECT_TRUE(contains(s, "1.5")) << s;
  EXPECT_FALSE(contains(to_string(tensor({1.5f})), "device=")) << "CPU tensors do not name their device";
}

// A stream destroyed with work still queued: its destruction waits for that work, so its
// results are complete afterwards, and blocks freed on it cannot be handed to a new stream
// (which may get the same handle) while the old work still uses them.
TEST(CudaRuntimeApi, DestroyingAStreamWaitsForItsWork) {
  SKIP_WITHOUT_CUDA();
  Tensor t;
  {
    cuda::Stream s = cuda::Stream::create(0);
    cuda::StreamGuard guard(s);
    t = zeros({1 << 22}, DType::f32, gpu());
    for (int i = 0; i < 50; ++i) t = t + 1.0;  // queued on s, temporaries freed on s
  }
  // No synchronisation: the stream is gone. A new stream reuses the cache freely.
  for (int round = 0; round < 3; ++round) {
    cuda::Stream s2 = cuda::Stream::create(0);
    cuda::StreamGuard guard(s2);
    Tensor u = full({1 << 22}, 7.0, DType::f32, gpu());
    s2.synchronize();
    const std::vector<float> uv = u.cpu().to_vector<float>();
    EXPECT_EQ(uv.front(), 7.0f);
    EXPECT_EQ(uv.back(), 7.0f);
  }
  const std::vector<float> v = t.cpu().to_vector<float>();
  EXPECT_EQ(v.front(), 50.0f);
  EXPECT_EQ(v[v.size() / 2], 50.0f);
  EXPECT_EQ(v.back(), 50.0f);
}

// cuBLAS/cuDNN handles are per thread: a worker thread that used them (on its own stream)
// and exited must leave the library usable, with the same results, on the main thread.
TEST(CudaRuntimeApi, LibraryHandlesOfExitedThreads) {
  SKIP_WITHOUT_CUDA();
  const Tensor a = randn({33, 17}).to(gpu());
  const Tensor b = randn({17, 9}).to(gpu());
  const Tensor x = randn({2, 3, 8, 8}).to(gpu());
  const Tensor w = randn({4, 3, 3, 3}).to(gpu());
  const std::vector<float> mm = matmul(a, b).cpu().to_vector<float>();
  const std::vector<float> cv = conv2d(x, w, Tensor(), {.padding = {1, 1}}).cpu().to_vector<float>();
  for (int round = 0; round < 3; ++round) {
    std::vector<float> mm_t, cv_t;
    std::string error;
    std::thread worker([&] {
      try {
        cuda::Stream s = cuda::Stream::create(0);
        cuda::StreamGuard guard(s);  // the handles stay bound to s after it is destroyed
        Tensor m = matmul(a, b);
        Tensor c = conv2d(x, w, Tensor(), {.padding = {1, 1}});
        s.synchronize();
        mm_t = m.cpu().to_vector<float>();
        cv_t = c.cpu().to_vector<float>();
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    worker.join();
    ASSERT_TRUE(error.empty()) << "worker thread: " << error;
    EXPECT_EQ(mm_t, mm) << "round " << round;
    EXPECT_EQ(cv_t, cv) << "round " << round;
    EXPECT_EQ(matmul(a, b).cpu().to_vector<float>(), mm) << "main thread after round " << round;
    EXPECT_EQ(conv2d(x, w, Tensor(), {.padding = {1, 1}}).cpu().to_vector<float>(), cv)
        << "main thread after round " << round;
  }
}
