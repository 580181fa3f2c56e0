#pragma once
// Launchers of sort.cu: each row's stable order by key through CUB's segmented sort (plain
// types, see launch.h). Keys are f32, f64, i32, i64 or u8 (anything else returns
// cudaErrorNotSupported); float keys come canonicalised (one NaN, no -0) from sort.cpp, so
// that the radix order is the CPU kernel's comparison order.
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/launch.h"

namespace ember::cuda {

struct ArgSortArgs {
  DType keys = DType::f32;
  const void* keys_in = nullptr;  // [rows, n] contiguous
  void* keys_out = nullptr;       // [rows, n] scratch
  const int64_t* order_in = nullptr;  // [rows, n]: 0..n-1 in each row
  int64_t* order_out = nullptr;       // [rows, n]: the result
  const int64_t* offsets = nullptr;   // [rows + 1]: row r is [offsets[r], offsets[r + 1])
  int64_t rows = 0, n = 0;
  bool descending = false;
};

// Sets *bytes to the scratch launch_argsort needs for `a` (no pointer of `a` is read).
cudaError_t argsort_workspace_bytes(const ArgSortArgs& a, size_t* bytes, cudaStream_t stream);
cudaError_t launch_argsort(const ArgSortArgs& a, void* workspace, size_t bytes, cudaStream_t stream);

}  // namespace ember::cuda
