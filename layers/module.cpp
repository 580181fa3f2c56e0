#include "ember/layers/module.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/error.h"
#include "ember/layers/summary_recorder.h"

namespace ember::nn {

// ------------------------------------------------------------------------------ StateDict

void StateDict::insert(const std::string& name, Tensor value) {
  auto it = index_.find(name);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(name, entries_.size());
  entries_.emplace_back(name, std::move(value));
}

const Tensor& StateDict::at(const std::string& name) const {
  auto it = index_.find(name);
  EMBER_CHECK(it != index_.end(), IndexError, "state dict: no entry named '{}'", name);
  return entries_[it->second].second;
}

Tensor& StateDict::at(const std::string& name) {
  auto it = index_.find(name);
  EMBER_CHECK(it != index_.end(), IndexError, "state dict: no entry named '{}'", name);
  return entries_[it->second].second;
}

bool StateDict::erase(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  return true;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> k;
  k.reserve(entries_.size());
  for (const auto& e : entries_) k.push_back(e.first);
  return k;
}

StateDict StateDict::clone() const {
  StateDict out;
  out.entries_.reserve(entries_.size());
  for (const auto& [name, value] : entries_) out.entries_.emplace_back(name, value.detach().clone());
  out.index_ = index_;
  return out;
}

// ------------------------------------------------------------------------------ helpers

namespace {

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Refills t's TensorImpl with converted data so every holder of t sees the result.
template <class Convert>
void convert_in_place(Tensor& t, Convert&& convert) {
  if (!t.defined()) return;
  Tensor fresh;
  Tensor grad = t.grad();
  {
    NoGradGuard ng;
    fresh = convert(t.detach()).contiguous();
    if (grad.defined()) grad = convert(grad.detach()).contiguous();
  }
  if (fresh.impl()->storage() == t.impl()->storage() && fresh.dtype() == t.dtype()) return;
  t.impl()->set_data(fresh.impl()->storage(), fresh.strides(), fresh.offset(), fresh.dtype());
  t.bump_version();
  if (grad.defined()) t.set_grad(grad);
}

}  // namespace

void check_rank(const Tensor& x, std::initializer_list<int64_t> ranks, const std::string& label,
                const char* what) {
  if (std::find(ranks.begin(), ranks.end(), x.dim()) != ranks.end()) return;
  EMBER_THROW(ShapeError, "{}: expected a {} input, got shape {}", label, what, shape_str(x.shape()));
}

// ------------------------------------------------------------------------------ Module

Module::Module(std::string type_name) : type_name_(std::move(type_name)) {}
Module::~Module() = default;

Tensor Module::call(const Tensor& x) {
  EMBER_CHECK(x.defined(), ValueError, "{} '{}': input tensor is undefined", type_name_, path_);
  check_input(x);
  if (detail::SummaryRecorder* rec = detail::SummaryRecorder::current()) {
    size_t row = rec->enter(*this);
    Tensor y = forward(x);
    rec->leave(row, {y});
    return y;
  }
  return forward(x);
}

std::vector<Tensor> Module::operator()(const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i)
    EMBER_CHECK(inputs[i].defined(), ValueError, "{} '{}': input {} is undefined", type_name_, path_, i);
  check_inputs(inputs);
  if (detail::SummaryRecorder* rec = detail::SummaryRecorder::current()) {
    size_t row = rec->enter(*this);
    std::vector<Tensor> ys = forward_multi(inputs);
    rec->leave(row, ys);
    return ys;
  }
  return forward_multi(inputs);
}

namespace {
// The module whose default forward is running on this thread: reaching the default
// forward_multi from it means the module overrides neither.
thread_local const Module* t_default_forward = nullptr;
}  // namespace

Tensor Module::forward(const Tensor& x) {
  EMBER_CHECK(t_default_forward != this, NotImplementedError,
              "{}: the module defines neither forward(Tensor) nor forward_multi(std::vector<Tensor>)", label(type_name_.c_str()));
  const Module* previous = t_default_forward;
  t_default_forward = this;
  std::vector<Tensor> ys;
  try {
    ys = forward_multi({x});
  } catch (...) {
    t_default_forward = previous;
    throw;
  }
  t_default_forward = previous;
  EMBER_CHECK(ys.size() == 1, ValueError,
              "{}: gives {} outputs; call it with a list of inputs (module({{x}})) to get them all",
              label(type_name_.c_str()), ys.size());
  return ys[0];
}

