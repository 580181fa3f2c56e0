#pragma once
// Sequential: runs its children in order; children are named "0", "1", ... as in PyTorch.
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "ember/layers/module.h"

namespace ember::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  // Appends under the name str(size()) and returns the module (typed).
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    return push_back(std::to_string(modules_.size()), std::move(module));
  }
  // Appends under an explicit name (PyTorch's Sequential(OrderedDict(...))).
  template <class M>
  std::shared_ptr<M> push_back(const std::string& name, std::shared_ptr<M> module) {
    EMBER_CHECK(module != nullptr, ValueError, "Sequential: submodule '{}' is null", name);
    // Each child lives in its own element, registered as its slot: replace_module(name, m)
    // (or assigning through operator[]) changes what forward runs and what the module
    // reports alike. A deque keeps the elements' addresses when it grows.
    modules_.emplace_back();
    try {
      register_module(name, &modules_.back(), std::shared_ptr<Module>(module));
    } catch (...) {
      modules_.pop_back();  // no element that is not a registered child
      throw;
    }
    return module;
  }

  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  // Throws IndexError when out of range. Assigning a module to the element replaces the
  // child; assigning null removes it from forward and from the reported children.
  std::shared_ptr<Module>& operator[](size_t i);
  const std::shared_ptr<Module>& operator[](size_t i) const;
  auto begin() const { return modules_.begin(); }
  auto end() const { return modules_.end(); }

  // Each present child's operator() in turn (so each checks its own input); an empty
  // Sequential returns x.
  Tensor forward(const Tensor& x) override;
  // The same with several tensors passed from child to child: a child's outputs are the
  // next one's inputs (e.g. a shared trunk followed by a module with two heads).
  std::vector<Tensor> forward_multi(const std::vector<Tensor>& inputs) override;

 protected:
  explicit Sequential(std::string type_name) : Module(std::move(type_name)) {}

 private:
  std::deque<std::shared_ptr<Module>> modules_;
};

}  // namespace ember::nn
