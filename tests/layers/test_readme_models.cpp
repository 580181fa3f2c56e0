// The README's "Your own models, heads and tables" snippets, kept compiling and running.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <ember/data/data.h>
#include <ember/ember.h>
#include <ember/layers/layers.h>
#include <ember/optim/optim.h>

using namespace ember;

namespace {

class Net : public nn::Module {
 public:
  Net() : Module("Net") {
    register_module("body", &body, std::make_shared<nn::Linear>(8, 32));
    register_module("head", &head, std::make_shared<nn::Linear>(32, 1));
  }
  Tensor forward(const Tensor& x) override { return (*head)(relu((*body)(x))); }
  std::shared_ptr<nn::Linear> body, head;
};

}  // namespace

TEST(Readme, OwnModel) {
  auto net = std::make_shared<Net>();
  EXPECT_EQ(net->state_dict().keys(), (std::vector<std::string>{"body.weight", "body.bias", "head.weight", "head.bias"}));
  net->head = std::make_shared<nn::Linear>(32, 3);
  EXPECT_EQ((*net)(randn({4, 8})).shape(), (Shape{4, 3}));
  EXPECT_EQ(net->parameter("head.weight").shape(), (Shape{3, 32}));
  net->body->freeze();
  EXPECT_EQ(net->trainable_parameters().size(), 2u);
}

TEST(Readme, Table) {
  const auto dir = std::filesystem::temp_directory_path() / ("ember_readme_table_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir / "diabetes.csv");
    f << "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,target\n";
    Generator g(5);
    const std::vector<float> v = randn({40, 10}, DType::f32, Device::cpu(), &g).to_vector<float>();
    for (int r = 0; r < 40; ++r) {
      for (int c = 0; c < 10; ++c) f << (r % 7 == c ? std::string() : std::to_string(v[r * 10 + c])) << ",";
      f << 100 + r << "\n";
    }
  }
  data::CsvTable t = data::read_csv(dir / "diabetes.csv", {.target = data::CsvTarget::number,
                                                           .missing = data::MissingPolicy::keep});
  std::filesystem::remove_all(dir);
  data::InMemoryDataset all(t.features, t.targets);
  auto parts = data::random_split(all, {0.7, 0.15, 0.15}, /*seed=*/0);  // train, val, test
  auto impute = std::make_shared<nn::Impute>(t.features.size(1));
  impute->fit(parts[0].inputs());
  auto scale = std::make_shared<nn::Standardize>(t.features.size(1));
  scale->fit((*impute)(parts[0].inputs()));
  nn::Sequential model{impute, scale, std::make_shared<nn::MLP>(std::vector<int64_t>{10, 32, 1})};
  EXPECT_EQ(parts[0].size() + parts[1].size() + parts[2].size(), 40);
  const Tensor y = model(parts[2].inputs());
  EXPECT_EQ(y.shape(), (Shape{parts[2].size(), 1}));
  for (float v : y.to_vector<float>()) EXPECT_TRUE(std::isfinite(v));
}
