// Host side of the fused optimizer kernels: checks the tensor lists and hands their device
// pointers to the multi-tensor launchers (optim_launch.h).
#include <vector>

#include "ember/core/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "kernels/cuda/optim_launch.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_ref.h"

namespace ember::cuda {
namespace {

// Every list has params' length (optional ones may be empty); tensor k of each list has
// params[k]'s numel, dtype and device, and is contiguous: the kernels index raw pointers.
void check_lists(const char* op, const std::vector<Tensor>& params,
                 std::initializer_list<const std::vector<Tensor>*> lists) {
  const Tensor& first = params.front();
  EMBER_CHECK(first.device().is_cuda() && is_floating(first.dtype()), ValueError,
              "{}: expected floating-point CUDA tensors, got {} on {}", op, first.dtype(), first.device());
  for (const std::vector<Tensor>* list : lists) {
    EMBER_CHECK(list->size() == params.size(), ValueError, "{}: a tensor list has {} tensors, params {}", op,
                list->size(), params.size());
    for (size_t k = 0; k < list->size(); ++k) {
      const Tensor& t = (*list)[k];
      EMBER_CHECK(t.defined() && t.numel() == params[k].numel() && t.dtype() == first.dtype() &&
                      t.device() == first.device() && t.is_contiguous(),
                  ValueError,
                  "{}: tensor {} of a list must be a contiguous {} tensor on {} with {} elements, got {}", op,
                  k, first.dtype(), first.device(), params[k].numel(),
                  t.defined() ? fmt::format("{} on {} with shape {}", t.dtype(), t.device(), shape_str(t.shape()))
                              : std::string("an undefined tensor"));
    }
  }
}

std::vector<void*> pointers(const std::vector<Tensor>& list) {
  std::vector<void*> out;
  out.reserve(list.size());
  for (const Tensor& t : list) out.push_back(t.raw_data());
  return out;
}

std::vector<int64_t> numels(const std::vector<Tensor>& list) {
  std::vector<int64_t> out;
  out.reserve(list.size());
  for (const Tensor& t : list) out.push_back(t.numel());
  return out;
}

void fused_sgd_cuda(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& bufs, const FusedSGDArgs& a) {
  if (params.empty()) return;
  const bool momentum = a.momentum != 0.0;
  if (momentum) check_lists("fused_sgd", params, {&params, &grads, &bufs});
  else check_lists("fused_sgd", params, {&params, &grads});
  const int dev = params.front().device().index;
  DeviceGuard guard(dev);
  const auto p = pointers(params), g = pointers(grads), b = pointers(bufs);
  const auto n = numels(params);
  EMBER_CUDA_CHECK_LAUNCH("fused_sgd",
                          launch_fused_sgd(params.front().dtype(), static_cast<int64_t>(params.size()),
                                           p.data(), g.data(), momentum ? b.data() : nullptr, n.data(), a,
                                           stream(dev)));
}

void fused_adam_cuda(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                     const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                     const std::vector<Tensor>& max_exp_avg_sqs, const FusedAdamArgs& a) {
  if (params.empty()) return;
  if (a.amsgrad) check_lists("fused_adam", params, {&params, &grads, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs});
  else check_lists("fused_adam", params, {&params, &grads, &exp_avgs, &exp_avg_sqs});
  const int dev = params.front().device().index;
  DeviceGuard guard(dev);
  const auto p = pointers(params), g = pointers(grads), m = pointers(exp_avgs), v = pointers(exp_avg_sqs),
             vmax = pointers(max_exp_avg_sqs);
  const auto n = numels(params);
  EMBER_CUDA_CHECK_LAUNCH("fused_adam",
                          launch_fused_adam(params.front().dtype(), static_cast<int64_t>(params.size()),
                                            p.data(), g.data(), m.data(), v.data(),
                                            a.amsgrad ? vmax.data() : nullptr, n.data(), a, stream(dev)));
}

}  // namespace

void register_optim_kernels() {
  register_kernel<OpId::fused_sgd>(DeviceType::cuda, &fused_sgd_cuda);
  register_kernel<OpId::fused_adam>(DeviceType::cuda, &fused_adam_cuda);
}

}  // namespace ember::cuda
