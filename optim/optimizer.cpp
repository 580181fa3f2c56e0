#include "ember/optim/optimizer.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include "ember/core/autograd/grad_mode.h"
#include "ember/core/error.h"

namespace ember::optim {
namespace {

// The group hyperparameters as named numbers: the one place that knows ParamGroup's fields,
// used for filling defaults and for the state dict.
struct DoubleField {
  const char* name;
  std::optional<double> ParamGroup::*ptr;
};
struct BoolField {
  const char* name;
  std::optional<bool> ParamGroup::*ptr;
};
constexpr DoubleField kDoubleFields[] = {
    {"lr", &ParamGroup::lr},
    {"weight_decay", &ParamGroup::weight_decay},
    {"momentum", &ParamGroup::momentum},
    {"dampening", &ParamGroup::dampening},
    {"eps", &ParamGroup::eps},
    {"initial_lr", &ParamGroup::initial_lr},
};
constexpr BoolField kBoolFields[] = {
    {"nesterov", &ParamGroup::nesterov},
    {"amsgrad", &ParamGroup::amsgrad},
};

// Name -> value of every field set in g (betas as beta1 and beta2, bools as 0/1).
std::map<std::string, double> hyper_values(const ParamGroup& g) {
  std::map<std::string, double> out;
  for (const auto& f : kDoubleFields)
    if ((g.*f.ptr).has_value()) out[f.name] = *(g.*f.ptr);
  for (const auto& f : kBoolFields)
    if ((g.*f.ptr).has_value()) out[f.name] = *(g.*f.ptr) ? 1.0 : 0.0;
  if (g.betas) {
    out["beta1"] = g.betas->first;
    out["beta2"] = g.betas->second;
  }
  return out;
}

// Clears every hyperparameter of g, then sets those in `values` (names as hyper_values).
void set_hyper_values(ParamGroup& g, const std::map<std::string, double>& values) {
  for (const auto& f : kDoubleFields) g.*f.ptr = std::nullopt;
  for (const auto& f : kBoolFields) g.*f.ptr = std::nullopt;
  g.betas = std::nullopt;
  for (const auto& f : kDoubleFields)
    if (auto it = values.find(f.name); it != values.end()) g.*f.ptr = it->second;
  for (const auto& f : kBoolFields)
    if (auto it = values.find(f.name); it != values.end()) g.*f.ptr = it->second != 0.0;
  if (values.count("beta1")) g.betas = std::pair{values.at("beta1"), values.at("beta2")};
}

bool parse_index(std::string_view s, size_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The dict load_state_dict reads, and what its errors start with ("<optimizer>: <op>: ...").
struct DictSource {
  const StateDict& d;
  const std::string& optimizer;
  const char* op;
};

using LoadedState = std::unordered_map<const TensorImpl*, ParamState>;

// The dict must come from an optimizer of the same type, and "type" is its only string.
void check_dict_type(const DictSource& src) {
  auto type = src.d.strings.find("type");
  EMBER_CHECK(type != src.d.strings.end(), ValueError, "{}: {}: the state dict has no 'type'", src.optimizer,
              src.op);
  EMBER_CHECK(type->second == src.optimizer, ValueError, "{}: {}: the state dict is from a '{}' optimizer",
              src.optimizer, src.op, type->second);
  for (const auto& [k, v] : src.d.strings)
    EMBER_CHECK(k == "type", ValueError, "{}: {}: unexpected string key '{}'", src.optimizer, src.op, k);
}

double required_scalar(const DictSource& src, const std::string& key) {
  auto it = src.d.scalars.find(key);
  EMBER_CHECK(it != src.d.scalars.end(), ValueError, "{}: {}: missing key '{}'", src.optimizer, src.op, key);
  return it->second;
}

// Sets `loaded` (a copy of group gi, `current`) to the dict's hyperparameters for it, and
// records the keys read so that the rest can be taken as per-parameter state. The dict must
// hold every hyperparameter the group has; initial_lr is optional, as only a schedule sets it.
void load_group_hypers(const DictSource& src, size_t gi, const ParamGroup& current, ParamGroup& loaded,
                       std::set<std::string>& used_scalars) {
  const std::string prefix = fmt::format("param_groups.{}.", gi);
  const double n = required_scalar(src, prefix + "num_params");
  used_scalars.insert(prefix + "num_params");
  EMBER_CHECK(n == static_cast<double>(current.params.size()), ValueError,
              "{}: {}: param group {} has {} parameters in the state dict but {} in the "
              "optimizer",
              src.optimizer, src.op, gi, n, current.params.size());
  std::map<std::string, double> values;
  for (const auto& [k, v] : hyper_values(current)) {
    if (k == "initial_lr") continue;
    values[k] = required_scalar(src, prefix + k);
    used_scalars.insert(prefix + k);
  }
  if (auto it = src.d.scalars.find(prefix + "initial_lr"); it != src.d.scalars.end()) {
    values["initial_lr"] = it->second;
    used_scalars.insert(it->first);
  }
  set_hyper_values(loaded, values);
}

bool is_in(const std::vector<std::string>& names, const std::string& s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

// "state.<i>.<name>" -> (i, name), checking that i is below num_params and name one of `names`.
std::pair<size_t, std::string> split_state_key(const DictSource& src, const std::string& key, size_t num_params,
                                               const std::vector<std::string>& names, const char* what) {
  std::string_view rest(key);
  rest.remove_prefix(6);  // "state."
  const size_t dot = rest.find('.');
  size_t i = 0;
  EMBER_CHECK(dot != std::string_view::npos && parse_index(rest.substr(0, dot), i), ValueError,
              "{}: {}: malformed state key '{}'", src.optimizer, src.op, key);
  EMBER_CHECK(i < num_params, ValueError,
              "{}: {}: state key '{}' names parameter {}, but the optimizer has {}", src.optimizer, src.op,
              key, i, num_params);
  std::string name(rest.substr(dot + 1));
  EMBER_CHECK(is_in(names, name), ValueError, "{}: {}: unexpected {} state '{}' in key '{}'",
              src.optimizer, src.op, what, name, key);
  return {i, name};
}

// The dict's state tensors, each checked against its parameter (flat: all groups' parameters
// in state-dict order) and copied, so that the dict's tensors stay the caller's.
void load_state_tensors(const DictSource& src, const std::vector<Tensor>& flat,
                        const std::vector<std::string>& tensor_names, LoadedState& new_state) {
  for (const auto& [key, t] : src.d.tensors) {
    EMBER_CHECK(key.rfind("state.", 0) == 0, ValueError, "{}: {}: unexpected tensor key '{}'",
                src.optimizer, src.op, key);
    auto [i, name] = split_state_key(src, key, flat.size(), tensor_names, "tensor");
    const Tensor& p = flat[i];
    EMBER_CHECK(t.defined(), ValueError, "{}: {}: tensor '{}' is undefined", src.optimizer, src.op, key);
    EMBER_CHECK(t.shape() == p.shape(), ValueError,
                "{}: {}: '{}' has shape {} but parameter {} has shape {}", src.optimizer, src.op, key,
                shape_str(t.shape()), i, shape_str(p.shape()));
    EMBER_CHECK(is_floating(t.dtype()), ValueError, "{}: {}: '{}' has non-float dtype {}", src.optimizer,
                src.op, key, t.dtype());
    new_state[p.impl()].tensors[name] = t.detach().to(p.dtype()).to(p.device()).clone();
  }
}

// The dict's per-parameter numbers: every scalar that is not a group setting.
void load_state_scalars(const DictSource& src, const std::vector<Tensor>& flat,
                        const std::set<std::string>& used_scalars, const std::vector<std::string>& scalar_names,
                        LoadedState& new_state) {
  for (const auto& [key, v] : src.d.scalars) {
    if (used_scalars.count(key)) continue;
    EMBER_CHECK(key.rfind("state.", 0) == 0, ValueError, "{}: {}: unexpected scalar key '{}'",
                src.optimizer, src.op, key);
    auto [i, name] = split_state_key(src, key, flat.size(), scalar_names, "scalar");
    new_state[flat[i].impl()].scalars[name] = v;
  }
}

}  // namespace

std::vector<ParamGroup> single_group(std::vector<Tensor> params) {
  std::vector<ParamGroup> groups(1);
  groups[0].params = std::move(params);
  return groups;
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, ParamGroup defaults)
    : name_(std::move(name)), defaults_(std::move(defaults)) {
  defaults_.params.clear();
  size_t total = 0;
  for (auto& g : groups) total += g.params.size();
  EMBER_CHECK(total > 0, ValueError, "{}: got an empty parameter list", name_);
  // Checked by the derived constructor: check_group is virtual.
  for (auto& g : groups) push_group(std::move(g), /*check=*/false);
}

ParamGroup Optimizer::fill_group(ParamGroup g, size_t index) const {
  for (const auto& f : kDoubleFields) {
    if (f.ptr == &ParamGroup::initial_lr) continue;
    EMBER_CHECK(!(g.*f.ptr).has_value() || (defaults_.*f.ptr).has_value(), ValueError,
                "{}: param group {} sets {}, which {} does not use", name_, index, f.name, name_);
    if (!(g.*f.ptr)) g.*f.ptr = defaults_.*f.ptr;
  }
  for (const auto& f : kBoolFields) {
    EMBER_CHECK(!(g.*f.ptr).has_value() || (defaults_.*f.ptr).has_value(), ValueError,
                "{}: param group {} sets {}, which {} does not use", name_, index, f.name, name_);
    if (!(g.*f.ptr)) g.*f.ptr = defaults_.*f.ptr;
  }
  EMBER_CHECK(!g.betas || defaults_.betas, ValueError,
              "{}: param group {} sets betas, which {} does not use", name_, index, name_);
  if (!g.betas) g.betas = defaults_.betas;

  for (size_t j = 0; j < g.params.size(); ++j) {
    const Tensor& p = g.params[j];
    EMBER_CHECK(p.defined(), ValueError, "{}: param group {} parameter {} is undefined", name_,
                index, j);
    EMBER_CHECK(is_floating(p.dtype()), ValueError,
                "{}: param group {} parameter {} has dtype {}; only floating-point tensors can be "
                "optimized",
                name_, index, j, p.dtype());
    EMBER_CHECK(p.is_leaf(), ValueError,
                "{}: param group {} parameter {} (shape {}) is not a leaf tensor; optimize the "
                "leaf it was computed from",
                name_, index, j, shape_str(p.shape()));
  }
  return g;
}

void Optimizer::add_param_group(ParamGroup group) { push_group(std::move(group), true); }

void Optimizer::push_group(ParamGroup group, bool check) {
  const size_t index = groups_.size();
  ParamGroup g = fill_group(std::move(group), index);
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& old : groups_)
    for (const auto& p : old.params) seen.insert(p.impl());
  for (size_t j = 0; j < g.params.size(); ++j) {
    EMBER_CHECK(seen.insert(g.params[j].impl()).second, ValueError,
                "{}: param group {} parameter {} (shape {}) appears more than once in the "
                "optimizer's parameters",
                name_, index, j, shape_str(g.params[j].shape()));
  }
  if (check) check_group(g, index);
  groups_.push_back(std::move(g));
}

void Optimizer::check_groups() const {
  for (size_t i = 0; i < groups_.size(); ++i) check_group(groups_[i], i);
}

double Optimizer::need(const std::optional<double>& field, const char* field_name,
                       size_t index) const {
  EMBER_CHECK(field.has_value(), ValueError, "{}: param group {} has no {}", name_, index,
              field_name);
  return *field;
}

bool Optimizer::need(const std::optional<bool>& field, const char* field_name, size_t index) const {
  EMBER_CHECK(field.has_value(), ValueError, "{}: param group {} has no {}", name_, index,
              field_name);
  return *field;
}

void Optimizer::step() {
  check_groups();
  NoGradGuard no_grad;
  std::vector<ParamUpdate> items;
  for (const auto& g : groups_) {
    items.clear();
    for (const Tensor& param : g.params) {
      // Frozen parameters are skipped, also with a gradient left over from before they
      // were frozen, so that freezing and unfreezing need no new optimizer.
      if (!param.requires_grad()) continue;
      Tensor grad = param.grad();
      // state_ is node-based: the pointers stay valid while later entries are added.
      if (grad.defined()) items.push_back({param, grad, &state_[param.impl()]});
    }
    if (!items.empty()) update_group(g, items);
  }
}

void Optimizer::update_group(const ParamGroup& group, const std::vector<ParamUpdate>& items) {
  for (const ParamUpdate& it : items) {
    Tensor p = it.param;
    update(group, p, it.grad, *it.state);
  }
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad();
}

const ParamState* Optimizer::state(const Tensor& param) const {
  auto it = state_.find(param.impl());
  return it == state_.end() ? nullptr : &it->second;
}

StateDict Optimizer::state_dict() const {
  StateDict d;
  d.strings["type"] = name_;
  d.scalars["num_groups"] = static_cast<double>(groups_.size());
  size_t i = 0;
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    const std::string prefix = fmt::format("param_groups.{}.", gi);
    d.scalars[prefix + "num_params"] = static_cast<double>(g.params.size());
    for (const auto& [k, v] : hyper_values(g)) d.scalars[prefix + k] = v;
    for (const Tensor& p : g.params) {
      if (const ParamState* st = state(p)) {
        const std::string sp = fmt::format("state.{}.", i);
        for (const auto& [k, t] : st->tensors) d.tensors[sp + k] = t.clone();
        for (const auto& [k, v] : st->scalars) d.scalars[sp + k] = v;
      }
      ++i;
    }
  }
  return d;
}

void Optimizer::load_state_dict(const StateDict& d) {
  const DictSource src{d, name_, "load_state_dict"};
  check_dict_type(src);
  const double num_groups = required_scalar(src, "num_groups");
  EMBER_CHECK(num_groups == static_cast<double>(groups_.size()), ValueError,
              "{}: {}: the state dict has {} param groups, the optimizer {}", name_, src.op, num_groups,
              groups_.size());

  // New group settings and state are built aside and swapped in once all checks pass.
  std::vector<ParamGroup> new_groups = groups_;
  std::vector<Tensor> flat;  // parameters in state-dict order
  std::set<std::string> used_scalars{"num_groups"};
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    load_group_hypers(src, gi, groups_[gi], new_groups[gi], used_scalars);
    check_group(new_groups[gi], gi);
    for (const Tensor& p : groups_[gi].params) flat.push_back(p);
  }

  const auto tensor_names = state_tensor_names();
  const auto scalar_names = state_scalar_names();
  LoadedState new_state;
  load_state_tensors(src, flat, tensor_names, new_state);
  load_state_scalars(src, flat, used_scalars, scalar_names, new_state);

  size_t i = 0;
  for (const Tensor& p : flat) {
    if (auto it = new_state.find(p.impl()); it != new_state.end()) check_state(it->second, i);
    ++i;
  }

  groups_ = std::move(new_groups);
  state_ = std::move(new_state);
}

}  // namespace ember::optim
