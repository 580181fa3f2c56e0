#include "ember/layers/models.h"

#include <fmt/ranges.h>

#include "ember/layers/cifar_resnet.h"
#include "ember/layers/mlp.h"
#include "ember/layers/resnet.h"

namespace ember::nn {

std::vector<std::string> model_names() {
  return {"mlp", "resnet18", "resnet34", "resnet50", "resnet20", "resnet32", "resnet56"};
}

std::shared_ptr<Module> make_model(const std::string& name, const ModelOptions& o) {
  if (name == "mlp") {
    std::vector<int64_t> sizes{o.in_features};
    sizes.insert(sizes.end(), o.hidden_sizes.begin(), o.hidden_sizes.end());
    sizes.push_back(o.num_classes);
    return std::make_shared<MLP>(sizes, o.activation, o.dropout, o.generator);
  }
  ResNetOptions r{.num_classes = o.num_classes,
                  .in_channels = o.in_channels,
                  .small_input = o.small_input,
                  .zero_init_residual = o.zero_init_residual,
                  .generator = o.generator};
  if (name == "resnet18") return resnet18(r);
  if (name == "resnet34") return resnet34(r);
  if (name == "resnet50") return resnet50(r);
  CifarResNetOptions c{.num_classes = o.num_classes,
                       .in_channels = o.in_channels,
                       .zero_init_residual = o.zero_init_residual,
                       .generator = o.generator};
  if (name == "resnet20") return resnet20(c);
  if (name == "resnet32") return resnet32(c);
  if (name == "resnet56") return resnet56(c);
  EMBER_THROW(ValueError, "make_model: unknown model '{}' (valid: {})", name, fmt::join(model_names(), ", "));
}

}  // namespace ember::nn