std::vector<Tensor> Module::forward_multi(const std::vector<Tensor>& inputs) {
  EMBER_CHECK(inputs.size() == 1, ValueError, "{}: takes one input, got {} (it defines only forward(Tensor))",
              label(type_name_.c_str()), inputs.size());
  return {forward(inputs[0])};
}

std::string Module::label(const char* op) const {
  return path_.empty() ? std::string(op) : fmt::format("{} '{}'", op, path_);
}

void Module::check_same_dtype_device(const Tensor& x, const Tensor& t, const char* op,
                                     const char* what) const {
  EMBER_CHECK(x.device() == t.device(), DeviceError, "{}: input is on {} but {} is on {} (move the module with .to())",
              label(op), x.device(), what, t.device());
  EMBER_CHECK(x.dtype() == t.dtype(), DTypeError, "{}: input has dtype {} but {} has dtype {}", label(op),
              x.dtype(), what, t.dtype());
}

void Module::check_name(const std::string& name, const char* what) const {
  EMBER_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError,
              "{}: {} name '{}' must be non-empty and contain no '.'", type_name_, what, name);
  auto taken = [&](const std::string& n) {
    for (const auto& p : params_)
      if (p.name == n) return true;
    for (const auto& b : buffers_)
      if (b.name == n) return true;
    for (const auto& c : children_)
      if (c.name == n) return true;
    return false;
  };
  EMBER_CHECK(!taken(name), ValueError, "{}: a parameter, buffer or submodule named '{}' already exists",
              type_name_, name);
}

void Module::register_parameter(const std::string& name, Tensor* slot) {
  check_name(name, "parameter");
  EMBER_CHECK(slot != nullptr, ValueError, "{}: parameter '{}' registered with a null slot", type_name_, name);
  if (slot->defined()) {
    EMBER_CHECK(is_floating(slot->dtype()), DTypeError, "{}: parameter '{}' must be floating point, got {}",
                type_name_, name, slot->dtype());
    slot->requires_grad_(true);
  }
  params_.push_back({name, slot});
}

void Module::register_buffer(const std::string& name, Tensor* slot, bool persistent) {
  check_name(name, "buffer");
  EMBER_CHECK(slot != nullptr, ValueError, "{}: buffer '{}' registered with a null slot", type_name_, name);
  buffers_.push_back({name, slot, persistent});
}

void Module::add_child(const std::string& name, Child child) {
  check_name(name, "submodule");
  const std::shared_ptr<Module> m = child.module();
  EMBER_CHECK(!m || !m->contains(this), ValueError,
              "{}: submodule '{}' would contain this module itself (a module cannot be its own submodule)",
              type_name_, name);
  if (m) m->set_path(join_name(path_, name));
  children_.push_back(std::move(child));
}

void Module::replace_module(const std::string& name, std::shared_ptr<Module> module) {
  auto it = std::find_if(children_.begin(), children_.end(), [&](const Child& c) { return c.name == name; });
  EMBER_CHECK(it != children_.end(), IndexError, "{}: no submodule '{}' to replace", type_name_, name);
  EMBER_CHECK(!module || !module->contains(this), ValueError,
              "{}: the new submodule '{}' would contain this module itself (a module cannot be its own submodule)",
              type_name_, name);
  const std::shared_ptr<Module> old = it->module();
  EMBER_CHECK(it->set(it->slot, module), ValueError, "{}: the member of submodule '{}' (now {}) cannot hold a {}",
              type_name_, name, old ? old->type_name() : std::string("empty"), module->type_name());
  if (module) module->set_path(join_name(path_, name));
}

void Module::set_path(const std::string& path) const {
  path_ = path;
  for (const Child& c : children_)
    if (auto m = c.module()) m->set_path(join_name(path_, c.name));
}

bool Module::contains(const Module* m) const {
  std::unordered_set<const Module*> seen;
  std::function<bool(const Module&)> visit = [&](const Module& cur) {
    if (&cur == m) return true;
    if (!seen.insert(&cur).second) return false;
    for (const Child& c : cur.children_)
      if (auto child = c.module(); child && visit(*child)) return true;
    return false;
  };
  return visit(*this);
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::live_children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  out.reserve(children_.size());
  for (const Child& c : children_) {
    std::shared_ptr<Module> m = c.module();
    if (!m) continue;
    const std::string path = join_name(path_, c.name);
    if (m->path_ != path) m->set_path(path);
    out.emplace_back(c.name, std::move(m));
  }
  return out;
}

