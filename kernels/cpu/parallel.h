#pragma once
// OpenMP helpers. Work is split into fixed-size chunks chosen from the problem size, not
// the thread count, so results that depend on the split (float sums) are the same for
// any number of threads.
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace ember::cpu {

inline constexpr int64_t kGrain = 32768;

// Calls f(begin, end) over [0, n) in chunks of at least `grain` elements, in parallel
// when there is more than one chunk. Callers size `grain` so that a chunk is worth about
// kGrain element-operations: a parallel region for tiny work costs more than it saves,
// and far more when the machine is oversubscribed and spinning threads get descheduled.
template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  int64_t chunks = (n + grain - 1) / grain;
  if (chunks <= 1) {
    f(int64_t{0}, n);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = c * grain;
    f(b, std::min(n, b + grain));
  }
}

// While in scope, OpenMP code called from this thread that sizes its team from
// omp_get_max_threads() (oneDNN's sgemm) runs on this thread alone. For products too small to
// be worth a parallel region: on a machine where another process is busy, each region waits
// for a descheduled thread: a small MLP trained at a small fraction of its idle speed.
class SerialRegion {
 public:
  SerialRegion() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SerialRegion() { omp_set_num_threads(saved_); }
  SerialRegion(const SerialRegion&) = delete;
  SerialRegion& operator=(const SerialRegion&) = delete;

 private:
  int saved_;
};

}  // namespace ember::cpu
