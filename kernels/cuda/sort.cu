// argsort on the GPU: cub::DeviceSegmentedSort::StableSortPairs(Descending) of (key, index)
// pairs, one segment per row. The cooperative sorting is CUB's; this file only picks the key
// type and the direction.
#include <cub/device/device_segmented_sort.cuh>

#include "kernels/cuda/sort_launch.h"

namespace ember::cuda {
namespace {

template <class K>
cudaError_t run(const ArgSortArgs& a, void* workspace, size_t* bytes, cudaStream_t stream) {
  const K* kin = static_cast<const K*>(a.keys_in);
  K* kout = static_cast<K*>(a.keys_out);
  const int64_t items = a.rows * a.n;
  if (a.descending)
    return cub::DeviceSegmentedSort::StableSortPairsDescending(workspace, *bytes, kin, kout, a.order_in, a.order_out,
                                                               items, a.rows, a.offsets, a.offsets + 1, stream);
  return cub::DeviceSegmentedSort::StableSortPairs(workspace, *bytes, kin, kout, a.order_in, a.order_out, items,
                                                   a.rows, a.offsets, a.offsets + 1, stream);
}

template <class F>
cudaError_t by_key(DType d, F&& f) {
  switch (d) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i32: return f(int32_t{});
    case DType::i64: return f(int64_t{});
    case DType::u8: return f(uint8_t{});
    default: return cudaErrorNotSupported;
  }
}

}  // namespace

cudaError_t argsort_workspace_bytes(const ArgSortArgs& a, size_t* bytes, cudaStream_t stream) {
  *bytes = 0;
  return by_key(a.keys, [&]<class K>(K) { return run<K>(a, nullptr, bytes, stream); });
}

cudaError_t launch_argsort(const ArgSortArgs& a, void* workspace, size_t bytes, cudaStream_t stream) {
  if (workspace == nullptr) return cudaErrorInvalidValue;
  return by_key(a.keys, [&]<class K>(K) { return run<K>(a, workspace, &bytes, stream); });
}

}  // namespace ember::cuda