// ---- traversal ----

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  std::unordered_set<const Module*> seen;
  std::function<void(Module&, const std::string&)> visit = [&](Module& m, const std::string& prefix) {
    if (!seen.insert(&m).second) return;
    out.emplace_back(prefix, &m);
    for (auto& [name, child] : m.live_children()) visit(*child, join_name(prefix, name));
  };
  visit(*this, "");
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::unordered_set<const TensorImpl*> seen;
  auto own = [&](const Module& m, const std::string& prefix) {
    for (const auto& p : m.params_)
      if (p.slot->defined() && seen.insert(p.slot->impl()).second)
        out.emplace_back(join_name(prefix, p.name), *p.slot);
  };
  if (!recurse) {
    own(*this, "");
    return out;
  }
  for (auto& [prefix, m] : const_cast<Module*>(this)->named_modules()) own(*m, prefix);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  std::unordered_set<const TensorImpl*> seen;
  auto own = [&](const Module& m, const std::string& prefix) {
    for (const auto& b : m.buffers_)
      if (b.slot->defined() && seen.insert(b.slot->impl()).second)
        out.emplace_back(join_name(prefix, b.name), *b.slot);
  };
  if (!recurse) {
    own(*this, "");
    return out;
  }
  for (auto& [prefix, m] : const_cast<Module*>(this)->named_modules()) own(*m, prefix);
  return out;
}

std::vector<Tensor> Module::buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_buffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return live_children();
}

std::shared_ptr<Module> Module::submodule(const std::string& path) const {
  const Module* cur = this;
  std::shared_ptr<Module> found;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const auto children = cur->live_children();
    auto it = std::find_if(children.begin(), children.end(), [&](const auto& c) { return c.first == part; });
    EMBER_CHECK(it != children.end(), IndexError, "{}: no submodule '{}' (looking up '{}')", type_name_, part, path);
    found = it->second;
    cur = found.get();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return found;
}

Tensor* Module::find_parameter_slot(const std::string& path) const {
  size_t dot = path.rfind('.');
  const Module* owner = this;
  std::shared_ptr<Module> holder;
  if (dot != std::string::npos) {
    holder = submodule(path.substr(0, dot));
    owner = holder.get();
  }
  std::string leaf = dot == std::string::npos ? path : path.substr(dot + 1);
  for (const auto& p : owner->params_)
    if (p.name == leaf) return p.slot;
  EMBER_THROW(IndexError, "{}: no parameter named '{}'", type_name_, path);
}

Tensor Module::parameter(const std::string& path) const {
  Tensor* slot = find_parameter_slot(path);
  EMBER_CHECK(slot->defined(), IndexError, "{}: parameter '{}' is absent (None)", type_name_, path);
  return *slot;
}

void Module::set_parameter(const std::string& path, Tensor value) {
  Tensor* slot = find_parameter_slot(path);
  EMBER_CHECK(value.defined(), ValueError, "set_parameter '{}': the new value is undefined", path);
  if (slot->defined())
    EMBER_CHECK(value.shape() == slot->shape(), ShapeError,
                "set_parameter '{}': new shape {} differs from the parameter's shape {}", path,
                shape_str(value.shape()), shape_str(slot->shape()));
  *slot = std::move(value);
}

void Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [name, m] : named_modules()) fn(*m);
}

// ---- modes, device, gradients ----

Module& Module::train(bool on) {
  training_ = on && !hold_eval_;
  for (auto& [name, child] : live_children()) child->train(on);
  return *this;
}

template <class F>
void Module::for_each_tensor(F&& fn) {
  std::unordered_set<const TensorImpl*> seen;
  for (auto& [prefix, m] : named_modules()) {
    for (auto& p : m->params_)
      if (p.slot->defined() && seen.insert(p.slot->impl()).second) fn(*p.slot);
    for (auto& b : m->buffers_)
      if (b.slot->defined() && seen.insert(b.slot->impl()).second) fn(*b.slot);
  }
}

Module& Module::to(Device device) {
  for_each_tensor([&](Tensor& t) {
    if (t.device() != device) convert_in_place(t, [&](const Tensor& x) { return x.to(device); });
  });
  return *this;
}

Module& Module::to(DType dtype) {
  EMBER_CHECK(is_floating(dtype), DTypeError, "{}.to: modules can only be cast to a floating-point dtype, got {}",
              type_name_, dtype);
  for_each_tensor([&](Tensor& t) {
    if (is_floating(t.dtype()) && t.dtype() != dtype)
      convert_in_place(t, [&](const Tensor& x) { return x.to(dtype); });
  });
  return *this;
}

