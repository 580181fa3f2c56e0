#pragma once
// Seeded splits of a dataset into training / validation / test parts, by index. Fit anything
// learned from the data (nn::Impute, nn::Standardize, early-stopping decisions) on the
// training part only.
#include <cstdint>
#include <vector>

#include "ember/core/tensor.h"
#include "ember/data/dataset.h"

namespace ember::data {

// Part sizes for n examples and these fractions (each in [0, 1], summing to 1 within 1e-6):
// floor(f * n) each, the rows left over going one each to the first parts.
std::vector<int64_t> split_sizes(int64_t n, const std::vector<double>& fractions);

// A random partition of 0..n-1 into parts of split_sizes(n, fractions); each part's
// indices in ascending order. The same seed gives the same parts on every machine.
std::vector<std::vector<int64_t>> random_split(int64_t n, const std::vector<double>& fractions, uint64_t seed);
// The same for class labels [N] i64: every class is split by the fractions on its own, so
// each part keeps the class proportions (up to one example per class and part).
std::vector<std::vector<int64_t>> stratified_split(const Tensor& labels, const std::vector<double>& fractions,
                                                   uint64_t seed);

// The parts as datasets (copies).
std::vector<InMemoryDataset> random_split(const InMemoryDataset& dataset, const std::vector<double>& fractions,
                                          uint64_t seed);
// Needs class-index targets (i64 [N]).
std::vector<InMemoryDataset> stratified_split(const InMemoryDataset& dataset, const std::vector<double>& fractions,
                                              uint64_t seed);

}  // namespace ember::data
