#include "ember/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ember/core/error.h"
#include "ember/core/generator.h"

namespace ember::data {
namespace {

// Distinct Philox streams for the split of the whole set and of each class.
constexpr uint64_t kSplitStream = 0x73706c6974210001ULL;

std::vector<InMemoryDataset> subsets(const InMemoryDataset& d, const std::vector<std::vector<int64_t>>& parts) {
  std::vector<InMemoryDataset> out;
  for (const auto& idx : parts) out.push_back(d.subset(idx));
  return out;
}

}  // namespace

std::vector<int64_t> split_sizes(int64_t n, const std::vector<double>& fractions) {
  EMBER_CHECK(n >= 0, ValueError, "split: negative size {}", n);
  EMBER_CHECK(!fractions.empty(), ValueError, "split: no fractions given");
  double total = 0;
  for (double f : fractions) {
    EMBER_CHECK(f >= 0 && f <= 1, ValueError, "split: fraction {} is outside [0, 1]", f);
    total += f;
  }
  EMBER_CHECK(std::abs(total - 1.0) <= 1e-6, ValueError, "split: fractions sum to {}, not 1", total);
  std::vector<int64_t> sizes;
  int64_t used = 0;
  for (double f : fractions) {
    sizes.push_back(static_cast<int64_t>(std::floor(f * static_cast<double>(n))));
    used += sizes.back();
  }
  // Fractions that sum to a hair over 1 can floor to more than n: take the excess from the
  // last parts.
  for (size_t k = sizes.size(); used > n && k-- > 0;) {
    const int64_t take = std::min(sizes[k], used - n);
    sizes[k] -= take;
    used -= take;
  }
  for (size_t k = 0; used < n; k = (k + 1) % sizes.size())
    if (fractions[k] > 0) ++sizes[k], ++used;
  return sizes;
}

std::vector<std::vector<int64_t>> random_split(int64_t n, const std::vector<double>& fractions, uint64_t seed) {
  const std::vector<int64_t> sizes = split_sizes(n, fractions);
  const std::vector<int64_t> perm = random_permutation(n, seed ^ kSplitStream, 0);
  std::vector<std::vector<int64_t>> parts;
  int64_t at = 0;
  for (int64_t size : sizes) {
    parts.emplace_back(perm.begin() + at, perm.begin() + at + size);
    std::sort(parts.back().begin(), parts.back().end());
    at += size;
  }
  return parts;
}

std::vector<std::vector<int64_t>> stratified_split(const Tensor& labels, const std::vector<double>& fractions,
                                                   uint64_t seed) {
  EMBER_CHECK(labels.defined() && labels.dtype() == DType::i64 && labels.dim() == 1, DTypeError,
              "stratified_split: labels must be class indices, int64 [N], got {} {}",
              labels.defined() ? fmt::format("{}", labels.dtype()) : std::string("undefined"),
              labels.defined() ? shape_str(labels.shape()) : std::string());
  const std::vector<int64_t> y = labels.cpu().to_vector<int64_t>();
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < y.size(); ++i) by_class[y[i]].push_back(static_cast<int64_t>(i));
  std::vector<std::vector<int64_t>> parts(split_sizes(0, fractions).size());
  for (const auto& [cls, members] : by_class) {
    const auto n = static_cast<int64_t>(members.size());
    const std::vector<int64_t> sizes = split_sizes(n, fractions);
    const std::vector<int64_t> perm = random_permutation(n, seed ^ kSplitStream, static_cast<uint64_t>(cls + 1) << 32);
    int64_t at = 0;
    for (size_t k = 0; k < sizes.size(); ++k) {
      for (int64_t j = at; j < at + sizes[k]; ++j) parts[k].push_back(members[static_cast<size_t>(perm[j])]);
      at += sizes[k];
    }
  }
  for (auto& p : parts) std::sort(p.begin(), p.end());
  return parts;
}

std::vector<InMemoryDataset> random_split(const InMemoryDataset& dataset, const std::vector<double>& fractions,
                                          uint64_t seed) {
  return subsets(dataset, random_split(dataset.size(), fractions, seed));
}

std::vector<InMemoryDataset> stratified_split(const InMemoryDataset& dataset, const std::vector<double>& fractions,
                                              uint64_t seed) {
  return subsets(dataset, stratified_split(dataset.targets(), fractions, seed));
}

}  // namespace ember::data