void Module::zero_grad() {
  for (auto& t : parameters()) t.zero_grad();
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (auto& t : parameters())
    if (!trainable_only || t.requires_grad()) n += t.numel();
  return n;
}

Module& Module::requires_grad_(bool requires_grad) {
  for (auto& t : parameters()) t.requires_grad_(requires_grad);
  return *this;
}

std::vector<Tensor> Module::trainable_parameters() const {
  std::vector<Tensor> out;
  for (auto& t : parameters())
    if (t.requires_grad()) out.push_back(t);
  return out;
}

Module& Module::freeze(bool hold_statistics) {
  requires_grad_(false);
  if (hold_statistics) {
    for (auto& [name, m] : named_modules()) m->hold_eval_ = true;
    eval();
  }
  return *this;
}

Module& Module::unfreeze() {
  requires_grad_(true);
  for (auto& [name, m] : named_modules()) m->hold_eval_ = false;
  return *this;
}

// ---- state ----

StateDict Module::state_dict() const {
  StateDict out;
  std::function<void(const Module&, const std::string&)> visit = [&](const Module& m, const std::string& prefix) {
    for (const auto& p : m.params_)
      if (p.slot->defined()) out.insert(join_name(prefix, p.name), p.slot->detach());
    for (const auto& b : m.buffers_)
      if (b.persistent && b.slot->defined()) out.insert(join_name(prefix, b.name), b.slot->detach());
    for (const auto& [name, child] : m.live_children()) visit(*child, join_name(prefix, name));
  };
  visit(*this, "");
  return out;
}

LoadResult Module::load_state_dict(const StateDict& dict, bool strict) {
  // The slots that state_dict() would report, in the same order.
  std::vector<std::pair<std::string, Tensor*>> slots;
  std::function<void(Module&, const std::string&)> visit = [&](Module& m, const std::string& prefix) {
    for (auto& p : m.params_)
      if (p.slot->defined()) slots.emplace_back(join_name(prefix, p.name), p.slot);
    for (auto& b : m.buffers_)
      if (b.persistent && b.slot->defined()) slots.emplace_back(join_name(prefix, b.name), b.slot);
    for (auto& [name, child] : m.live_children()) visit(*child, join_name(prefix, name));
  };
  visit(*this, "");

  LoadResult result;
  std::vector<std::string> mismatches;
  std::set<std::string> expected;
  for (auto& [name, slot] : slots) {
    expected.insert(name);
    if (!dict.contains(name)) {
      result.missing_keys.push_back(name);
      continue;
    }
    const Tensor& src = dict.at(name);
    if (!src.defined()) {
      mismatches.push_back(fmt::format("undefined tensor for {}", name));
    } else if (src.shape() != slot->shape()) {
      mismatches.push_back(fmt::format("size mismatch for {}: the state dict has shape {}, the model has {}", name,
                                       shape_str(src.shape()), shape_str(slot->shape())));
    } else if (src.dtype() != slot->dtype()) {
      mismatches.push_back(fmt::format("dtype mismatch for {}: the state dict has {}, the model has {}", name,
                                       src.dtype(), slot->dtype()));
    }
  }
  for (const auto& [name, t] : dict)
    if (!expected.count(name)) result.unexpected_keys.push_back(name);

  const bool key_errors = strict && (!result.missing_keys.empty() || !result.unexpected_keys.empty());
  if (key_errors || !mismatches.empty()) {
    std::string msg = fmt::format("load_state_dict: error(s) loading the state dict into {}:", type_name_);
    auto quoted = [](const std::vector<std::string>& v) {
      std::vector<std::string> q;
      for (const auto& s : v) q.push_back("\"" + s + "\"");
      return fmt::format("{}", fmt::join(q, ", "));
    };
    if (strict && !result.missing_keys.empty()) msg += "\n  missing key(s): " + quoted(result.missing_keys);
    if (strict && !result.unexpected_keys.empty()) msg += "\n  unexpected key(s): " + quoted(result.unexpected_keys);
    for (const auto& m : mismatches) msg += "\n  " + m;
    throw ValueError(msg);
  }

  NoGradGuard ng;
  for (auto& [name, slot] : slots)
    if (dict.contains(name)) slot->copy_(dict.at(name));
  return result;
}

}  // namespace ember::nn
