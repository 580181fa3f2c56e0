#pragma once
// Building a model by name (for command-line tools such as ember-train).
#include <memory>
#include <string>
#include <vector>

#include "ember/core/generator.h"
#include "ember/layers/module.h"

namespace ember::nn {

struct ModelOptions {
  int64_t num_classes = 10;
  // Image models: channels of the input images (1 for MNIST/Fashion-MNIST, 3 for CIFAR).
  int64_t in_channels = 3;
  // resnet18/34/50 only: 3x3 stride-1 stem without max-pool, for 28x28/32x32 images.
  bool small_input = false;
  // ResNets: zero each block's last BN weight.
  bool zero_init_residual = false;
  // mlp: inputs are flattened from dim 1 to in_features; layers in_features -> hidden... ->
  // num_classes with `activation` ("relu", "leaky_relu", "gelu", "sigmoid", "tanh") and
  // optional dropout after each hidden activation.
  int64_t in_features = 784;
  std::vector<int64_t> hidden_sizes = {256, 128};
  std::string activation = "relu";
  double dropout = 0.0;
  // Draws the initial weights (and dropout masks); default: the global generator.
  Generator* generator = nullptr;
};

// "mlp", "resnet18", "resnet34", "resnet50", "resnet20", "resnet32", "resnet56".
// Throws ValueError listing these for any other name.
std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& options = {});
std::vector<std::string> model_names();

}  // namespace ember::nn
